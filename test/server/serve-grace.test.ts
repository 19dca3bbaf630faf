// SIGTERM gives running steps `--grace-ms` to finish; what is left is continued by the next worker
// (docs/deployment.md). A model call still in flight when the grace is over is aborted, as on a lost
// lease: the process exits then, not when the call returns (it used to linger until then, minutes with a
// slow provider, holding the run's lease, and its late commit failed on the closed store with a
// misleading "run failed in worker"). The run is not failed: it goes back on the queue (`queued`, its
// lease released), so another worker takes it at once, not when the lease would have run out. Real
// `serve` processes and SQLite file; the model is scripted with a 60 s turn.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { fixtures } from '../support/paths.js';
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
    const shown = json<{ status: string; run: { leaseOwner: string | null } }>(
      await runCli(['show', runId, '--json', '--data-dir', r.dataDir]),
    );
    assert.equal(shown.status, 'queued', 'back on the queue for the next worker, not failed');
    assert.equal(shown.run.leaseOwner, null, 'its lease released');
  });

  it('exits after the grace also when a tool ignores its abort signal (a timer of its own would hold it)', async () => {
    const r = writeTestRole({
      name: 'deaf',
      autonomy: 'full',
      tools: ['deaf.wait'],
      ledgerTools: false,
      turns: [{ call: 'deaf.wait', args: {} }, { final: { done: true } }],
      extra: { triggers: [{ event: 'deaf.go' }], toolModules: [fixtures('tools', 'deaf.ts')] },
    });
    made.push(r);
    const served = await startServe([r.dir, '--port', '0', '--grace-ms', '300', '--data-dir', r.dataDir]);
    started.push(served);
    const res = await fetch(`${served.url}/events/deaf.go`, {
      method: 'POST',
      headers: { ...served.auth, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 202);
    const runId = ((await res.json()) as { runs: { runId: string }[] }).runs[0]!.runId;
    // The worker is inside the tool call (claimed, started).
    await waitFor(async () => {
      const shown = json<{ toolCalls: { status: string }[] }>(
        await runCli(['show', runId, '--json', '--data-dir', r.dataDir]),
      );
      return shown.toolCalls[0]?.status === 'started' ? true : undefined;
    }, 'the tool call to be under way');
    served.child.kill('SIGTERM');
    // The tool's own timer would keep the process up until its 60 s are over.
    const exit = await Promise.race([
      served.done,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000).unref()),
    ]);
    assert.notEqual(exit, 'still running', 'serve exits after the grace, not when the deaf tool returns');
    const shown = json<{ status: string; run: { leaseOwner: string | null } }>(
      await runCli(['show', runId, '--json', '--data-dir', r.dataDir]),
    );
    assert.equal(shown.status, 'queued', 'back on the queue for the next worker');
    assert.equal(shown.run.leaseOwner, null);
  });

  it('releases the lease of a run stopped after the grace: a worker already running takes it at once', async () => {
    const r = writeTestRole({
      name: 'slow',
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [{ final: { done: true }, delayMs: 60_000 }],
      extra: { triggers: [{ event: 'slow.go' }] },
    });
    made.push(r);
    // A lease far longer than the test: without the release the run would wait for it (or, on this host,
    // for the other worker's next sweep for dead holders, 15 s after its start).
    const flags = ['--port', '0', '--lease-ms', '120000', '--data-dir', r.dataDir];
    const first = await startServe([r.dir, ...flags, '--grace-ms', '300']);
    started.push(first);
    const res = await fetch(`${first.url}/events/slow.go`, {
      method: 'POST',
      headers: { ...first.auth, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 202);
    const runId = ((await res.json()) as { runs: { runId: string }[] }).runs[0]!.runId;
    const store = openSqliteStore({ dataDir: r.dataDir });
    await store.init();
    try {
      const holder = async (pid: number | undefined) => {
        const run = await store.getRun(runId);
        return run?.leaseOwner?.split('/')[1] === String(pid) ? run : undefined;
      };
      const taken = await waitFor(() => holder(first.child.pid), 'the first worker to take the run');
      assert.equal(taken.status, 'running');
      // The second worker is up (it has looked for dead holders once: there were none) before the first stops.
      const second = await startServe([r.dir, ...flags]);
      started.push(second);
      first.child.kill('SIGTERM');
      await first.done;
      const stoppedAt = Date.now();
      const retaken = await waitFor(
        () => holder(second.child.pid),
        'the second worker to take the run',
        60_000,
      );
      const waited = Date.now() - stoppedAt;
      assert.ok(
        waited < 8_000,
        `taken ${waited} ms after the first worker stopped: its lease was left to expire`,
      );
      assert.equal(retaken.status, 'running');
      assert.equal(retaken.attempt, 1, 'a clean stop is not counted as a crashed attempt');
      assert.ok(retaken.leaseEpoch > taken.leaseEpoch, 'a new acquisition, fenced from the old one');
    } finally {
      await store.close();
    }
  });
});
