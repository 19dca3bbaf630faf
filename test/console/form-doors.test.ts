// The console's form doors and the HTTP server's limits, against a real `nightshift serve` on loopback
// configured as behind a proxy (serve.publicUrl) and with short slow-client timeouts: a decision post
// without a session is refused before its body is read; a post from the public origin (the proxy rewrote
// Host) is accepted, a foreign origin refused; a client dribbling its headers is cut off by the server;
// past maxConnections a new connection is closed.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const PUBLIC = 'https://agents.example.com';

/** A raw HTTP exchange on one socket: what the server sent, and whether it was the one to end it. */
function rawSocket(url: string): { socket: Socket; received: () => string; ended: Promise<void> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let data = '';
  socket.on('data', (d) => {
    data += d;
  });
  socket.on('error', () => {});
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => data, ended };
}

describe('the console form doors and the server limits', () => {
  const role = testRoles();
  const billing = role({ name: 'billing', autonomy: 'draft', turns: [{ final: { summary: 'done' } }] });
  let served: Served;
  let cookie = '';
  let csrf = '';
  before(async () => {
    writeFileSync(
      join(billing.dir, 'nightshift.config.yaml'),
      stringify({
        people: [{ name: 'alice', decides: ['billing'] }],
        serve: { publicUrl: `${PUBLIC}/`, headersTimeoutMs: 500, requestTimeoutMs: 1000, maxConnections: 16 },
      }),
    );
    served = await startServe([billing.file, '--port', '0', '--data-dir', billing.dataDir], {
      cwd: billing.dir,
    });
    const made = await runCli(
      [
        'token',
        'create',
        '--as',
        'alice',
        '--scope',
        'runs:read,decide',
        '--json',
        '--data-dir',
        billing.dataDir,
      ],
      { cwd: billing.dir },
    );
    const token = json<{ token: string }>(made).token;
    // Logged in through the proxy: the form's Origin is the public one, Host the daemon's own.
    const login = await fetch(`${served.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: PUBLIC },
      body: new URLSearchParams({ token }),
    });
    assert.equal(login.status, 303, 'a login form posted from the public origin');
    cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    csrf = /name="csrf" value="([^"]+)"/.exec(
      await (await fetch(`${served.url}/login`, { headers: { cookie } })).text(),
    )![1]!;
  });
  after(() => {
    served?.child.kill('SIGKILL');
  });

  const decide = (origin: string, form: Record<string, string>) =>
    fetch(`${served.url}/console/decide/approve/apr_unknown`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams(form),
    });
  const codeOf = async (res: Response) => /id="error"[^>]*data-code="([^"]*)"/.exec(await res.text())?.[1];

  it('refuses a decision without a session before reading its body', async () => {
    // Headers that announce a 60 KB form, and no body: only a server that answers before reading it
    // answers 401; one that waits for the body is cut by the request timeout (408) instead.
    const raw = rawSocket(served.url);
    raw.socket.write(
      'POST /console/decide/approve/apr_unknown HTTP/1.1\r\nHost: x\r\n' +
        `Origin: ${PUBLIC}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n`,
    );
    await raw.ended;
    assert.match(raw.received(), /^HTTP\/1\.1 401 /, raw.received().slice(0, 200));
    assert.match(raw.received(), /data-code="AUTH_REQUIRED"/);
  });

  it('checks the session then its CSRF token from the form: a missing token is 403, nothing decided', async () => {
    const res = await decide(PUBLIC, { note: 'x' });
    assert.equal(res.status, 403);
    assert.equal(await codeOf(res), 'CSRF_INVALID');
  });

  it('accepts a decision posted from serve.publicUrl while the proxy rewrote Host; refuses a foreign origin', async () => {
    const fromPublic = await decide(PUBLIC, { csrf, note: 'x' });
    // Past the origin, the session and the CSRF checks: the approval is looked up (there is none).
    assert.equal(fromPublic.status, 404);
    assert.equal(await codeOf(fromPublic), 'APPROVAL_NOT_FOUND');
    // Host-based, as without publicUrl: the daemon's own address is its own origin.
    const fromHost = await decide(new URL(served.url).origin, { csrf, note: 'x' });
    assert.equal(fromHost.status, 404);
    for (const foreign of ['https://evil.example', 'http://agents.example.com', 'null']) {
      const res = await decide(foreign, { csrf, note: 'x' });
      assert.equal(res.status, 403, foreign);
      assert.equal(await codeOf(res), 'FORBIDDEN', foreign);
    }
  });

  it('cuts off a client that dribbles its headers (slowloris): the server closes the socket', async () => {
    const raw = rawSocket(served.url);
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    let closedByServer = false;
    void raw.ended.then(() => {
      closedByServer = true;
    });
    // One header line at a time, for as long as the server lets it (at most 600 lines: a minute).
    for (let i = 0; i < 600 && !closedByServer; i++) {
      raw.socket.write(`x-dribble-${i}: ${'a'.repeat(8)}\r\n`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(closedByServer, 'the server kept a client dribbling headers for a minute');
    assert.match(raw.received(), /^HTTP\/1\.1 408 /);
    // The daemon still answers everyone else.
    assert.equal((await fetch(`${served.url}/healthz`)).status, 200);
  });

  it('closes connections past maxConnections, and serves again once they are gone', async () => {
    const idle = Array.from({ length: 24 }, () => rawSocket(served.url));
    await Promise.all(idle.map((s) => new Promise((r) => s.socket.once('connect', r))));
    // Each holds its connection open and sends nothing: the ones past the limit are closed at once,
    // unanswered (one cut by the headers timeout would get a 408 first).
    const dropped = await Promise.any(idle.map((s, i) => s.ended.then(() => i)));
    assert.equal(idle[dropped]!.received(), '', 'a dropped connection gets no answer');
    for (const s of idle) s.socket.destroy();
    await Promise.all(idle.map((s) => s.ended));
    assert.equal((await fetch(`${served.url}/healthz`)).status, 200);
  });
});
