// A continuous agent whose worker hangs: a tool blocks the event loop, so the process lives but neither
// heartbeats nor renews anything. Two real `nightshift serve` workers share one SQLite file, started with
// the default `--lease-ms` (30 s) and an agent lease of 2 s. docs/deployment.md ("Continuous mode"): a
// worker that hangs stops renewing; `leaseSeconds` after its last heartbeat another worker takes the agent
// over and continues the interrupted run. Before the fix the handling's run was leased for `--lease-ms`,
// so the other worker held the agent but could not continue its run for up to 30 s.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { fixtures } from '../support/paths.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();

interface ShownAgent {
  status: string;
  owner: string | null;
  takeovers: number;
  context: unknown;
}

describe('continuous agent: a worker hung in a tool (blocked event loop)', () => {
  it('is detected: another worker takes the agent and continues its run within about leaseSeconds', async () => {
    const r = role({
      name: 'sentinel',
      autonomy: 'full',
      tools: ['loop.block'],
      ledgerTools: false,
      turns: [{ call: 'loop.block', args: { tag: 'E-1' } }, { final: { context: { seen: 1 } } }],
      extra: {
        toolModules: [fixtures('tools', 'event-loop-block.ts')],
        mode: 'continuous',
        continuous: { leaseSeconds: 2, heartbeatSeconds: 0.5 },
        triggers: [{ event: 'alert' }],
      },
    });
    // No --lease-ms: the worker's default run lease (30 s) is what the agent's 2 s must not wait for.
    const args = [r.dir, '--port', '0', '--poll-ms', '50', '--data-dir', r.dataDir];
    const agent = async () =>
      json<{ agents: ShownAgent[] }>(await runCli(['status', '--json', '--data-dir', r.dataDir])).agents[0];
    const reachedBy = (child: Served['child']) => existsSync(join(r.workspace, `reached-E-1-${child.pid}`));
    const served: Served[] = [];
    try {
      const a = await startServe(args);
      served.push(a);
      await waitFor(
        async () => ((await agent())?.owner?.includes(`/${a.child.pid}/`) ? true : undefined),
        'A',
      );
      const b = await startServe(args);
      served.push(b);
      // Sent through B: A's event loop is about to stop.
      const sent = await runCli(['emit', 'alert', '{"id":"E-1"}', '--url', b.url, '--data-dir', r.dataDir], {
        env: { NIGHTSHIFT_TOKEN: b.token },
      });
      assert.equal(sent.code, 0, sent.stderr);
      await waitFor(async () => (reachedBy(a.child) ? true : undefined), 'A blocked in the tool');
      const hungAt = Date.now();

      await waitFor(async () => (reachedBy(b.child) ? true : undefined), 'B to continue the run', 60_000);
      const continuedMs = Date.now() - hungAt;
      process.stdout.write(
        `# B continued the hung worker's run ${continuedMs} ms after it hung (lease 2 s)\n`,
      );
      // Well under the 30 s run lease (its last renewal came at most 10 s before the hang): the agent's lease.
      assert.ok(continuedMs < 15_000, `continued ${continuedMs} ms after the hang, not within about 2 s`);

      // Both released: B finishes; A wakes in a run it no longer holds and commits nothing.
      writeFileSync(join(r.workspace, 'release-E-1'), '');
      const done = await waitFor(async () => {
        const ag = await agent();
        return ag?.status === 'idle' && ag.owner?.includes(`/${b.child.pid}/`) ? ag : undefined;
      }, 'E-1 handled by B');
      assert.deepEqual(done.context, { seen: 1 });
      assert.equal(done.takeovers, 1);
      // Let A act on what it thought it held, then check nothing moved (a graceful stop waits for its run).
      a.child.kill('SIGTERM');
      await a.done;
      const after = (await agent())!;
      assert.ok(after.owner?.includes(`/${b.child.pid}/`), `B keeps the agent (${after.owner})`);
      assert.deepEqual(after.context, { seen: 1 });
      assert.equal(
        readFileSync(join(r.workspace, 'ledger.txt'), 'utf8').split('\n').filter(Boolean).length,
        1,
        'the idempotent call was made once per key',
      );
      const runs = json<{ status: string }[]>(await runCli(['runs', '--json', '--data-dir', r.dataDir]));
      assert.deepEqual(
        runs.map((x) => x.status),
        ['succeeded'],
      );
    } finally {
      for (const s of served) s.child.kill('SIGKILL');
      await Promise.all(served.map((s) => s.done));
    }
  });
});
