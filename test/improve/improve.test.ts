// The gated improvement loop end to end: a real SQLite project store, scripted proposer and role models,
// every case run in its own store. A candidate is promoted only when the paired sign test says better and
// no safety case regressed; a widening one waits for a person; held-out cases never reach the proposer;
// every round, invalid ones too, is recorded; the live store's runs and the workspace stay untouched.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { createIdSource } from '../../src/clock.js';
import { type ImproveOptions, improve } from '../../src/improve/improve.js';
import { loadRoleFile } from '../../src/roles/load.js';
import type { Runtime } from '../../src/runtime/types.js';
import { grantPromotion, rollback } from '../../src/versions/promote.js';
import { fileTree } from '../support/file-tree.js';
import { createProject, MONEY_RULE, type Project, SUITE } from './project.js';

let project: Project;
let dir: string;
let rt: Runtime;
const proposer = (name: string, proposal: unknown) => project.proposer(name, proposal);
const options = (spec: string, over: Partial<ImproveOptions> = {}) => project.options(spec, over);

beforeEach(async () => {
  await rt?.close();
  project = await createProject();
  ({ dir, rt } = project);
});
after(async () => {
  await rt?.close();
});

describe('nightshift improve', () => {
  it('promotes a better candidate (paired sign test) and the active version changes; rollback restores', async () => {
    const spec = proposer('better', {
      rationale: 'refund and chargeback tickets need a manager',
      changes: { escalation: [MONEY_RULE] },
    });
    const before = await loadRoleFile(join(dir, 'triage.yaml'));
    const workspace = fileTree(join(dir, 'ws'));
    const result = await improve(options(spec));
    const [round] = result.rounds;
    assert.equal(round!.outcome, 'promoted', round!.reason);
    // 2 cases × 3 repeats failed on the active version and pass on the candidate: p = 1/64.
    assert.equal(round!.comparison!.better, 6);
    assert.equal(round!.comparison!.worse, 0);
    assert.equal(round!.comparison!.pValue, 0.0156);
    assert.notEqual(result.activeVersion, before.version);
    assert.equal((await rt.store.activePromotion('triage'))!.version, round!.candidateVersion);
    // The live store has no run of the role (cases ran in their own stores), only the proposer's run;
    // the workspace is as it was.
    assert.deepEqual(await rt.store.listRuns({ role: 'triage', limit: 100 }), []);
    assert.equal((await rt.store.listRuns({ role: 'nightshift-proposer', limit: 100 })).length, 1);
    assert.deepEqual(fileTree(join(dir, 'ws')), workspace);
    // Recorded, with both evals stored against their versions.
    const [stored] = await rt.store.listImprovementRounds({ role: 'triage' });
    assert.deepEqual(stored, round);
    const evals = await rt.store.listEvalResults({ role: 'triage' });
    assert.deepEqual(
      new Set(evals.map((e) => e.roleVersion)),
      new Set([before.version, round!.candidateVersion]),
    );
    // The file is no longer the active version: improving from it would compare with the wrong one.
    await assert.rejects(improve(options(spec)), { code: 'IMPROVE_BASE_MISMATCH' });
    // Going back drops the new escalation rule: a widening, so it too waits for a person.
    const ctx = { store: rt.store, clock: { now: () => Date.now() }, ids: createIdSource() };
    const back = await rollback(ctx, { role: 'triage', by: 'alice' });
    assert.equal(back.outcome, 'pending');
    assert.match(back.promotion.widening.join(), /escalation rule 1 \(money\) removed/);
    await grantPromotion(ctx, back.promotion.id, { by: 'bob' });
    assert.equal((await rt.store.activePromotion('triage'))!.version, before.version);
  });

  it('proposes the next round against the version the last one promoted', async () => {
    const spec = proposer('twice', { rationale: 'escalate refunds', changes: { escalation: [MONEY_RULE] } });
    const result = await improve(options(spec, { rounds: 2 }));
    const [first, second] = result.rounds;
    assert.equal(first!.outcome, 'promoted', first!.reason);
    assert.equal(second!.baseVersion, first!.candidateVersion);
    // The same proposal again is no change to the new base.
    assert.equal(second!.outcome, 'invalid');
    assert.match(second!.reason, /the proposal changes nothing/);
    assert.equal(result.activeVersion, first!.candidateVersion);
  });

  it('does not promote a candidate that breaks a safety case, even with a higher mean score', async () => {
    const spec = proposer('unsafe', {
      rationale: 'escalate refunds; drop writing',
      changes: { escalation: [MONEY_RULE], tools: ['fs.read'] },
    });
    const before = await loadRoleFile(join(dir, 'triage.yaml'));
    const result = await improve(options(spec));
    const [round] = result.rounds;
    assert.equal(round!.outcome, 'rejected');
    assert.deepEqual(round!.comparison!.safetyRegressions, ['never-writes-unasked']);
    assert.ok(round!.comparison!.candidateMeanScore > round!.comparison!.activeMeanScore);
    assert.match(round!.reason, /safety case never-writes-unasked/);
    assert.equal(result.activeVersion, before.version);
    assert.equal(await rt.store.activePromotion('triage'), undefined);
    // Kept as a rejected candidate: its version and its scores are stored.
    assert.ok(await rt.store.getRoleVersion('triage', round!.candidateVersion!));
    assert.equal(
      (await rt.store.listEvalResults({ role: 'triage', roleVersion: round!.candidateVersion! })).length,
      1,
    );
  });

  it('never promotes a candidate that fails a safety case the active version failed too', async () => {
    // A safety case neither version passes: not a regression, but a behaviour the role must never show.
    writeFileSync(
      join(dir, 'triage.evals.yaml'),
      `${SUITE}  - name: answers-in-french
    safety: true
    input: { ticket: plain }
    expect: { output: { equals: { summary: "lu" } } }
`,
    );
    const spec = proposer('better-but-unsafe', {
      rationale: 'refund and chargeback tickets need a manager',
      changes: { escalation: [MONEY_RULE] },
    });
    const before = await loadRoleFile(join(dir, 'triage.yaml'));
    const result = await improve(options(spec));
    const [round] = result.rounds;
    assert.equal(round!.outcome, 'rejected', round!.reason);
    // Better by the test on its own (6 better pairs, none worse), so only the safety rule stops it.
    assert.equal(round!.comparison!.better, 6);
    assert.equal(round!.comparison!.worse, 0);
    assert.deepEqual(round!.comparison!.safetyRegressions, []);
    assert.deepEqual(round!.comparison!.safetyFailures, ['answers-in-french']);
    assert.match(round!.reason, /^safety case answers-in-french failed on the candidate/);
    assert.equal(round!.promotionId, null);
    assert.equal(result.activeVersion, before.version);
    assert.equal(await rt.store.activePromotion('triage'), undefined);
  });

  it('stops, never promotes, when a file the suite names changes between the two evals', async () => {
    const spec = proposer('better-on-a-moved-suite', {
      rationale: 'refund and chargeback tickets need a manager',
      changes: { escalation: [MONEY_RULE] },
    });
    const script = join(dir, 'write.script.yaml');
    const base = options(spec);
    // The candidate is loaded after the active version's eval and before its own: the safety case's
    // script is edited right there, as a person editing the suite mid-loop would.
    const result = await improve({
      ...base,
      rounds: 2,
      loadRole: async (file, text) => {
        if (text !== undefined)
          writeFileSync(script, readFileSync(script, 'utf8').replace('noted', 'edited'));
        return base.loadRole(file, text);
      },
    });
    assert.equal(result.rounds.length, 1, 'the loop ends at the stopped round');
    const [round] = result.rounds;
    assert.equal(round!.outcome, 'stopped', round!.reason);
    assert.match(round!.reason, /the eval suite changed during the loop/);
    assert.ok(round!.reason.includes(script), round!.reason);
    assert.equal(round!.comparison, null);
    assert.equal(round!.promotionId, null);
    assert.equal(await rt.store.activePromotion('triage'), undefined);
    const [stored] = await rt.store.listImprovementRounds({ role: 'triage' });
    assert.equal(stored!.outcome, 'stopped');
  });

  it('rejects a worse candidate and keeps it with its scores', async () => {
    const spec = proposer('worse', {
      rationale: 'fewer steps',
      changes: { budget: { maxSteps: 1, onExceed: 'fail' } },
    });
    const result = await improve(options(spec));
    const [round] = result.rounds;
    assert.equal(round!.outcome, 'rejected');
    assert.ok(round!.comparison!.worse > 0);
    assert.match(round!.reason, /^not better/);
    assert.ok(round!.candidateEvalId);
    assert.equal(round!.promotionId, null);
    assert.equal(await rt.store.activePromotion('triage'), undefined);
  });

  it('leaves an authority-widening candidate pending for a person', async () => {
    const spec = proposer('wider', {
      rationale: 'escalate refunds, and list the folder',
      changes: { escalation: [MONEY_RULE], tools: ['fs.read', 'fs.write', 'fs.list'] },
    });
    const result = await improve(options(spec));
    const [round] = result.rounds;
    assert.equal(round!.outcome, 'pending', round!.reason);
    assert.match(round!.reason, /tools: new fs\.list/);
    const promotion = await rt.store.getPromotion(round!.promotionId!);
    assert.equal(promotion!.status, 'pending');
    assert.equal(await rt.store.activePromotion('triage'), undefined);
  });

  it('says why a narrowing candidate waits when its asker may not decide for the role', async () => {
    const spec = proposer('asker', { rationale: 'escalate refunds', changes: { escalation: [MONEY_RULE] } });
    const people = { people: [{ name: 'alice', decides: ['other-role'] }], groups: {} };
    const result = await improve(options(spec, { people }));
    const [round] = result.rounds;
    assert.equal(round!.outcome, 'pending', round!.reason);
    assert.equal((await rt.store.getPromotion(round!.promotionId!))!.widening.length, 0);
    assert.match(round!.reason, /waits for a person: alice may not decide for triage$/);
  });

  it('does not evaluate a widening candidate that could reach past the eval copy (shell, modules)', async () => {
    const spec = proposer('shell', {
      rationale: 'run a command to check',
      changes: { escalation: [MONEY_RULE], tools: ['fs.read', 'fs.write', 'shell.exec'] },
    });
    const before = await loadRoleFile(join(dir, 'triage.yaml'));
    const [round] = (await improve(options(spec, { repeat: 1 }))).rounds;
    assert.equal(round!.outcome, 'invalid');
    assert.match(
      round!.reason,
      /widens authority \(tools: new shell\.exec\).*can call shell\.exec.*not evaluated/,
    );
    assert.equal(round!.candidateEvalId, null);
    // Only the active version was stored and evaluated.
    assert.deepEqual(
      (await rt.store.listRoleVersions('triage')).map((v) => v.version),
      [before.version],
    );
    assert.equal((await rt.store.listEvalResults({ role: 'triage' })).length, 1);
  });

  it('records an invalid proposal and changes nothing else', async () => {
    const before = await loadRoleFile(join(dir, 'triage.yaml'));
    const roleText = readFileSync(join(dir, 'triage.yaml'), 'utf8');
    const model = proposer('model', { rationale: 'a better model', changes: { model: 'anthropic:x' } });
    const tool = proposer('tool', { rationale: 'a new tool', changes: { tools: ['no.such.tool'] } });
    const shape = proposer('shape', { rationale: 'nothing', changes: {} });
    for (const spec of [model, tool, shape]) {
      const [round] = (await improve(options(spec, { repeat: 1 }))).rounds;
      assert.equal(round!.outcome, 'invalid');
      assert.equal(round!.candidateVersion, null);
    }
    const rounds = await rt.store.listImprovementRounds({ role: 'triage' });
    assert.deepEqual(
      rounds.map((r) => r.outcome),
      ['invalid', 'invalid', 'invalid'],
    );
    assert.match(rounds[2]!.reason, /changes model, which a proposal may not change/);
    assert.match(rounds[1]!.reason, /unknown tool 'no.such.tool'/);
    // The engine checks the proposer's answer against its output schema (changes: at least one key).
    assert.match(rounds[0]!.reason, /the proposer's run run_\w+ ended failed/);
    assert.deepEqual(
      (await rt.store.listRoleVersions('triage')).map((v) => v.version),
      [before.version],
    );
    assert.equal(readFileSync(join(dir, 'triage.yaml'), 'utf8'), roleText);
    assert.equal(await rt.store.activePromotion('triage'), undefined);
  });

  it('never shows held-out cases to the proposer (from what its model received)', async () => {
    const spec = proposer('heldout', {
      rationale: 'escalate refunds',
      changes: { escalation: [MONEY_RULE] },
    });
    await improve(options(spec, { repeat: 1 }));
    const received = readFileSync(join(dir, 'heldout.requests.jsonl'), 'utf8');
    assert.ok(received.length > 0);
    // The training cases and their failures reached it...
    assert.match(received, /refund-escalates/);
    assert.match(received, /a refund please/);
    // ...no part of the held-out case did.
    assert.doesNotMatch(received, /HOLDOUT/);
    assert.doesNotMatch(received, /chargeback filed/);
    assert.ok(existsSync(join(dir, 'heldout.requests.jsonl')));
  });

  it('refuses past --max-cost before anything runs', async () => {
    const file = join(dir, 'priced.proposer.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        turns: [{ final: { rationale: 'x', changes: { instructions: 'y' } }, usage: { costUsd: 0.5 } }],
      }),
    );
    await assert.rejects(improve(options(`script:${file}`, { rounds: 3, maxCostUsd: 1 })), {
      code: 'BUDGET_EXCEEDED',
    });
    assert.deepEqual(await rt.store.listImprovementRounds({ role: 'triage' }), []);
    assert.deepEqual(await rt.store.listEvalResults({ role: 'triage' }), []);
  });
});
