// The improve loop's gate when it is not alone: two loops of one role at once, and a loop killed while
// its candidate is evaluated. A candidate is promoted only over the version it was compared with; a
// candidate left behind by a killed loop is still known as one, so it never becomes what a hand
// promotion records as its `from` and a rollback makes active. Real SQLite store, real CLI, SIGKILL.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createIdSource } from '../../src/clock.js';
import { roleRecordSpec } from '../../src/engine/start.js';
import { improve } from '../../src/improve/improve.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { grantPromotion, promote } from '../../src/versions/promote.js';
import { runCli, startCli } from '../support/cli.js';
import { inStore } from '../support/crash-points.js';
import { exampleProject } from '../support/examples.js';
import { createProject, MONEY_RULE, type Project } from './project.js';

let p: Project | undefined;
after(async () => {
  await p?.rt.close();
});

describe('improve: two loops of one role at once', () => {
  it('promotes only over the version the candidate was compared with; the other round is not promoted', async () => {
    p = await createProject();
    // Both candidates are better than the file's version (2 cases × 3 repeats now pass): each loop alone
    // would promote. Together, the second to promote was compared with the file's version, not with the
    // first one's candidate now in effect.
    const a = p.proposer('a', { rationale: 'escalate refunds', changes: { escalation: [MONEY_RULE] } });
    const b = p.proposer('b', {
      rationale: 'escalate refunds, and say so',
      changes: { escalation: [MONEY_RULE], description: 'Triage that escalates money' },
    });
    const [ra, rb] = await Promise.all([improve(p.options(a)), improve(p.options(b))]);
    const rounds = [ra.rounds[0]!, rb.rounds[0]!];
    const promoted = rounds.filter((r) => r.outcome === 'promoted');
    assert.equal(promoted.length, 1, rounds.map((r) => `${r.outcome}: ${r.reason}`).join('\n'));
    const other = rounds.find((r) => r.outcome !== 'promoted')!;
    assert.equal(other.outcome, 'rejected');
    assert.match(other.reason, /^better: .*; not promoted: the active version of triage changed/);
    assert.equal(other.promotionId, null);
    const done = await p.rt.store.listPromotions({ role: 'triage', status: 'done' });
    assert.deepEqual(
      done.map((x) => x.version),
      [promoted[0]!.candidateVersion],
    );
    assert.equal((await p.rt.store.activePromotion('triage'))!.version, promoted[0]!.candidateVersion);
    // The stored round says the same as the one returned.
    const stored = await p.rt.store.listImprovementRounds({ role: 'triage' });
    assert.deepEqual(new Set(stored.map((r) => r.outcome)), new Set(['promoted', 'rejected']));
  });
});

describe('improve: killed while the candidate is evaluated', () => {
  it('leaves the candidate recorded as an interrupted round: a hand promotion and rollback never make it active', async () => {
    const tmp = exampleProject('nightshift-improve-kill-');
    try {
      const cwd = tmp.path;
      const dataDir = join(tmp.path, '.nightshift');
      const env = { NIGHTSHIFT_DATA_DIR: dataDir };
      const roleFile = 'examples/roles/ops-monitor.yaml';
      const file = (await loadRoleFile(join(cwd, roleFile))).version;
      const cli = startCli(
        [
          'improve',
          roleFile,
          '--proposer',
          'script:examples/roles/evals/ops-monitor.proposer.script.yaml',
          '--repeat',
          '20',
        ],
        { cwd, env },
      );
      // The candidate is stored as a version just before its eval starts; its eval takes seconds.
      let candidate: string | undefined;
      const deadline = Date.now() + 120_000;
      while (!candidate && Date.now() < deadline) {
        await sleep(100);
        const versions = await inStore(dataDir, (s) => s.listRoleVersions('ops-monitor')).catch(() => []);
        candidate = versions.find((v) => v.version !== file)?.version;
      }
      assert.ok(candidate, 'the loop never stored its candidate');
      cli.child.kill('SIGKILL');
      await cli.done;
      const rounds = await inStore(dataDir, (s) => s.listImprovementRounds({ role: 'ops-monitor' }));
      assert.equal(rounds.length, 1);
      assert.equal(rounds[0]!.candidateVersion, candidate);
      assert.equal(rounds[0]!.outcome, 'stopped');
      assert.match(rounds[0]!.reason, /^interrupted: /);
      // A person promotes the file's version by hand, then rolls back: never to the unevaluated candidate.
      const promoted = await runCli(['promote', 'ops-monitor', file, '--as', 'alice'], { cwd, env });
      assert.doesNotMatch(promoted.stdout, new RegExp(`was ${candidate}`), promoted.stdout);
      const pending = /approve (prm_\w+)/.exec(promoted.stdout)?.[1];
      if (pending) await runCli(['approve', pending, '--as', 'alice'], { cwd, env });
      await runCli(['rollback', 'ops-monitor', '--as', 'alice'], { cwd, env });
      const active = await inStore(dataDir, (s) => s.activePromotion('ops-monitor'));
      assert.notEqual(active?.version, candidate);
      const history = await inStore(dataDir, (s) => s.listPromotions({ role: 'ops-monitor' }));
      assert.ok(
        history.every((x) => x.fromVersion !== candidate && x.version !== candidate),
        JSON.stringify(history),
      );
    } finally {
      tmp.cleanup();
    }
  });
});

describe('improve: the version compared with, promoted meanwhile', () => {
  it('still promotes when what was put in effect meanwhile is the very version the candidate beat', async () => {
    await p?.rt.close();
    p = await createProject();
    const base = await loadRoleFile(join(p.dir, 'triage.yaml'));
    const text = readFileSync(join(p.dir, 'triage.yaml'), 'utf8');
    const candidate = await loadRoleFile(join(p.dir, 'triage.yaml'), {
      text: text.replace('Read the ticket', 'Read the whole ticket'),
    });
    for (const role of [base, candidate])
      await p.rt.store.putRoleVersion({
        name: role.name,
        version: role.version,
        spec: roleRecordSpec(role),
        createdAt: Date.now(),
      });
    const ctx = { store: p.rt.store, clock: { now: () => Date.now() }, ids: createIdSource() };
    // Nothing was active when the loop compared; a person then promoted the same base version.
    const first = await promote(ctx, { role: 'triage', version: base.version, by: 'alice' });
    if (first.outcome === 'pending') await grantPromotion(ctx, first.promotion.id, { by: 'alice' });
    const asked = { role: 'triage', version: candidate.version, baseline: base.version, by: 'alice' };
    const done = await promote(ctx, { ...asked, expectedActive: null });
    assert.equal(done.outcome, 'promoted');
    // Another version in effect than the one compared with: refused, nothing written.
    const back = await promote(ctx, { role: 'triage', version: base.version, by: 'alice' });
    if (back.outcome === 'pending') await grantPromotion(ctx, back.promotion.id, { by: 'alice' });
    const third = await loadRoleFile(join(p.dir, 'triage.yaml'), {
      text: text.replace('Read the ticket', 'Read the ticket twice'),
    });
    await p.rt.store.putRoleVersion({
      name: third.name,
      version: third.version,
      spec: roleRecordSpec(third),
      createdAt: Date.now(),
    });
    const before = await p.rt.store.listPromotions({ role: 'triage' });
    await assert.rejects(
      promote(ctx, { ...asked, version: third.version, baseline: candidate.version, expectedActive: null }),
      { code: 'PROMOTION_STALE' },
    );
    assert.equal((await p.rt.store.listPromotions({ role: 'triage' })).length, before.length);
  });
});
