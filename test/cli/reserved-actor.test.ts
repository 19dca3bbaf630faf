// Who may sign a decision: the names nightshift and its agents sign with are refused at every door the
// CLI offers (docs/cli.md, "Human decisions"), and the matter stays pending.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

describe('reserved decider names', () => {
  it('refuses agent:, model:, role:, manager:, nightshift, policy, system, eval, trigger:, mcp:, api: and run: as --as, exit 2, nothing decided', async () => {
    const r = role({
      autonomy: 'full',
      turns: [
        { escalate: { category: 'ambiguous', reason: 'which customer?' } },
        { final: { summary: 'done' } },
      ],
    });
    const run = json<{ status: string; escalations: { id: string }[] }>(
      await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]),
    );
    assert.equal(run.status, 'escalated');
    const id = run.escalations[0]!.id;
    for (const name of [
      'agent:x',
      'model:x',
      'role:x',
      'manager:lead/run_1',
      'nightshift',
      'policy',
      'System',
      // The names nightshift records as the starters of runs.
      'eval',
      'trigger:event',
      'mcp:claude',
      'api:alice',
      'run:run_01',
    ]) {
      const res = await runCli(['answer', id, 'go', '--as', name, '--data-dir', r.dataDir]);
      assert.equal(res.code, 2, `${name}: ${res.stderr}`);
      assert.match(res.stderr, /ACTOR_INVALID/, name);
      const forWhom = /^(agent|model|role|manager):/.test(name) ? 'agents' : 'nightshift itself';
      assert.match(res.stderr, new RegExp(`reserved for ${forWhom}`), name);
    }
    const inbox = json<{ escalations: { id: string }[] }>(
      await runCli(['inbox', '--json', '--data-dir', r.dataDir]),
    );
    assert.deepEqual(
      inbox.escalations.map((e) => e.id),
      [id],
    );
    // A person's name that merely starts like one is a person's name.
    const ok = await runCli(['answer', id, 'go', '--as', 'evaluator', '--data-dir', r.dataDir]);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('refuses a reserved name written with invisible or compatibility characters, and any control character', async () => {
    // before: `policy` with a zero-width space decided as "policy\u200b", which reads as nightshift's
    // own policy in show and the audit log; `sys\ntem` was accepted too.
    const r = role({
      autonomy: 'full',
      turns: [
        { escalate: { category: 'ambiguous', reason: 'which customer?' } },
        { final: { summary: 'done' } },
      ],
    });
    const run = json<{ escalations: { id: string }[] }>(
      await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]),
    );
    const id = run.escalations[0]!.id;
    for (const [name, why] of [
      ['policy\u200b', /'policy' is reserved for nightshift itself/],
      ['\u2060system', /'system' is reserved for nightshift itself/],
      ['\uff50\uff4f\uff4c\uff49\uff43\uff59', /'policy' is reserved for nightshift itself/],
      ['agent\u200d:x', /reserved for agents/],
      ['sys\ntem', /control character \(U\+000A at position 4\)/],
      ['dana\u001b[2J', /control character \(U\+001B at position 5\)/],
    ] as const) {
      const res = await runCli(['answer', id, 'go', '--as', name, '--data-dir', r.dataDir]);
      assert.equal(res.code, 2, `${JSON.stringify(name)}: ${res.stderr}`);
      assert.match(res.stderr, /ACTOR_INVALID/, JSON.stringify(name));
      assert.match(res.stderr, why, JSON.stringify(name));
    }
    // A zero-width non-joiner belongs in Persian names: a person's name with one is a person's name.
    const ok = await runCli([
      'answer',
      id,
      'go',
      '--as',
      '\u0645\u0647\u0631\u200c\u062f\u0627\u062f',
      '--data-dir',
      r.dataDir,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
  });
});
