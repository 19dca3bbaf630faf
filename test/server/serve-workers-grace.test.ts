// `serve --workers 2 --grace-ms 300`: the worker-only child drains with the parent's grace, not its own
// default (docs/deployment.md, "Settings"). The children get every resolved serve setting, so a flag the
// parent took reaches them too. A real serve with one forked child, sharing an embedded store; the model
// takes 60 s a turn, so each process holds a run in flight when SIGTERM comes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, runCli, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();

describe('serve --workers: the children drain with the parent grace', () => {
  it('a child holding a run exits within --grace-ms, not after its default', async () => {
    const r = role({
      name: 'slow',
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [{ final: { done: true }, delayMs: 60_000 }],
      extra: { triggers: [{ event: 'slow.go' }] },
    });
    const args = [r.dir, '--port', '0', '--workers', '2', '--concurrency', '1', '--grace-ms', '300'];
    // The variable the children fell back on: before, the child took NIGHTSHIFT_GRACE_MS (60 s here; 10 s
    // unset) and serve exited only when it had waited that out.
    const env = { NIGHTSHIFT_DATA_DIR: r.dataDir, NIGHTSHIFT_GRACE_MS: '60000' };
    const served = await startServe(args, { env });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${served.url}/events/slow.go`, {
          method: 'POST',
          headers: { ...served.auth, 'content-type': 'application/json' },
          body: '{}',
        });
        assert.equal(res.status, 202, await res.text());
      }
      // One slot per process: two runs running means the child holds one.
      await waitFor(async () => {
        const list = json<{ status: string }[]>(await runCli(['runs', '--json'], { env }));
        return list.filter((x) => x.status === 'running').length === 2 ? true : undefined;
      }, 'both processes to run one each');
      const t0 = Date.now();
      served.child.kill('SIGTERM');
      const exit = await Promise.race([
        served.done,
        new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 40_000).unref()),
      ]);
      assert.notEqual(exit, 'still running', 'serve and its child exit soon after the 300 ms grace');
      assert.ok(Date.now() - t0 < 40_000);
      // Each process says the grace it drains with.
      const graces = served
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"msg":"shutting down"'))
        .map((l) => (JSON.parse(l) as { graceMs: number; pid: number }).graceMs);
      assert.deepEqual(graces, [300, 300], served.stdout());
    } finally {
      served.child.kill('SIGKILL');
    }
  });
});
