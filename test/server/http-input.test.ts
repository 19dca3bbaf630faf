// Hostile and careless HTTP input against a real `nightshift serve`: bodies that are not declared JSON
// (what a browser page can send cross-site without asking) are refused with 415, an oversized body gets a
// clean 413 the client can read, a malformed %-escape or JSON nested too deep is the client's error (400).
// Nothing is queued.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { authFor, json, runCli, type Served, startServe } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const SECRET = 'whsec-http-input-0002';

/** A request with node:http (no client-side normalisation of the path or the body). */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
  body?: Buffer | string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers: { ...authFor(url), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('serve: HTTP input', () => {
  let r: TestRole;
  let served: Served;
  const runCount = async () =>
    json<unknown[]>(await runCli(['runs', '--json', '--limit', '5000', '--data-dir', r.dataDir])).length;

  before(async () => {
    r = writeTestRole({
      name: 'http-input',
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [{ final: {} }],
      extra: {
        secrets: ['HTTP_INPUT_SECRET'],
        triggers: [{ event: 'go' }, { webhook: { path: 'signed', secret: 'HTTP_INPUT_SECRET' } }],
      },
    });
    served = await startServe([r.dir, '--port', '0', '--poll-ms', '20', '--data-dir', r.dataDir], {
      env: { HTTP_INPUT_SECRET: SECRET },
    });
  });
  after(() => {
    served?.child.kill('SIGKILL');
    r?.cleanup();
  });

  it('refuses an event whose body is not declared JSON with 415 and a JSON error, queuing nothing', async () => {
    const before = await runCount();
    const cases: [string, Record<string, string>, string | undefined][] = [
      ['text/plain (a cross-site fetch or form)', { 'content-type': 'text/plain' }, '{"a":1}'],
      ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1'],
      ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
      ['no content type, no body', {}, undefined],
    ];
    for (const [what, headers, body] of cases) {
      const res = await raw(served.url, 'POST', '/events/go', headers, body);
      assert.equal(res.status, 415, what);
      assert.match(String(res.headers['content-type']), /application\/json/, what);
      assert.match(
        (JSON.parse(res.body) as { error: { message: string } }).error.message,
        /application\/json/,
        what,
      );
    }
    // fetch's default for a string body is text/plain: what a browser page would send.
    const viaFetch = await fetch(`${served.url}/events/go`, {
      method: 'POST',
      headers: authFor(served.url),
      body: '{}',
    });
    assert.equal(viaFetch.status, 415);
    assert.equal(await runCount(), before, 'a refused event queued a run');
  });

  it('accepts application/json, with parameters and as a +json type', async () => {
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'application/cloudevents+json',
    ]) {
      const res = await raw(served.url, 'POST', '/events/go', { 'content-type': type }, '{}');
      assert.equal(res.status, 202, type);
    }
  });

  it('answers a 10 MB body with a 413 the client reads (no reset), and keeps serving', async () => {
    const before = await runCount();
    const big = Buffer.alloc(10 * 1024 * 1024, 0x20);
    const viaFetch = await fetch(`${served.url}/events/go`, {
      method: 'POST',
      headers: { ...authFor(served.url), 'content-type': 'application/json' },
      body: big,
    });
    assert.equal(viaFetch.status, 413);
    assert.match(((await viaFetch.json()) as { error: { message: string } }).error.message, /larger than/);
    const viaHttp = await raw(
      served.url,
      'POST',
      '/events/go',
      { 'content-type': 'application/json', 'content-length': big.length },
      big,
    );
    assert.equal(viaHttp.status, 413);
    // A webhook gets the same answer, before its signature is looked at.
    const hook = await raw(served.url, 'POST', '/hooks/signed', { 'content-type': 'application/json' }, big);
    assert.equal(hook.status, 413);
    // 10 MB of a refused content type: the 415 arrives too, not a reset.
    const refused = await fetch(`${served.url}/events/go`, {
      method: 'POST',
      headers: { ...authFor(served.url), 'content-type': 'text/plain' },
      body: big,
    });
    assert.equal(refused.status, 415);
    assert.equal((await fetch(`${served.url}/healthz`)).status, 200);
    assert.equal(await runCount(), before);
  });

  it('answers 413 at once, and closes, when the announced body is beyond what it drains', async () => {
    const answer = await new Promise<{ status: number; connection: unknown; body: string }>(
      (resolve, reject) => {
        const req = request(
          `${served.url}/events/go`,
          {
            method: 'POST',
            headers: {
              ...authFor(served.url),
              'content-type': 'application/json',
              'content-length': 100 * 1024 * 1024,
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => {
              text += d;
            });
            res.on('end', () => {
              req.destroy();
              resolve({ status: res.statusCode!, connection: res.headers.connection, body: text });
            });
          },
        );
        req.on('error', reject);
        // Only the first bytes are sent: the answer must not wait for the other 100 MiB.
        req.write('{"a":');
      },
    );
    assert.equal(answer.status, 413);
    assert.equal(answer.connection, 'close');
    assert.match((JSON.parse(answer.body) as { error: { message: string } }).error.message, /larger than/);
  });

  it('answers a malformed %-escape in the path with 400, not 500', async () => {
    for (const path of ['/events/%E0%A4%A', '/events/%ZZ', '/hooks/%']) {
      const res = await raw(served.url, 'POST', path, { 'content-type': 'application/json' }, '{}');
      assert.equal(res.status, 400, path);
      assert.match(
        (JSON.parse(res.body) as { error: { message: string } }).error.message,
        /malformed %-escape/,
        path,
      );
    }
  });

  it('answers every door’s refusal as {error: {code, message}} with a stable code', async () => {
    type Refusal = { error: { code: string; message: string } };
    const refusal = (body: string) => (JSON.parse(body) as Refusal).error;
    // No token: the message says which token to create.
    const anonymous = await fetch(`${served.url}/events/go`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(anonymous.status, 401);
    const anon = ((await anonymous.json()) as Refusal).error;
    assert.equal(anon.code, 'AUTH_REQUIRED');
    assert.match(anon.message, /nightshift token create .*--scope events:send/);
    const metrics = await fetch(`${served.url}/metrics`);
    assert.equal(metrics.status, 401);
    assert.equal(((await metrics.json()) as Refusal).error.code, 'AUTH_REQUIRED');
    const cases: [string, string, string, Record<string, string>, string, number, string][] = [
      [
        'malformed JSON',
        'POST',
        '/events/go',
        { 'content-type': 'application/json' },
        '{"a":',
        400,
        'BAD_REQUEST',
      ],
      ['no such route', 'GET', '/nowhere', {}, '', 404, 'NOT_FOUND'],
      [
        'wrong media type',
        'POST',
        '/events/go',
        { 'content-type': 'text/plain' },
        '{}',
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'bad %-escape',
        'POST',
        '/events/%ZZ',
        { 'content-type': 'application/json' },
        '{}',
        400,
        'BAD_REQUEST',
      ],
      [
        'too large',
        'POST',
        '/events/go',
        { 'content-type': 'application/json' },
        `"${'x'.repeat(1024 * 1024 + 10)}"`,
        413,
        'BODY_TOO_LARGE',
      ],
    ];
    for (const [what, method, path, headers, body, status, code] of cases) {
      const res = await raw(served.url, method, path, headers, body || undefined);
      assert.equal(res.status, status, what);
      assert.equal(refusal(res.body).code, code, what);
      assert.ok(refusal(res.body).message.length > 0, what);
    }
  });

  it('refuses JSON nested deeper than 100 levels with 400 at every JSON door, recording nothing', async () => {
    const before = await runCount();
    // 20,000 nested arrays (40 KB): JSON.parse takes them, the recursive code after it (canonical JSON,
    // the store's serialisation) overflowed the stack, answered 500 INTERNAL as if the server had failed.
    const deep = `{"deep":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const json = { 'content-type': 'application/json' };
    for (const path of ['/events/go', '/api/v1/events/go']) {
      const res = await raw(served.url, 'POST', path, json, deep);
      assert.equal(res.status, 400, `${path}: ${res.body}`);
      const { error } = JSON.parse(res.body) as { error: { code: string; message: string } };
      assert.equal(error.code, 'BAD_REQUEST', path);
      assert.match(error.message, /more than 100 levels deep/, path);
    }
    const t = Math.floor(Date.now() / 1000);
    const sig = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${deep}`).digest('hex')}`;
    const hook = await raw(
      served.url,
      'POST',
      '/hooks/signed',
      { ...json, 'x-nightshift-signature': sig },
      deep,
    );
    assert.equal(hook.status, 400, hook.body);
    assert.equal((JSON.parse(hook.body) as { error: { code: string } }).error.code, 'WEBHOOK_BODY_INVALID');
    assert.equal(await runCount(), before);
    // 100 levels is still a body like any other.
    const flat = `{"deep":${'['.repeat(99)}${']'.repeat(99)}}`;
    const ok = await raw(served.url, 'POST', '/api/v1/events/go', json, flat);
    assert.equal(ok.status, 202, ok.body);
  });

  it('judges the depth before parsing: a deep body cut short is refused as too deep, not as not JSON', async () => {
    // JSON.parse of 1 MiB of nested arrays takes 30 times as long as of a flat body, a stall of the whole
    // daemon any token could cause; the depth scan takes under a millisecond. A body still open at 500,000
    // levels shows which came first: JSON.parse would call it not JSON.
    const before = await runCount();
    const json = { 'content-type': 'application/json' };
    for (const path of ['/events/go', '/api/v1/events/go']) {
      const res = await raw(served.url, 'POST', path, json, `{"deep":${'['.repeat(500_000)}`);
      assert.equal(res.status, 400, `${path}: ${res.body}`);
      assert.match(JSON.parse(res.body).error.message, /more than 100 levels deep/, path);
    }
    assert.equal(await runCount(), before);
  });

  it('takes a signed webhook whatever its content type: the signature, not the media type, authenticates it', async () => {
    const body = '{"from":"provider"}';
    const t = Math.floor(Date.now() / 1000);
    const sig = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;
    const res = await raw(
      served.url,
      'POST',
      '/hooks/signed',
      { 'content-type': 'text/plain', 'x-nightshift-signature': sig },
      body,
    );
    assert.equal(res.status, 202, res.body);
  });
});
