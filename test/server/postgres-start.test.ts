// `nightshift serve` started while its Postgres is unreachable (docs/deployment.md, "Outages"): it waits
// for the database, logging it once, instead of exiting; it starts serving once the database answers; a
// SIGTERM meanwhile ends it cleanly (exit 0); a database that answers but refuses (no such database) fails
// the start at once (exit 1, STORE_ERROR). The database is made unreachable by a loopback TCP proxy that
// resets every connection (test/support/tcp-proxy.ts), never by stopping the shared server.
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { createTestToken, startCli } from '../support/cli.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { writeTestRole } from '../support/roles.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

const skip = await postgresUnavailable();

const through = (proxy: TcpProxy) => {
  const url = new URL(TEST_DATABASE_URL);
  url.host = `127.0.0.1:${proxy.port}`;
  return url.toString();
};

const startLines = (stdout: string) =>
  stdout.split('\n').filter((l) => l.includes('store unavailable at start'));

describe('serve started while Postgres is unreachable', { skip }, () => {
  it('waits for the database, logging it once, then serves and runs an event', async () => {
    const r = writeTestRole({
      name: 'pg-start',
      autonomy: 'full',
      tools: [],
      turns: [{ final: { summary: 'ok' } }],
      extra: { triggers: [{ event: 'job' }] },
    });
    const schema = freshSchema();
    const proxy = await startTcpProxy(Number(new URL(TEST_DATABASE_URL).port || 5432));
    proxy.refuse();
    const direct = { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema };
    const token = await createTestToken([], { env: direct });
    assert.ok(token, 'a token was created in the fresh schema');
    const serve = startCli(['serve', r.dir, '--port', '0', '--poll-ms', '50'], {
      env: { NIGHTSHIFT_DATABASE_URL: through(proxy), NIGHTSHIFT_DATABASE_SCHEMA: schema },
    });
    let stderr = '';
    serve.child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    try {
      await waitFor(
        async () => (startLines(serve.stdout()).length > 0 ? true : undefined),
        'the wait logged',
      );
      // Several attempts later (backoff from 0.1 s), it is still waiting, has said so once, and serves nothing.
      await waitFor(async () => (proxy.accepted() >= 4 ? true : undefined), 'four connection attempts');
      assert.equal(serve.child.exitCode, null, `serve exited while the database was unreachable: ${stderr}`);
      const lines = startLines(serve.stdout());
      assert.equal(lines.length, 1, lines.join('\n'));
      const line = JSON.parse(lines[0]!) as { code: string; reason: string; level: number };
      assert.equal(line.code, 'STORE_UNAVAILABLE');
      assert.match(line.reason, /could not be reached/);
      assert.doesNotMatch(stderr, /serving/);

      proxy.restore();
      const url = await waitFor(
        async () => /at (http:\/\/[^\s"]+)/.exec(stderr)?.[1],
        'serve to announce its URL',
        20_000,
      );
      // The URL came on stderr; the line before it on stdout may still be in its pipe.
      await waitFor(
        async () => (/store available again: starting/.test(serve.stdout()) ? true : undefined),
        "serve's line that the store is back",
      );
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      const posted = await fetch(`${url}/events/job`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ n: 1 }),
      });
      assert.equal(posted.status, 202, await posted.text());
      await waitFor(async () => {
        const runs = await store.listRuns({ limit: 10 });
        return runs.length === 1 && runs[0]!.status === 'succeeded' ? true : undefined;
      }, 'the event run to succeed');
      serve.child.kill('SIGTERM');
      assert.equal((await serve.done).code, 0);
    } finally {
      serve.child.kill('SIGKILL');
      await serve.done;
      await store.close();
      await proxy.close();
      await dropSchema(schema);
      r.cleanup();
    }
  });

  it('stops cleanly (exit 0) on SIGTERM while it waits', async () => {
    const r = writeTestRole({
      name: 'pg-start-stop',
      autonomy: 'full',
      tools: [],
      turns: [{ final: { summary: 'ok' } }],
    });
    const proxy = await startTcpProxy(Number(new URL(TEST_DATABASE_URL).port || 5432));
    proxy.refuse();
    const serve = startCli(['serve', r.dir, '--port', '0'], {
      env: { NIGHTSHIFT_DATABASE_URL: through(proxy), NIGHTSHIFT_DATABASE_SCHEMA: freshSchema() },
    });
    try {
      await waitFor(
        async () => (startLines(serve.stdout()).length > 0 ? true : undefined),
        'the wait logged',
      );
      serve.child.kill('SIGTERM');
      const done = await serve.done;
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /stopped while waiting for the database/);
    } finally {
      serve.child.kill('SIGKILL');
      await serve.done;
      await proxy.close();
      r.cleanup();
    }
  });

  it('fails the start at once when the database answers but refuses (no such database): exit 1, STORE_ERROR', async () => {
    const r = writeTestRole({
      name: 'pg-start-bad',
      autonomy: 'full',
      tools: [],
      turns: [{ final: { summary: 'ok' } }],
    });
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = '/nightshift_no_such_database';
    const serve = startCli(['serve', r.dir, '--port', '0'], {
      env: { NIGHTSHIFT_DATABASE_URL: url.toString() },
    });
    const killer = setTimeout(() => serve.child.kill('SIGKILL'), 20_000);
    try {
      const done = await serve.done;
      assert.equal(done.code, 1, `${done.stdout}\n${done.stderr}`);
      assert.match(done.stderr, /STORE_ERROR.*nightshift_no_such_database/);
      assert.doesNotMatch(done.stdout, /store unavailable at start/);
    } finally {
      clearTimeout(killer);
      r.cleanup();
    }
  });

  it('stops cleanly on SIGTERM while an attempt is still opening, even when that attempt then succeeds', async () => {
    const r = writeTestRole({
      name: 'pg-start-slow',
      autonomy: 'full',
      tools: [],
      turns: [{ final: { summary: 'ok' } }],
    });
    // A proxy that forwards each connection only 1.5 s after it arrives: the open is in flight meanwhile.
    const target = Number(new URL(TEST_DATABASE_URL).port || 5432);
    const sockets = new Set<Socket>();
    let accepted = 0;
    const slow = createServer((client) => {
      accepted++;
      client.pause();
      sockets.add(client);
      setTimeout(() => {
        const upstream = connect(target, '127.0.0.1');
        sockets.add(upstream);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      }, 1500);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const url = new URL(TEST_DATABASE_URL);
    url.host = `127.0.0.1:${(slow.address() as { port: number }).port}`;
    const schema = freshSchema();
    const serve = startCli(['serve', r.dir, '--port', '0'], {
      env: { NIGHTSHIFT_DATABASE_URL: url.toString(), NIGHTSHIFT_DATABASE_SCHEMA: schema },
    });
    const killer = setTimeout(() => serve.child.kill('SIGKILL'), 20_000);
    try {
      await waitFor(async () => (accepted > 0 ? true : undefined), 'the first connection attempt');
      serve.child.kill('SIGTERM');
      const done = await serve.done;
      assert.equal(done.code, 0, `${done.stdout}\n${done.stderr}`);
      assert.doesNotMatch(done.stderr, /serving/, 'nothing was served after the SIGTERM');
    } finally {
      clearTimeout(killer);
      serve.child.kill('SIGKILL');
      await serve.done;
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => slow.close(resolve));
      await dropSchema(schema);
      r.cleanup();
    }
  });
});
