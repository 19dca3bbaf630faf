// serve's metrics count a specialist's child runs under the specialist's name, and the orchestrator's
// `delegate.<specialist>` calls under that tool's name, as `stats` does: the label sets come from the roles
// serve was given and the specialists they load, not only the former (which put them all under "other").
// A real runtime drives an orchestrator and its specialist on a SQLite store; the observer sees its commits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuntime, loadRoleFile } from '../../src/index.js';
import { createServeMetrics } from '../../src/telemetry/metrics/index.js';
import { TASK_INPUT, writeRoleTree } from '../support/delegation.js';
import { parseScrape } from '../support/prometheus.js';

describe('metrics of an orchestrator and its specialists', () => {
  it("labels a specialist's runs, turns, tools and cost with its own name", async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['billing'],
        turns: [
          { call: 'delegate.billing', args: { task: 'refund' }, usage: { inputTokens: 10, costUsd: 0.1 } },
          { final: { done: true }, usage: { inputTokens: 10, costUsd: 0.1 } },
        ],
      },
      {
        name: 'billing',
        autonomy: 'full',
        tools: ['ledger.append'],
        input: TASK_INPUT,
        turns: [
          { call: 'ledger.append', args: { entry: 'refund' }, usage: { inputTokens: 100, costUsd: 0.25 } },
          { final: { refunded: true }, usage: { inputTokens: 100, costUsd: 0.25 } },
        ],
      },
    ]);
    const desk = await loadRoleFile(tree.file('desk'));
    const metrics = createServeMetrics({ roles: [desk], processMetrics: false });
    const rt = await createRuntime({ dataDir: tree.dataDir, observers: [metrics.observer] });
    try {
      const run = await rt.run(desk, {});
      assert.equal(run.status, 'succeeded');
      const s = parseScrape((await metrics.render()).body);
      assert.equal(s.value('nightshift_runs_started_total', { role: 'billing' }), 1);
      assert.equal(
        s.value('nightshift_runs_finished_total', {
          role: 'billing',
          status: 'succeeded',
          error_code: 'none',
        }),
        1,
      );
      assert.equal(s.value('nightshift_cost_usd_total', { role: 'billing' }), 0.5);
      assert.equal(s.value('nightshift_cost_usd_total', { role: 'desk' }), 0.2);
      assert.equal(s.value('nightshift_tokens_total', { role: 'billing', direction: 'input' }), 200);
      assert.equal(
        s.value('nightshift_tool_calls_total', {
          role: 'billing',
          tool: 'ledger.append',
          outcome: 'succeeded',
        }),
        1,
      );
      assert.equal(
        s.value('nightshift_tool_decisions_total', {
          role: 'desk',
          tool: 'delegate.billing',
          decision: 'allow',
        }),
        1,
      );
      assert.equal(
        s.value('nightshift_tool_calls_total', {
          role: 'desk',
          tool: 'delegate.billing',
          outcome: 'succeeded',
        }),
        1,
      );
      // Nothing of either went to "other".
      for (const name of [
        'nightshift_runs_started_total',
        'nightshift_cost_usd_total',
        'nightshift_tool_calls_total',
      ])
        assert.deepEqual(
          s.series(name).filter((x) => x.labels.role === 'other' || x.labels.tool === 'other'),
          [],
          name,
        );
    } finally {
      await rt.close();
    }
  });
});
