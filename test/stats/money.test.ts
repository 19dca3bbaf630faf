// Money in stats and metrics is rounded to a nano-dollar (1e-9 USD): turns costing $0.10 and $0.20 add up
// to 0.30000000000000004 in binary floating point, which `stats --json`, the console and /metrics must
// show as 0.3. Runs are real (scripted turns with a known cost) and `stats` is the CLI as a child process.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roundUsd } from '../../src/money.js';
import { createRuntime } from '../../src/runtime.js';
import type { StatsReport } from '../../src/stats/report.js';
import { createServeMetrics } from '../../src/telemetry/metrics/index.js';
import { json, runCli } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';

describe('money in stats and metrics', () => {
  it('rounds to 1e-9 USD: 0.1 + 0.2 is 0.3, not 0.30000000000000004', async () => {
    assert.notEqual(0.1 + 0.2, 0.3, 'the float noise this test is about');
    assert.equal(roundUsd(0.1 + 0.2), 0.3);
    assert.equal(roundUsd(1.0000000004), 1);
    assert.equal(roundUsd(1.0000000006), 1.000000001);
    const r = writeTestRole({
      name: 'priced',
      autonomy: 'full',
      turns: [
        { call: 'ledger.append', args: { entry: 'a' }, usage: { costUsd: 0.1 } },
        { final: { done: true }, usage: { costUsd: 0.2 } },
      ],
    });
    const metrics = createServeMetrics({ roles: [], processMetrics: false });
    const rt = await createRuntime({ dataDir: r.dataDir, observers: [metrics.observer] });
    try {
      assert.equal((await rt.run(r.file, {})).status, 'succeeded');
      assert.equal((await rt.run(r.file, {})).status, 'succeeded');
      const text = (await metrics.render()).body;
      assert.doesNotMatch(text, /0\.(3|6)0000000000/, 'no float noise in /metrics');
      assert.match(text, /^nightshift_cost_usd_total\{[^}]*\} 0\.6$/m);
      assert.match(text, /^nightshift_run_cost_usd_sum\{[^}]*\} 0\.6$/m);
    } finally {
      await rt.close();
    }
    const res = await runCli(['stats', '--json', '--data-dir', r.dataDir], { cwd: r.dir });
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stdout, /0000000\d/, `no float noise in stats --json: ${res.stdout}`);
    const g = json<StatsReport>(res).groups[0]!;
    assert.equal(g.cost.totalUsd, 0.6);
    assert.equal(g.cost.perTask.meanUsd, 0.3);
    assert.equal(g.cost.perTask.p50, 0.3);
  });

  it("shows a cost total under a cent to 4 decimals in stats' text, not as $0.00", async () => {
    // before: two runs of $0.0015 printed "cost total $0.00; per task mean $0.0015".
    const r = writeTestRole({
      name: 'cheap',
      autonomy: 'full',
      turns: [{ final: { done: true }, usage: { costUsd: 0.0015 } }],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      assert.equal((await rt.run(r.file, {})).status, 'succeeded');
      assert.equal((await rt.run(r.file, {})).status, 'succeeded');
    } finally {
      await rt.close();
    }
    const res = await runCli(['stats', '--data-dir', r.dataDir], { cwd: r.dir });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /cost +total \$0\.0030; per task mean \$0\.0015/);
  });
});
