// On a real `nightshift serve` on loopback: HEAD is answered as GET without a body (RFC 9110 §9.3.2) on
// every GET door, and a 404 names the path exactly as the client sent it: `//api/v1/runs` was read as the
// host `api` and the path `/v1/runs`, and `/a/../healthz` was folded into `/healthz` and answered.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runCli, type Served, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with the path exactly as given (fetch would normalise `..` and `//`). */
function send(url: string, method: string, path: string, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(url);
  return new Promise<Answer>((resolve, reject) => {
    const req = request({ hostname, port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Raw bytes to the server and everything it answers until it closes (what Node's parser refuses). */
function raw(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => {
      answer += d;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('serve: HEAD, and odd paths named as sent', () => {
  const r = role({ autonomy: 'full', turns: [{ final: { summary: 'done' } }] });
  let served: Served;
  before(async () => {
    served = await startServe([r.file, '--port', '0', '--data-dir', r.dataDir], { cwd: r.dir });
  });
  after(() => {
    served?.child.kill('SIGKILL');
  });

  it('answers HEAD as GET, with the same status and headers and no body', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/api/v1/runs', '/api/v1/openapi.json']) {
      const get = await send(served.url, 'GET', path, served.auth);
      const head = await send(served.url, 'HEAD', path, served.auth);
      assert.equal(get.status, 200, `${path}: ${get.body}`);
      assert.equal(head.status, 200, `HEAD ${path}: ${head.body}`);
      assert.equal(head.headers['content-type'], get.headers['content-type'], path);
      assert.equal(head.body, '', path);
    }
    // Without a token, HEAD is refused as GET is: no door opens to a method.
    assert.equal((await send(served.url, 'HEAD', '/api/v1/runs')).status, 401);
    assert.equal((await send(served.url, 'HEAD', '/metrics')).status, 401);
    // Still no other method on a GET door.
    assert.equal((await send(served.url, 'DELETE', '/healthz')).status, 404);
    // Not the event stream: Node sends HEAD's headers only at end(), which a stream of a paused run never
    // reaches, so the client would hang holding one of its token's stream places.
    const ran = await runCli(['run', r.file, '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
    const runId = (JSON.parse(ran.stdout) as { runId: string }).runId;
    const events = `/api/v1/runs/${runId}/events`;
    const streamGet = await send(served.url, 'GET', events, served.auth);
    assert.equal(streamGet.status, 200, streamGet.body);
    assert.match(streamGet.body, /event: end/, 'GET streams the ended run');
    const stream = await send(served.url, 'HEAD', events, served.auth);
    assert.equal(stream.status, 404);
  });

  it('a 404 names the path exactly as sent, escaped, and nothing is routed by a folded path', async () => {
    const cases: [string, string][] = [
      ['//api/v1/runs', 'no route GET //api/v1/runs'],
      ['//healthz', 'no route GET //healthz'],
      ['/a/../healthz', 'no route GET /a/../healthz'],
      ['/x/%2e%2e/healthz', 'no route GET /x/%2e%2e/healthz'],
      ['/healthz/', 'no route GET /healthz/'],
      ['/api/v1/runs/', 'no API operation GET /api/v1/runs/ (see /api/v1/openapi.json)'],
      ['/api/v1/../v1/runs?x', 'no API operation GET /api/v1/../v1/runs (see /api/v1/openapi.json)'],
      ['/nope%ff?a=%zz', 'no route GET /nope%ff'],
      // A decision link's token (email links off here) is a capability: not repeated, as it is not logged.
      ['/decide/SECRETDECIDE5', 'no route GET /decide/[redacted]'],
      ['/decide/SECRETDECIDE5/more', 'no route GET /decide/[redacted]/more'],
    ];
    for (const [path, message] of cases) {
      const res = await send(served.url, 'GET', path, served.auth);
      assert.equal(res.status, 404, `${path}: ${res.body}`);
      assert.equal((JSON.parse(res.body) as { error: { message: string } }).error.message, message);
    }
    // A long path is cut in the message, not echoed whole.
    const long = await send(served.url, 'GET', `/${'a'.repeat(5000)}`);
    const said = (JSON.parse(long.body) as { error: { message: string } }).error.message;
    assert.equal(said, `no route GET /${'a'.repeat(199)}…`);
    // The query still reaches operations: ?limit=1 is read, ?x is refused as an unknown parameter.
    assert.equal((await send(served.url, 'GET', '/api/v1/runs?limit=1', served.auth)).status, 200);
    const unknown = await send(served.url, 'GET', '/api/v1/runs?x', served.auth);
    assert.equal(unknown.status, 400, unknown.body);
  });

  it("requests Node's HTTP parser refuses are answered with the JSON error shape, not a bare status line, and the connection closed", async () => {
    // Before: "HTTP/1.1 400 Bad Request" and "431 Request Header Fields Too Large" with no body.
    const cases: [string, number, string][] = [
      ['GET /api/v1/runs HTTP/1.1\r\nHost: x\r\nX-Foo: a\u001bb\r\n\r\n', 400, 'BAD_REQUEST'],
      [
        `GET /api/v1/runs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
        'HEADERS_TOO_LARGE',
      ],
      ['NOT A REQUEST\r\n\r\n', 400, 'BAD_REQUEST'],
    ];
    for (const [bytes, status, code] of cases) {
      const answer = await raw(served.url, bytes);
      const [head, body] = answer.split('\r\n\r\n');
      assert.match(head!, new RegExp(`^HTTP/1\\.1 ${status} `), answer.slice(0, 200));
      assert.match(head!, /\r\nContent-Type: application\/json\r\n/);
      assert.match(head!, /\r\nConnection: close/);
      const error = (JSON.parse(body!) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, code);
      assert.ok(
        !error.message.includes('aaaa') && !error.message.includes('\u001b'),
        'what was sent is not quoted',
      );
    }
    // The server goes on answering.
    assert.equal((await send(served.url, 'GET', '/healthz')).status, 200);
  });
});
