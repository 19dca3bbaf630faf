// A command against a Postgres that cannot be reached says the connection failed, not what it was about
// to do with it. No Postgres needed: a loopback port nothing listens on refuses the connection.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

describe('Postgres store: a connection that fails', () => {
  it('is "connecting … failed", exit 1 (a read-only `runs`)', async () => {
    const port = await closedPort();
    const res = await runCli(['runs'], {
      env: { NIGHTSHIFT_DATABASE_URL: `postgres://nightshift:pw-9c1e@127.0.0.1:${port}/nightshift` },
    });
    assert.equal(res.code, 1, res.stderr);
    // before: "Postgres store: migrating failed: connect ECONNREFUSED …".
    assert.match(
      res.stderr,
      /\[STORE_ERROR\]: Postgres store: connecting failed: connect ECONNREFUSED .*could not be reached/,
    );
    assert.doesNotMatch(res.stderr, /pw-9c1e/);
  });
});
