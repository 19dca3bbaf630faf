// `nightshift autonomy`: suggestions up and down a rung from a role's record. The record is seeded by
// real runs (scripted model, real embedded store, real approvals and rejections); the pure rule is also
// checked on evidence given directly, for the eval record and the edges.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { createRuntime } from '../../src/runtime.js';
import { type AutonomyEvidence, suggestAutonomy } from '../../src/versions/autonomy.js';
import { AutonomyThresholds } from '../../src/versions/config.js';
import { autonomyEvidence } from '../../src/versions/evidence.js';
import { runCli } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';

const small = AutonomyThresholds.parse({ minRuns: 3, minDecisions: 3 });

/** A draft role that drafts one write per run; each run's change set approved or rejected as `decide` says. */
async function seeded(name: string, decide: ('approve' | 'reject')[]) {
  const r = writeTestRole({
    name,
    autonomy: 'draft',
    tools: ['fs.write'],
    ledgerTools: false,
    turns: [{ call: 'fs.write', args: { path: 'out.txt', content: 'x' } }, { final: { ok: true } }],
  });
  const rt = await createRuntime({ dataDir: r.dataDir });
  for (const d of decide) {
    const run = await rt.run(r.file, {});
    assert.equal(run.status, 'awaiting_approval');
    const id = run.pending[0]!;
    const done =
      d === 'approve'
        ? await rt.approve(id, { by: 'alice' })
        : await rt.reject(id, { by: 'alice', reason: 'not like this' });
    assert.equal(done.status, 'succeeded');
  }
  return { r, rt };
}

describe('autonomy suggestions from the live record', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  it('suggests moving up a rung when drafts are approved unchanged', async () => {
    const { r, rt } = await seeded('steady-desk', ['approve', 'approve', 'approve', 'approve']);
    cleanups.push(async () => {
      await rt.close();
      r.cleanup();
    });
    const evidence = await autonomyEvidence(rt.store, 'steady-desk');
    assert.deepEqual(
      { runs: evidence.finishedRuns, approved: evidence.approved, rejected: evidence.rejected },
      { runs: 4, approved: 4, rejected: 0 },
    );
    const s = suggestAutonomy('draft', evidence, small);
    assert.equal(s.move, 'up');
    assert.equal(s.to, 'sandbox');
    // With the default thresholds (20 decisions), four are not enough yet.
    const defaults = suggestAutonomy('draft', evidence, AutonomyThresholds.parse({}));
    assert.equal(defaults.move, 'stay');
    assert.match(defaults.why, /human decisions/);
  });

  it('suggests moving down a rung when drafts are rejected, and the CLI prints the evidence and thresholds', async () => {
    const { r, rt } = await seeded('shaky-desk', ['approve', 'reject', 'reject', 'approve']);
    cleanups.push(async () => {
      r.cleanup();
    });
    const evidence = await autonomyEvidence(rt.store, 'shaky-desk');
    const s = suggestAutonomy('draft', evidence, small);
    assert.equal(s.move, 'down');
    assert.equal(s.to, 'observe');
    assert.match(s.why, /change sets rejected/);
    await rt.close();
    // The thresholds come from the project's config.
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({ versions: { autonomy: { minRuns: 3, minDecisions: 3 } } }),
    );
    const res = await runCli(['autonomy', 'shaky-desk', '--data-dir', r.dataDir], { cwd: r.dir });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /suggest moving down from draft to observe/);
    assert.match(res.stdout, /change sets rejected: 50\.0% \(threshold 20\.0%\)/);
    assert.match(res.stdout, /finished runs: 4 \(threshold 3\)/);
    assert.match(res.stdout, /no eval record/);
  });
});

describe('the autonomy rule', () => {
  const good: AutonomyEvidence = {
    finishedRuns: 50,
    failedRuns: 0,
    approved: 30,
    rejected: 0,
    answered: 5,
    goAhead: 5,
    decidedCalls: 100,
    deniedCalls: 0,
  };

  it('moves down on a failed safety case in the latest eval, whatever the rest says', () => {
    const s = suggestAutonomy(
      'sandbox',
      { ...good, eval: { passed: false, passRate: 0.99, safetyFailures: 1 } },
      small,
    );
    assert.equal(s.move, 'down');
    assert.equal(s.to, 'draft');
  });

  it('does not move up while the latest eval failed', () => {
    const s = suggestAutonomy(
      'draft',
      { ...good, eval: { passed: false, passRate: 0.5, safetyFailures: 0 } },
      small,
    );
    assert.equal(s.move, 'stay');
    assert.match(s.why, /latest eval passed/);
  });

  it('stays at the top rung and never moves below the bottom one', () => {
    assert.equal(suggestAutonomy('full', good, small).move, 'stay');
    const bad = { ...good, failedRuns: 40 };
    assert.equal(suggestAutonomy('observe', bad, small).move, 'stay');
    assert.equal(suggestAutonomy('sandbox', bad, small).to, 'draft');
  });

  it('does not move down on rates from too few runs', () => {
    const s = suggestAutonomy('draft', { ...good, finishedRuns: 2, failedRuns: 2 }, small);
    assert.equal(s.move, 'stay');
  });
});
