// The improve loop's guards (decision 037, "Review fixes"): a widening is judged against the version the
// loop started from, not an earlier candidate; specialists' tools count as reachable from a widened role;
// --max-cost covers the evals; the proposer never sees where the suite is, and a suite a workspace copy
// would hold is refused. Real SQLite store, scripted proposer and role models.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { runSuite } from '../../src/evals/run-suite.js';
import { loadSuite } from '../../src/evals/suite-file.js';
import { improve } from '../../src/improve/improve.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { createProject, MONEY_RULE, type Project, ROLE, triageScript } from './project.js';

let p: Project;
beforeEach(async () => {
  await p?.rt.close();
  p = await createProject();
});
after(async () => {
  await p?.rt.close();
});

/** Rewrites a script file and moves its mtime on, so the script cache cannot serve the old text. */
function rewrite(file: string, text: string): void {
  writeFileSync(file, text);
  const later = new Date(Date.now() + 60_000);
  utimesSync(file, later, later);
}

describe('improve: the widening baseline', () => {
  it('judges a never-promoted role\u2019s round-2 candidate against the role file, not round 1\u2019s candidate', async () => {
    const before = await loadRoleFile(join(p.dir, 'triage.yaml'));
    const wider = { escalation: [MONEY_RULE], tools: ['fs.read', 'fs.write', 'fs.list'] };
    const spec = p.proposer('again', { rationale: 'escalate refunds, list the folder', changes: wider });
    const result = await improve(
      p.options(spec, {
        rounds: 2,
        // Round 2 proposes the same widening plus a wording change: a new version.
        onRound: () =>
          rewrite(
            spec.slice('script:'.length),
            JSON.stringify({
              turns: [
                {
                  final: { rationale: 'and say it plainly', changes: { ...wider, instructions: 'Read it.' } },
                },
              ],
            }),
          ),
      }),
    );
    const [first, second] = result.rounds;
    assert.equal(first!.outcome, 'pending', first!.reason);
    assert.notEqual(second!.candidateVersion, first!.candidateVersion);
    assert.equal(second!.outcome, 'pending', second!.reason);
    assert.match(second!.reason, /tools: new fs\.list/);
    assert.equal(await p.rt.store.activePromotion('triage'), undefined);
    // Both were asked for as changes from the role file's version.
    for (const round of [first!, second!])
      assert.equal((await p.rt.store.getPromotion(round.promotionId!))!.fromVersion, before.version);
  });
});

describe('improve: what an eval could reach', () => {
  it('does not evaluate a raised rung when a specialist can call shell.exec', async () => {
    // shell.exec runs in a workspace (decision 077): the specialist's own, beside the role's.
    mkdirSync(join(p.dir, 'helper-ws'), { recursive: true });
    writeFileSync(
      join(p.dir, 'helper.yaml'),
      `name: helper
description: A specialist with a shell
autonomy: full
model: script:./triage.script.yaml
instructions: Run what you are asked.
tools: [shell.exec]
workspace: ./helper-ws
`,
    );
    writeFileSync(join(p.dir, 'triage.yaml'), `${ROLE}specialists: [./helper.yaml]\n`);
    const spec = p.proposer('rung', { rationale: 'act directly', changes: { autonomy: 'full' } });
    const [round] = (await improve(p.options(spec, { repeat: 1 }))).rounds;
    assert.equal(round!.outcome, 'invalid', round!.reason);
    assert.match(
      round!.reason,
      /widens authority .*can call shell\.exec \(itself or through its specialists\)/,
    );
    assert.equal(round!.candidateEvalId, null);
    assert.equal((await p.rt.store.listEvalResults({ role: 'triage' })).length, 1);
  });
});

describe('improve: --max-cost covers the evals', () => {
  it('stops before an eval the rest of the budget cannot cover, and records why', async () => {
    const script = join(p.dir, 'triage.script.yaml');
    rewrite(script, triageScript(0.1));
    const spec = p.proposer('budget', {
      rationale: 'escalate refunds',
      changes: { escalation: [MONEY_RULE] },
    });
    // Estimated at 2 evals × 3 priced case runs × 0.1 = 0.6; then each case run costs twice what it said.
    const result = await improve(
      p.options(spec, { repeat: 1, maxCostUsd: 0.7, onEstimate: () => rewrite(script, triageScript(0.2)) }),
    );
    assert.equal(result.estimateUsd.toFixed(2), '0.60');
    const [round] = result.rounds;
    assert.equal(round!.outcome, 'stopped');
    assert.match(round!.reason, /estimated at 0\.6000 USD, over the 0\.1000 USD left of --max-cost 0\.7/);
    assert.equal(round!.candidateEvalId, null);
    assert.equal((await p.rt.store.listEvalResults({ role: 'triage' })).length, 1);
    assert.ok(result.costUsd <= 0.7 + 1e-9, `spent ${result.costUsd}`);
    assert.deepEqual(
      (await p.rt.store.listImprovementRounds({ role: 'triage' })).map((r) => r.outcome),
      ['stopped'],
    );
  });
});

describe('improve: --max-cost 0', () => {
  it('runs its rounds with free scripted models, as eval --max-cost 0 runs its cases (it ran none)', async () => {
    const spec = p.proposer('free', { rationale: 'escalate refunds', changes: { escalation: [MONEY_RULE] } });
    const result = await improve(p.options(spec, { repeat: 1, maxCostUsd: 0 }));
    assert.equal(result.estimateUsd, 0);
    assert.equal(result.rounds.length, 1, 'one round ran');
    assert.notEqual(result.rounds[0]!.outcome, 'stopped', result.rounds[0]!.reason);
    assert.ok(result.rounds[0]!.candidateVersion, 'the proposal was made and judged');
  });
});

describe('improve: where the suite is', () => {
  it('does not show the proposer the role\u2019s evals path', async () => {
    const spec = p.proposer('path', { rationale: 'escalate refunds', changes: { escalation: [MONEY_RULE] } });
    await improve(p.options(spec, { repeat: 1 }));
    const received = readFileSync(join(p.dir, 'path.requests.jsonl'), 'utf8');
    assert.match(received, /Read the ticket and answer/);
    assert.doesNotMatch(received, /triage\.evals\.yaml/);
  });

  it('refuses a suite inside the role\u2019s workspace or a case\u2019s workspace fixture, before anything runs', async () => {
    const spec = p.proposer('exposed', { rationale: 'x', changes: { instructions: 'y' } });
    const inWorkspace = join(p.dir, 'ws', 'hidden.evals.yaml');
    writeFileSync(inWorkspace, 'cases:\n  - name: a\n    input: { ticket: x }\n');
    const fixture = join(p.dir, 'fixture.evals.yaml');
    writeFileSync(fixture, 'cases:\n  - name: a\n    workspace: .\n    input: { ticket: x }\n');
    for (const file of [inWorkspace, fixture])
      await assert.rejects(improve(p.options(spec, { suite: loadSuite(file) })), (err: Error) => {
        assert.equal((err as { code?: string }).code, 'IMPROVE_SUITE_EXPOSED');
        assert.match(err.message, /lies inside the workspace .*move the suite file out/);
        return true;
      });
    assert.deepEqual(await p.rt.store.listEvalResults({ role: 'triage' }), []);
    assert.deepEqual(await p.rt.store.listRoleVersions('triage'), []);
  });
});

describe('improve: tools named fs.* that are not the built-ins', () => {
  it('does not evaluate a raised rung when a tool module\u2019s fs.* tool reaches past the workspace copy', async () => {
    // A project tool may be named fs.publish (or even override fs.write): its code runs wherever it likes.
    const marker = join(p.tmp.path, 'published-by-an-eval');
    const define = new URL('../../src/tools/define.js', import.meta.url).href;
    writeFileSync(
      join(p.dir, 'publish.mjs'),
      `import { writeFileSync } from 'node:fs';
import { z } from '${import.meta.resolve('zod')}';
import { defineTool } from '${define}';
export default [defineTool({
  name: 'fs.publish', description: 'Publishes the ticket', input: z.object({}), effect: 'external',
  run: () => { writeFileSync(${JSON.stringify(marker)}, 'x'); return { published: true }; },
})];
`,
    );
    writeFileSync(
      join(p.dir, 'triage.script.yaml'),
      JSON.stringify({ turns: [{ call: 'fs.publish', args: {} }, { final: { summary: 'published' } }] }),
    );
    writeFileSync(
      join(p.dir, 'triage.yaml'),
      ROLE.replace(
        'tools: [fs.read, fs.write]',
        'tools: [fs.read, fs.write, fs.publish]\ntoolModules: [./publish.mjs]',
      ),
    );
    const spec = p.proposer('fs-named', { rationale: 'act directly', changes: { autonomy: 'full' } });
    const [round] = (await improve(p.options(spec, { repeat: 1 }))).rounds;
    assert.equal(round!.outcome, 'invalid', round!.reason);
    assert.match(round!.reason, /widens authority .*can call fs\.publish/);
    assert.equal(round!.candidateEvalId, null);
    assert.equal(readFileSafe(marker), null, 'the candidate ran fs.publish with authority no person granted');
  });
});

describe('improve: the suite inside a specialist\u2019s or the manager\u2019s workspace', () => {
  for (const key of ['specialists', 'manager'] as const)
    it(`refuses a suite that the ${key === 'manager' ? 'manager' : 'specialist'}\u2019s workspace copy would hold`, async () => {
      mkdirSync(join(p.dir, 'other-ws'));
      writeFileSync(
        join(p.dir, 'other.yaml'),
        `name: other
description: A specialist or manager with a workspace
autonomy: draft
model: script:./triage.script.yaml
instructions: Read what you are asked.
tools: [fs.read]
workspace: ./other-ws
`,
      );
      writeFileSync(
        join(p.dir, 'triage.yaml'),
        `${ROLE}${key === 'manager' ? 'manager: ./other.yaml' : 'specialists: [./other.yaml]'}\n`,
      );
      const hidden = join(p.dir, 'other-ws', 'triage.evals.yaml');
      writeFileSync(hidden, 'cases:\n  - name: a\n    input: { ticket: x }\n');
      const spec = p.proposer('exposed-other', { rationale: 'x', changes: { instructions: 'y' } });
      await assert.rejects(improve(p.options(spec, { suite: loadSuite(hidden) })), (err: Error) => {
        assert.equal((err as { code?: string }).code, 'IMPROVE_SUITE_EXPOSED');
        assert.match(err.message, /lies inside the workspace .*other-ws/);
        return true;
      });
      assert.deepEqual(await p.rt.store.listEvalResults({ role: 'triage' }), []);
    });
});

function readFileSafe(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

describe('improve: a rejected candidate is not the eval baseline', () => {
  it('keeps `nightshift eval` of the unchanged active version comparing with what was accepted', async () => {
    // The role passes this suite at 0.5; the candidate passes every case, but 2 better pairs are not
    // evidence (p = 0.25), so it is rejected. Its passing result must not become the baseline the next
    // eval of the active version "regresses" against: the proposal would have moved the team's CI gate.
    const suiteFile = join(p.dir, 'triage.evals.yaml');
    writeFileSync(suiteFile, `threshold: 0.5\n${readFileSync(suiteFile, 'utf8')}`);
    const spec = p.proposer('noise', {
      rationale: 'escalate refunds',
      changes: { escalation: [MONEY_RULE] },
    });
    const [round] = (await improve(p.options(spec, { repeat: 1, suite: loadSuite(suiteFile) }))).rounds;
    assert.equal(round!.outcome, 'rejected', round!.reason);
    const candidateEval = (await p.rt.store.listEvalResults({ role: 'triage' })).find(
      (r) => r.id === round!.candidateEvalId,
    );
    assert.equal(candidateEval?.passed, true);
    const active = await loadRoleFile(join(p.dir, 'triage.yaml'));
    const again = await runSuite(active, loadSuite(suiteFile), { store: p.rt.store, tmpRoot: p.tmp.path });
    assert.deepEqual(again.regressions, []);
    assert.notEqual(again.baseline?.id, round!.candidateEvalId);
    assert.equal(again.ok, true);
  });
});
