// SIGTERM gives running steps `--grace-ms` to finish; what is left is continued by the next worker
// (docs/deployment.md). A model call still in flight when the grace is over is aborted, as on a lost
// lease: the process exits then, not when the call returns (it used to linger until then, minutes with a
// slow provider, holding the run's lease, and its late commit failed on the closed store with a
// misleading "run failed in worker"). The run is left `running` for the next worker, not failed. Real
// `serve` process and SQLite file; the model is scripted with a 60 s turn.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

describe('serve: SIGTERM with a run in flight past the grace', () => {
  const made: TestRole[] = [];
  const started: Served[] = [];
  after(() => {
    for (const served of started) served.child.kill('SIGKILL');
    for (const r of made) r.cleanup();
  });

  it('stops the run where it is once the grace is over, exits, and leaves the run to the next worker', async () => {
    const r = writeTestRole({
      name: 'slow',
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [{ final: { done: true }, delayMs: 60_000 }],
      extra: { triggers: [{ event: 'slow.go' }] },
    });
    made.push(r);
    const served = await startServe([r.dir, '--port', '0', '--grace-ms', '300', '--data-dir', r.dataDir]);
    started.push(served);
    const res = await fetch(`${served.url}/events/slow.go`, {
      method: 'POST',
      headers: { ...served.auth, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 202);
    const { runs } = (await res.json()) as { runs: { runId: string }[] };
    const runId = runs[0]!.runId;
    // The worker has taken it and is waiting on the model.
    await waitFor(async () => {
      const list = json<{ runId: string; status: string }[]>(
        await runCli(['runs', '--json', '--data-dir', r.dataDir]),
      );
      return list.find((x) => x.runId === runId)?.status === 'running' ? true : undefined;
    }, 'the run to be running');
    const t0 = Date.now();
    served.child.kill('SIGTERM');
    const exit = await Promise.race([
      served.done,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 20_000).unref()),
    ]);
    assert.notEqual(exit, 'still running', 'serve exits soon after the grace, not when the model answers');
    assert.ok(Date.now() - t0 < 20_000);
    assert.doesNotMatch(served.stdout(), /run failed in worker/);
    const shown = json<{ status: string }>(await runCli(['show', runId, '--json', '--data-dir', r.dataDir]));
    assert.equal(shown.status, 'running', 'left for the next worker to continue, not failed');
  });
});
