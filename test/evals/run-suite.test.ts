// runSuite against the shipped examples (a clean copy): cases run for real with the scripted model, each in
// its own store and workspace copy; results are stored against the role version in the project's store,
// compared with the baseline, and a safety case that breaks fails the suite.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NightshiftError } from '../../src/errors.js';
import { runSuite } from '../../src/evals/run-suite.js';
import { loadSuite } from '../../src/evals/suite-file.js';
import { wilson } from '../../src/evals/wilson.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { exampleProject } from '../support/examples.js';
import { fileTree } from '../support/file-tree.js';

const project = exampleProject('nightshift-run-suite-');
const ex = (...p: string[]) => join(project.path, 'examples', ...p);
let store: Store;

before(async () => {
  store = openSqliteStore({ path: join(project.path, 'live.db') });
  await store.init();
});
after(async () => {
  await store.close();
  project.cleanup();
});

function write(file: string, text: string): string {
  writeFileSync(file, text);
  return file;
}

describe('runSuite', () => {
  it('passes the refund-desk suite and stores the result against the role version', async () => {
    const role = await loadRoleFile(ex('roles', 'refund-desk.yaml'));
    const result = await runSuite(role, loadSuite(role.evals!), { store });
    assert.equal(result.ok, true, JSON.stringify(result.runs.filter((r) => !r.passed)));
    assert.deepEqual(
      result.runs.map((r) => [r.name, r.passed, r.score]),
      [
        ['drafts-reply-and-refund', true, 1],
        ['answers-with-the-refund', true, 1],
        ['big-refund-goes-to-a-manager', true, 1],
        ['legal-threat-escalates', true, 1],
      ],
    );
    const [stored] = await store.listEvalResults({ role: 'refund-desk', suite: 'refund-desk' });
    assert.equal(stored!.roleVersion, role.version);
    assert.equal(stored!.passed, true);
    assert.deepEqual(stored!.cases, result.cases);
  });

  it("leaves the live store's runs and the real workspaces untouched", async () => {
    const workspaces = fileTree(ex('workspaces'));
    const runsBefore = (await store.listRuns({ limit: 10_000 })).length;
    for (const name of ['dependency-janitor', 'ops-monitor', 'refund-desk']) {
      const role = await loadRoleFile(ex('roles', `${name}.yaml`));
      const result = await runSuite(role, loadSuite(role.evals!), { store, concurrency: 2 });
      assert.equal(result.ok, true, `${name}: ${result.runs.map((r) => r.reason).join('; ')}`);
    }
    assert.equal((await store.listRuns({ limit: 10_000 })).length, runsBefore);
    assert.equal(runsBefore, 0);
    // dependency-janitor wrote UPGRADES.md, in its copy only.
    assert.deepEqual(fileTree(ex('workspaces')), workspaces);
  });

  it('fails a broken safety case, names the regression, and keeps the failure on record', async () => {
    // A new version of refund-desk whose manager limit moved from 100 to 1000 USD: the big refund is drafted.
    const text = readFileSync(ex('roles', 'refund-desk.yaml'), 'utf8').replace('gt: 100 }', 'gt: 1000 }');
    const weakened = await loadRoleFile(write(ex('roles', 'refund-desk-weak.yaml'), text));
    const suite = loadSuite(ex('roles', 'refund-desk.evals.yaml'));
    const result = await runSuite(weakened, suite, { store });
    const original = await loadRoleFile(ex('roles', 'refund-desk.yaml'));
    assert.notEqual(weakened.version, original.version);
    const broken = result.runs.find((r) => r.name === 'big-refund-goes-to-a-manager')!;
    assert.equal(broken.passed, false);
    assert.match(broken.reason!, /status: expected status escalated, got awaiting_approval/);
    assert.match(broken.reason!, /policy.escalate: expected an escalation \(money\), got none/);
    assert.deepEqual(result.safetyFailures, ['big-refund-goes-to-a-manager']);
    assert.deepEqual(result.regressions, ['big-refund-goes-to-a-manager']);
    assert.equal(result.baseline?.roleVersion, original.version);
    assert.equal(result.passed, false);
    assert.equal(result.ok, false);
    const [stored] = await store.listEvalResults({ role: 'refund-desk', roleVersion: weakened.version });
    assert.equal(stored!.passed, false);
    // Even with a threshold it meets (3 of 4), a failed safety case fails the suite.
    const lenient = await runSuite(weakened, suite, { threshold: 0.5 });
    assert.equal(lenient.passRate, 0.75);
    assert.equal(lenient.passed, false);
  });

  it('repeats every case and gives the pass rate a Wilson interval', async () => {
    const role = await loadRoleFile(ex('roles', 'ops-monitor.yaml'));
    const result = await runSuite(role, loadSuite(role.evals!), { repeat: 3, concurrency: 4 });
    assert.equal(result.runs.length, 9);
    assert.deepEqual(
      result.cases.map((c) => [c.name, c.runs, c.passes]),
      [
        ['write-denied-and-escalated', 3, 3],
        ['reports-an-unhealthy-service', 3, 3],
        ['no-service-named-is-ambiguous', 3, 3],
      ],
    );
    assert.deepEqual(result.ci, wilson(9, 9));
    assert.ok(result.ci.low > 0.6 && result.ci.low < 0.8);
  });

  it('refuses past --max-cost before running anything, and when the cost cannot be estimated', async () => {
    const role = await loadRoleFile(ex('roles', 'refund-desk.yaml'));
    write(
      ex('roles', 'evals', 'pricey.script.yaml'),
      'turns:\n  - final: { summary: ok }\n    usage: { costUsd: 0.4 }\n',
    );
    const pricey = loadSuite(
      write(
        ex('roles', 'pricey.evals.yaml'),
        'cases:\n  - name: one\n    input: { ticket: T-1 }\n    model: script:./evals/pricey.script.yaml\n',
      ),
    );
    let told = -1;
    await assert.rejects(
      runSuite(role, pricey, { store, repeat: 2, maxCostUsd: 0.5, onEstimate: (e) => (told = e.usd) }),
      (err) =>
        NightshiftError.isInstance(err) &&
        err.code === 'BUDGET_EXCEEDED' &&
        /0\.8000 USD, over --max-cost 0\.5/.test(err.message),
    );
    assert.equal(told, 0.8);
    assert.deepEqual(await store.listEvalResults({ role: 'refund-desk', suite: 'pricey' }), []);
    const within = await runSuite(role, pricey, { maxCostUsd: 0.5 });
    assert.equal(within.costUsd, 0.4);
    const unpriced = loadSuite(
      write(
        ex('roles', 'unpriced.evals.yaml'),
        'cases:\n  - name: one\n    model: openai-compatible:llama@http://127.0.0.1:9/v1\n',
      ),
    );
    await assert.rejects(
      runSuite(role, unpriced, { maxCostUsd: 10 }),
      /no price is known for openai-compatible:llama/,
    );
  });

  it('runs a free suite whole under --max-cost 0: estimated at 0, it is not over it', async () => {
    // `spent >= maxCostUsd` stopped every case before it started (0 >= 0), and stored a FAILED result.
    const role = await loadRoleFile(ex('roles', 'refund-desk.yaml'));
    const result = await runSuite(role, loadSuite(role.evals!), { maxCostUsd: 0 });
    assert.deepEqual(
      result.runs.filter((r) => !r.passed).map((r) => r.reason),
      [],
    );
    assert.equal(result.ok, true);
  });

  it('refuses a --baseline no passing result is stored for before running any case', async () => {
    // A wrong baseline is bad input: found out after the suite ran, the runs (and what they cost) were lost.
    const role = await loadRoleFile(ex('roles', 'refund-desk.yaml'));
    let ran = 0;
    await assert.rejects(
      runSuite(role, loadSuite(role.evals!), { store, baseline: 'deadbeef', onCase: () => ran++ }),
      (err) =>
        NightshiftError.isInstance(err) && err.code === 'USAGE' && /--baseline deadbeef/.test(err.message),
    );
    assert.equal(ran, 0);
  });

  it('grades with a scripted judge, within its own budget', async () => {
    const role = await loadRoleFile(ex('roles', 'refund-desk.yaml'));
    const judge = (name: string, score: number, cost: number) =>
      write(
        ex('roles', 'evals', `${name}.script.yaml`),
        `turns:\n  - final: { score: ${score}, reason: "the reply names the order" }\n    usage: { costUsd: ${cost} }\n`,
      );
    judge('judge-good', 0.9, 0.01);
    judge('judge-bad', 0.3, 0.01);
    judge('judge-dear', 0.9, 0.5);
    const cases = ['judge-good', 'judge-bad', 'judge-dear']
      .map(
        (j) => `  - name: ${j}
    input: { ticket: T-1 }
    model: script:./evals/refund-desk.answer.script.yaml
    grader: { model: script:./evals/${j}.script.yaml, rubric: "names the order and the amount", passScore: 0.7, maxCostUsd: 0.1 }
`,
      )
      .join('');
    const result = await runSuite(
      role,
      loadSuite(write(ex('roles', 'judged.evals.yaml'), `cases:\n${cases}`)),
    );
    const [good, bad, dear] = result.runs;
    assert.equal(good!.passed, true);
    assert.equal(good!.score, (1 + 0.9) / 2);
    assert.equal(bad!.passed, false);
    assert.match(bad!.reason!, /grader: judged 0.3 \(pass 0.7\): the reply names the order/);
    assert.equal(dear!.passed, false);
    assert.match(dear!.reason!, /the judge cost 0.5 USD, over its budget of 0.1/);
    assert.equal(result.costUsd, 0.52);
  });

  it('replays a recorded conversation as the model', async () => {
    const role = await loadRoleFile(ex('roles', 'refund-desk.yaml'));
    // Record a run the way a user would keep one: `nightshift show <run> --json` of a real run.
    const rt = await createRuntime({ dataDir: join(project.path, 'recording') });
    const answer = `script:${ex('roles', 'evals', 'refund-desk.answer.script.yaml')}`;
    const recorded = await rt.run(role, { ticket: 'T-1' }, { model: answer });
    write(ex('roles', 'evals', 'recorded.json'), JSON.stringify(await rt.get(recorded.runId)));
    await rt.close();
    const suite = loadSuite(
      write(
        ex('roles', 'replay.evals.yaml'),
        `cases:
  - name: replayed
    input: { ticket: T-1 }
    replay: ./evals/recorded.json
    expect:
      output: { includes: { refundUsd: 40 } }
      tools: { called: [fs.read] }
`,
      ),
    );
    const result = await runSuite(role, suite);
    assert.equal(result.ok, true, result.runs[0]!.reason);
  });
});
