// `nightshift emit` reports a daemon's refusal by the daemon's own code and message (the API's JSON error
// body), with that code's exit code (docs/errors.md); a body that is not that shape (a proxy's page) or an
// HTTP-level code is a USAGE error naming the status and what the body said. A real serve on loopback,
// and for what serve cannot be made to answer on demand (a busy store, a proxy's page) a plain HTTP server.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runCli, type Served, startServe } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';

describe('emit: a refusal by the daemon', () => {
  const r = writeTestRole({
    name: 'emit-refusals',
    autonomy: 'full',
    tools: ['fs.read'],
    ledgerTools: false,
    turns: [{ final: { summary: 'done' } }],
    extra: {
      triggers: [{ event: 'refusal.go' }],
      input: { type: 'object', required: ['x'], properties: { x: { type: 'string' } } },
    },
  });
  let served: Served;
  /** Answers each request with the next of `answers` (status, content-type, body). */
  let plain: Server;
  let plainUrl: string;
  const answers: [number, string, string][] = [];
  before(async () => {
    served = await startServe([r.dir, '--port', '0', '--poll-ms', '20', '--data-dir', r.dataDir]);
    plain = createServer((req, res) => {
      req.resume();
      const [status, type, body] = answers.shift() ?? [500, 'text/plain', 'no answer set'];
      res.writeHead(status, { 'content-type': type }).end(body);
    });
    await new Promise<void>((ok) => plain.listen(0, '127.0.0.1', ok));
    plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
  });
  after(async () => {
    served.child.kill('SIGKILL');
    await new Promise((ok) => plain.close(ok));
    r.cleanup();
  });

  const emit = (url: string, token: string, ...args: string[]) =>
    runCli(['emit', 'refusal.go', ...args, '--url', url, '--token', token]);

  // before: each of these was `error [USAGE]: the daemon refused the event: HTTP …`, exit 2.
  it('gives INPUT_INVALID for a payload the role does not accept (exit 2)', async () => {
    const res = await emit(served.url, served.token, '{"y":1}');
    assert.equal(res.code, 2, res.stderr);
    assert.match(
      res.stderr,
      /error \[INPUT_INVALID\]: the daemon at http:\/\/127\.0\.0\.1:\d+ refused the event \(HTTP 400\): /,
    );
  });

  it('gives AUTH_REQUIRED for an unknown token (exit 1)', async () => {
    const res = await emit(served.url, 'nst_not-a-token', '{"x":"1"}');
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /error \[AUTH_REQUIRED\]: .*\(HTTP 401\)/);
  });

  it('gives IDEMPOTENCY_KEY_REUSED for a key sent before with another payload (exit 2)', async () => {
    const first = await emit(served.url, served.token, '{"x":"1"}', '--idempotency-key', 'emit-key-1');
    assert.equal(first.code, 0, first.stderr);
    const again = await emit(served.url, served.token, '{"x":"2"}', '--idempotency-key', 'emit-key-1');
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /error \[IDEMPOTENCY_KEY_REUSED\]: .*\(HTTP 409\)/);
  });

  it('gives STORE_BUSY, as the daemon answers a busy store (exit 1)', async () => {
    answers.push([
      503,
      'application/json',
      JSON.stringify({ error: { code: 'STORE_BUSY', message: 'the store is busy: send it again shortly' } }),
    ]);
    const res = await emit(plainUrl, 'nst_x', '{"x":"1"}');
    assert.equal(res.code, 1, res.stderr);
    assert.match(
      res.stderr,
      /error \[STORE_BUSY\]: .*\(HTTP 503\): the store is busy: send it again shortly/,
    );
  });

  it('keeps USAGE for an HTTP-level code, naming it, and for a body that is not a nightshift error', async () => {
    answers.push([
      415,
      'application/json',
      JSON.stringify({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send JSON' } }),
    ]);
    const http = await emit(plainUrl, 'nst_x', '{"x":"1"}');
    assert.equal(http.code, 2, http.stderr);
    assert.match(http.stderr, /error \[USAGE\]: .*\(HTTP 415\): send JSON \[UNSUPPORTED_MEDIA_TYPE\]/);
    answers.push([502, 'text/html', '<html>Bad Gateway\n</html>']);
    const page = await emit(plainUrl, 'nst_x', '{"x":"1"}');
    assert.equal(page.code, 2, page.stderr);
    assert.match(
      page.stderr,
      /error \[USAGE\]: .*refused the event: HTTP 502 without a nightshift error in its body: <html>Bad Gateway\\u000a<\/html>/,
    );
  });
});
