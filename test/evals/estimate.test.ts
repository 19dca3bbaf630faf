// The cost estimate `--max-cost` judges before a suite runs: the role's model per case, and its
// specialists' (at any depth) too, so an orchestrator whose specialist is on a model with no known price
// is refused rather than estimated at 0.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { estimateCost } from '../../src/evals/estimate.js';
import { loadSuite } from '../../src/evals/suite-file.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { writeRoleTree } from '../support/delegation.js';

const input = { type: 'object', required: ['task'], properties: { task: { type: 'string' } } };

describe('eval cost estimate', () => {
  it("counts the specialists' models, at any depth, and names an unpriced one", async () => {
    const tree = writeRoleTree([
      { name: 'desk', autonomy: 'full', specialists: ['paid'], turns: [{ final: { done: true } }] },
      {
        name: 'paid',
        autonomy: 'full',
        specialists: ['local'],
        input,
        // A scripted specialist that declares what its one turn costs.
        turns: [{ final: { ok: true }, usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.05 } }],
      },
      {
        name: 'local',
        autonomy: 'full',
        input,
        turns: [{ final: { ok: true } }],
        extra: { model: 'openai-compatible:llama9@http://127.0.0.1:9/v1' },
      },
    ]);
    const suiteFile = join(tree.dir, 'desk.evals.yaml');
    writeFileSync(suiteFile, 'cases:\n  - name: one\n  - name: two\n');
    const suite = loadSuite(suiteFile);
    const role = await loadRoleFile(tree.file('desk'));
    const estimate = estimateCost(role, suite, suite.cases, 3);
    assert.deepEqual(estimate.unpriced, ['openai-compatible:llama9@http://127.0.0.1:9/v1']);
    // 2 cases × 3 repeats × the paid specialist's 0.05 (the desk's script costs nothing).
    assert.ok(Math.abs(estimate.usd - 0.3) < 1e-9, String(estimate.usd));
  });
});
