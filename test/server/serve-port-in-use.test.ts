// `serve` on a port something else holds exits 1 at once, saying so (docs/cli.md), instead of printing the
// error and working on unreachable: the worker, the notifier and the versions watch it had started stop.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { startCli } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';

describe('serve on a port in use', () => {
  it('exits 1 with LISTEN_FAILED naming the address, and runs nothing', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    const r = writeTestRole({ name: 'porty', autonomy: 'full', tools: [], turns: [{ final: {} }] });
    try {
      const cli = startCli(['serve', r.dir, '--port', String(port), '--data-dir', r.dataDir]);
      // Before the fix the process never exited: killed here after 30 s, it fails the exit code check.
      const kill = setTimeout(() => cli.child.kill('SIGKILL'), 30_000);
      const out = await cli.done.finally(() => clearTimeout(kill));
      assert.equal(out.code, 1, out.stderr);
      assert.match(out.stderr, new RegExp(`LISTEN_FAILED.*127\\.0\\.0\\.1:${port}: the port is in use`));
      assert.doesNotMatch(out.stdout + out.stderr, /database connection is not open/);
    } finally {
      holder.close();
      r.cleanup();
    }
  });
});
