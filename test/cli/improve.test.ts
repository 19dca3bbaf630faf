// `nightshift improve` as a user runs it offline: the real CLI over a clean copy of the examples, the
// example's scripted proposer. The round is recorded and `--history` shows it; nothing is promoted
// without evidence (every case already passes, so the candidate is "not better").
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { inStore } from '../support/crash-points.js';
import { exampleProject } from '../support/examples.js';
import { tempDir } from '../support/tmp.js';

const tmp = exampleProject('nightshift-improve-cli-');
after(() => tmp.cleanup());
const cwd = tmp.path;
const env = { NIGHTSHIFT_DATA_DIR: join(tmp.path, '.nightshift') };
const proposer = 'script:examples/roles/evals/ops-monitor.proposer.script.yaml';

describe('nightshift improve', () => {
  it('runs a round with the example proposer, keeps the candidate as rejected, and --history lists it', async () => {
    const r = await runCli(
      ['improve', 'examples/roles/ops-monitor.yaml', '--proposer', proposer, '--repeat', '2'],
      { cwd, env },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^estimated cost: 0\.0000 USD \(proposer and evals\)\n/);
    assert.match(r.stdout, /round 1 · .* · ops-monitor@\w+ → \w+ · REJECTED/);
    assert.match(r.stdout, /not better: 0 better, 0 worse of 6 paired runs/);
    // Nothing was ever promoted: the file runs, and the last line does not call its version "active".
    assert.match(r.stdout, /\nno active version: the role file runs \(ops-monitor@\w+\)\n$/);
    const h = await runCli(['improve', '--history', 'ops-monitor', '--json'], { cwd, env });
    assert.equal(h.code, 0, h.stderr);
    const history = json<{ rounds: { outcome: string; rationale: string; changes: object }[] }>(h);
    assert.equal(history.rounds.length, 1);
    assert.equal(history.rounds[0]!.outcome, 'rejected');
    assert.deepEqual(Object.keys(history.rounds[0]!.changes), ['instructions']);
  });

  it('refuses without --proposer (exit 2) and past --max-cost (exit 1)', async () => {
    const none = await runCli(['improve', 'examples/roles/ops-monitor.yaml'], { cwd, env });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /improve needs --proposer/);
    const priced = await runCli(
      [
        'improve',
        'examples/roles/ops-monitor.yaml',
        '--proposer',
        'anthropic:claude-sonnet-4-5',
        '--max-cost',
        '0.0001',
      ],
      { cwd, env: { ...env, ANTHROPIC_API_KEY: 'sk-test-not-used' } },
    );
    assert.equal(priced.code, 1, priced.stderr);
    assert.match(priced.stderr, /over --max-cost 0\.0001; nothing was run/);
  });

  it("refuses a suite inside the role's workspace, or an estimate over --max-cost, before the store is made", async () => {
    // Before: both were checked after the store was opened, so a data dir got an empty nightshift.db.
    const fresh = join(tmp.path, 'never-made');
    const freshEnv = { NIGHTSHIFT_DATA_DIR: fresh };
    writeFileSync(
      join(cwd, 'examples/workspaces/ops/x.evals.yaml'),
      'cases:\n  - name: one\n    input: { service: checkout }\n    expect: { status: escalated }\n',
    );
    try {
      const exposed = await runCli(
        [
          'improve',
          'examples/roles/ops-monitor.yaml',
          '--proposer',
          proposer,
          '--suite',
          'examples/workspaces/ops/x.evals.yaml',
        ],
        { cwd, env: freshEnv },
      );
      assert.equal(exposed.code, 2, exposed.stdout + exposed.stderr);
      assert.match(exposed.stderr, /IMPROVE_SUITE_EXPOSED/);
    } finally {
      rmSync(join(cwd, 'examples/workspaces/ops/x.evals.yaml'));
    }
    const priced = await runCli(
      [
        'improve',
        'examples/roles/ops-monitor.yaml',
        '--proposer',
        'anthropic:claude-sonnet-4-5',
        '--max-cost',
        '0.0001',
      ],
      { cwd, env: { ...freshEnv, ANTHROPIC_API_KEY: 'sk-test-not-used' } },
    );
    assert.equal(priced.code, 1, priced.stderr);
    assert.ok(!existsSync(fresh), 'no data dir was made');
  });

  it('takes --max-cost 0 as eval does (free scripted models run) and refuses a negative one', async () => {
    const free = await runCli(
      ['improve', 'examples/roles/ops-monitor.yaml', '--proposer', proposer, '--max-cost', '0', '--json'],
      { cwd, env },
    );
    assert.equal(free.code, 0, free.stdout + free.stderr);
    // Before: it exited 0 having run no round (the spend, 0, was taken as having reached the limit, 0).
    const result = json<{ rounds: { outcome: string }[] }>(free);
    assert.equal(result.rounds.length, 1);
    assert.equal(result.rounds[0]!.outcome, 'rejected');
    const negative = await runCli(
      ['improve', 'examples/roles/ops-monitor.yaml', '--proposer', proposer, '--max-cost', '-1'],
      { cwd, env },
    );
    assert.equal(negative.code, 2);
    assert.match(negative.stderr, /--max-cost must be a number ≥ 0, got '-1'/);
  });

  it('a rejected candidate is never what a later promotion went from, nor what a rollback goes back to', async () => {
    // The rounds above stored rejected candidates after the file's version; nothing is active. Promoting
    // the file's version must not record a rejected candidate as what ran before it (a rollback would then
    // make that candidate active): with no other version in effect, a person decides the first promotion.
    const rounds = json<{ rounds: { baseVersion: string; candidateVersion: string }[] }>(
      await runCli(['improve', '--history', 'ops-monitor', '--json'], { cwd, env }),
    ).rounds;
    const base = rounds[0]!.baseVersion;
    const p = await runCli(['promote', 'ops-monitor', base, '--as', 'alice', '--json'], { cwd, env });
    assert.equal(p.code, 3, p.stdout + p.stderr);
    const pending = json<{ promotion: { id: string; fromVersion: string | null; widening: string[] } }>(
      p,
    ).promotion;
    assert.equal(pending.fromVersion, null);
    assert.match(pending.widening.join(), /no earlier version to compare with/);
    const granted = await runCli(['approve', pending.id, '--as', 'alice'], { cwd, env });
    assert.equal(granted.code, 0, granted.stdout + granted.stderr);
    const back = await runCli(['rollback', 'ops-monitor', '--as', 'alice'], { cwd, env });
    assert.equal(back.code, 2, back.stdout + back.stderr);
    assert.match(back.stderr, /NOTHING_TO_ROLL_BACK/);
    const view = json<{ active: { version: string } }>(
      await runCli(['versions', 'ops-monitor', '--json'], { cwd, env }),
    );
    assert.equal(view.active.version, base);
    assert.ok(!rounds.some((r) => r.candidateVersion === view.active.version));
  });

  it('--history lists every recorded round, past any page size (1,001 here, a page is 1,000)', async () => {
    const data = tempDir('nightshift-history-');
    // Rounds sharing a creation time too: the pages must neither repeat nor skip one of a tie.
    await inStore(data.path, async (store) => {
      for (let i = 0; i < 1001; i++) {
        await store.putImprovementRound({
          id: `imp_${String(i).padStart(5, '0')}`,
          role: 'busy-role',
          round: 1,
          baseVersion: 'base',
          candidateVersion: null,
          outcome: 'invalid',
          reason: 'not a role',
          proposer: 'script:p.yaml',
          proposerRunId: null,
          rationale: null,
          changes: null,
          activeEvalId: null,
          candidateEvalId: null,
          comparison: null,
          promotionId: null,
          costUsd: 0,
          durationMs: 1,
          createdAt: 1_700_000_000_000 + Math.floor(i / 3),
        });
      }
    });
    const h = await runCli(['improve', '--history', 'busy-role', '--json', '--data-dir', data.path]);
    assert.equal(h.code, 0, h.stderr);
    const ids = json<{ rounds: { id: string }[] }>(h).rounds.map((r) => r.id);
    assert.equal(ids.length, 1001);
    assert.equal(new Set(ids).size, 1001);
    assert.equal(ids[0], 'imp_01000');
    assert.equal(ids.at(-1), 'imp_00000');
    data.cleanup();
  });
});
