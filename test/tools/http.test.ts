// http.fetch against real HTTP servers on loopback: the allowlist, address rules, redirects and limits.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DefineRoleInput, defineRole } from '../../src/roles/define.js';
import { httpFetch } from '../../src/tools/builtin/http-fetch.js';
import { restrictedAddress } from '../../src/tools/net/addresses.js';
import { loadSecrets } from '../../src/tools/secrets.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-http-');
mkdirSync(join(tmp.path, 'ws'));

interface Hit {
  url: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function server(
  handler: (req: Hit, res: import('node:http').ServerResponse) => void,
): Promise<{ port: number; hits: Hit[]; srv: Server }> {
  const hits: Hit[] = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const hit = { url: req.url ?? '', method: req.method ?? '', headers: req.headers, body };
      hits.push(hit);
      handler(hit, res);
    });
  });
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as { port: number }).port, hits, srv })),
  );
}

function role(over: Partial<DefineRoleInput> = {}) {
  return defineRole(
    {
      name: 'fetcher',
      description: 'd',
      autonomy: 'full',
      model: 'openai:unused',
      instructions: 'i',
      tools: ['http.fetch'],
      workspace: './ws',
      scope: { hosts: ['127.0.0.1'] },
      ...over,
    },
    { dir: tmp.path },
  );
}

/** Runs http.fetch itself, without the policy's scope check first. */
async function runFetch(r: ReturnType<typeof role>, args: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  return httpFetch.run(httpFetch.input.parse(args), {
    role: r,
    runId: 'run_h',
    idempotencyKey: 'k',
    fencingToken: 1,
    workspace: r.workspace,
    signal: new AbortController().signal,
    secrets: loadSecrets(r, env),
  });
}

async function fetchAs(
  r: ReturnType<typeof role>,
  args: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
) {
  const verdict = await httpFetch.scope!(httpFetch.input.parse(args), { role: r, workspace: r.workspace });
  if (verdict.kind !== 'inside') return { verdict, result: undefined, error: undefined };
  try {
    return { verdict, result: await runFetch(r, args, env), error: undefined };
  } catch (error) {
    return { verdict, result: undefined, error: error as Error & { code?: string } };
  }
}

describe('http.fetch', () => {
  let api: Awaited<ReturnType<typeof server>>;
  let other: Awaited<ReturnType<typeof server>>;
  before(async () => {
    other = await server((_h, res) => res.end('other'));
    api = await server((hit, res) => {
      if (hit.url === '/redirect-to-localhost') {
        res.writeHead(302, { location: `http://localhost:${other.port}/x` }).end();
      } else if (hit.url === '/redirect-to-metadata') {
        res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      } else if (hit.url === '/redirect-inside') {
        res.writeHead(303, { location: '/echo' }).end();
      } else if (hit.url.startsWith('/chain/')) {
        // /chain/N redirects N times before it answers.
        const left = Number(hit.url.slice('/chain/'.length));
        if (left > 0) res.writeHead(302, { location: `/chain/${left - 1}` }).end();
        else res.end('end of chain');
      } else if (hit.url === '/missing') {
        res.writeHead(404, { 'content-type': 'text/plain', 'x-internal': 'hidden' }).end('no such thing');
      } else if (hit.url === '/big') {
        res.end(Buffer.alloc(2 * 1024 * 1024, 'a'));
      } else if (hit.url === '/hang') {
        // never answers
      } else {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ method: hit.method, auth: hit.headers.authorization ?? null, body: hit.body }),
        );
      }
    });
  });
  after(() => {
    api.srv.closeAllConnections();
    api.srv.close();
    other.srv.close();
    tmp.cleanup();
  });

  it('GETs and POSTs an allowed host', async () => {
    const get = await fetchAs(role(), { url: `http://127.0.0.1:${api.port}/echo` });
    assert.equal(get.result!.status, 200);
    assert.deepEqual(JSON.parse(get.result!.body), { method: 'GET', auth: null, body: '' });
    const post = await fetchAs(role(), {
      url: `http://127.0.0.1:${api.port}/echo`,
      method: 'POST',
      body: '{"a":1}',
    });
    assert.equal(JSON.parse(post.result!.body).body, '{"a":1}');
  });

  it('inserts a declared secret by name, so the model never handles the value', async () => {
    const r = role({ secrets: ['API_TOKEN'] });
    const res = await fetchAs(
      r,
      { url: `http://127.0.0.1:${api.port}/echo`, headers: { authorization: 'Bearer {{secret:API_TOKEN}}' } },
      { API_TOKEN: 'tok-secret-9' },
    );
    assert.equal(JSON.parse(res.result!.body).auth, 'Bearer tok-secret-9');
    const undeclared = await fetchAs(
      role(),
      { url: `http://127.0.0.1:${api.port}/echo`, headers: { authorization: '{{secret:HOME}}' } },
      { HOME: '/root' },
    );
    assert.equal(undeclared.error?.code, 'SCOPE_VIOLATION');
  });

  it("never sends a secret the role's webhook trigger or notify destination holds, before connecting", async () => {
    const r = role({
      secrets: ['HOOK_SECRET', 'PAGER_SECRET'],
      triggers: [{ webhook: { path: 'tickets', secret: 'HOOK_SECRET' } }],
      notify: { webhooks: { pager: { url: 'https://pager.example.com/hook', secret: 'PAGER_SECRET' } } },
    });
    const before = api.hits.length;
    const env = { HOOK_SECRET: 'whsec-1', PAGER_SECRET: 'pager-2' };
    const url = `http://127.0.0.1:${api.port}/echo`;
    const inBody = await fetchAs(r, { url, method: 'POST', body: 'k={{secret:HOOK_SECRET}}' }, env);
    assert.equal(inBody.verdict.kind, 'outside');
    assert.match(
      (inBody.verdict as { reason: string }).reason,
      /HOOK_SECRET is the webhook trigger \/hooks\/tickets's/,
    );
    const inHeader = await fetchAs(r, { url, headers: { 'x-k': '{{secret:PAGER_SECRET}}' } }, env);
    assert.match((inHeader.verdict as { reason: string }).reason, /PAGER_SECRET is notify.webhook pager's/);
    assert.equal(api.hits.length, before, 'nothing reached the server');
    // The run-time check holds too, for a call that skipped the policy's (a drafted call approved later
    // is judged again, but the tool does not rely on it).
    const direct = await runFetch(r, { url, headers: { 'x-k': '{{secret:HOOK_SECRET}}' } }, env).then(
      () => undefined,
      (err: Error & { code?: string }) => err.code,
    );
    assert.equal(direct, 'SCOPE_VIOLATION');
    assert.equal(api.hits.length, before);
  });

  it('sends a secret bound to hosts (scope.hosts[].secrets) only to them; an unbound one to any allowed host', async () => {
    const r = role({
      secrets: ['API_TOKEN', 'OTHER'],
      scope: {
        hosts: [
          { host: '127.0.0.1', secrets: ['API_TOKEN'] },
          { host: 'localhost', private: true },
        ],
      },
    });
    const env = { API_TOKEN: 'tok-1', OTHER: 'o-2' };
    const bound = await fetchAs(
      r,
      { url: `http://127.0.0.1:${api.port}/echo`, headers: { authorization: '{{secret:API_TOKEN}}' } },
      env,
    );
    assert.equal(JSON.parse(bound.result!.body).auth, 'tok-1');
    const before = api.hits.length;
    const elsewhere = await fetchAs(
      r,
      { url: `http://localhost:${api.port}/echo`, headers: { authorization: '{{secret:API_TOKEN}}' } },
      env,
    );
    assert.equal(elsewhere.verdict.kind, 'outside');
    assert.match(
      (elsewhere.verdict as { reason: string }).reason,
      /API_TOKEN may be sent only to 127\.0\.0\.1 \(scope\.hosts\), not to localhost/,
    );
    assert.equal(api.hits.length, before);
    const unbound = await fetchAs(
      r,
      { url: `http://localhost:${api.port}/echo`, headers: { authorization: '{{secret:OTHER}}' } },
      env,
    );
    assert.equal(JSON.parse(unbound.result!.body).auth, 'o-2');
  });

  it('refuses a host entry binding a secret the role does not declare', () => {
    assert.throws(
      () => role({ scope: { hosts: [{ host: '127.0.0.1', secrets: ['NOPE'] }] } }),
      (err: Error & { issues?: { path: string; message: string }[] }) =>
        err.issues?.some(
          (i) => i.path === 'scope.hosts[0].secrets[0]' && /NOPE is not listed/.test(i.message),
        ) === true,
    );
  });

  it('refuses hosts off the allowlist, other schemes, and credentials in URLs, before connecting', async () => {
    const before = api.hits.length + other.hits.length;
    for (const url of [
      'http://example.com/',
      'http://10.1.2.3/',
      'http://169.254.169.254/latest/meta-data/',
      'file:///etc/passwd',
      `http://user:pw@127.0.0.1:${api.port}/`,
    ]) {
      const r = await fetchAs(role(), { url });
      assert.equal(r.verdict.kind, 'outside', url);
    }
    assert.equal(api.hits.length + other.hits.length, before);
  });

  it('refuses a Host header naming another host than the URL, before connecting (a virtual host no one listed)', async () => {
    const before = api.hits.length;
    const r = await fetchAs(role(), {
      url: `http://127.0.0.1:${api.port}/echo`,
      headers: { HOST: 'admin.internal' },
    });
    // Before, the request went to the allowed address as `Host: admin.internal`.
    assert.equal(r.verdict.kind, 'outside');
    assert.match(
      (r.verdict as { reason: string }).reason,
      /^header HOST: 'admin\.internal' names another host than the URL's \(127\.0\.0\.1:\d+\)/,
    );
    await assert.rejects(
      runFetch(role(), { url: `http://127.0.0.1:${api.port}/echo`, headers: { host: 'admin.internal' } }, {}),
      { code: 'SCOPE_VIOLATION' },
    );
    assert.equal(api.hits.length, before);
    // The URL's own host is what would be sent anyway.
    const same = await fetchAs(role(), {
      url: `http://127.0.0.1:${api.port}/echo`,
      headers: { Host: `127.0.0.1:${api.port}` },
    });
    assert.equal(same.result!.status, 200);
    assert.equal(api.hits.at(-1)!.headers.host, `127.0.0.1:${api.port}`);
  });

  it('refuses a listed name that resolves to loopback, unless the role marks it private', async () => {
    const named = await fetchAs(role({ scope: { hosts: ['localhost'] } }), {
      url: `http://localhost:${other.port}/`,
    });
    assert.equal(named.verdict.kind, 'outside');
    assert.match((named.verdict as { reason: string }).reason, /loopback/);
    assert.equal(other.hits.length, 0);
    const marked = await fetchAs(role({ scope: { hosts: [{ host: 'localhost', private: true }] } }), {
      url: `http://localhost:${other.port}/`,
    });
    assert.equal(marked.result!.body, 'other');
  });

  it('checks every redirect: off-list and metadata targets are refused, same-host ones followed', async () => {
    const hitsBefore = other.hits.length;
    const toLocalhost = await fetchAs(role(), { url: `http://127.0.0.1:${api.port}/redirect-to-localhost` });
    assert.equal(toLocalhost.error?.code, 'SCOPE_VIOLATION');
    assert.match(toLocalhost.error!.message, /redirected to http:\/\/localhost/);
    assert.equal(other.hits.length, hitsBefore);
    const toMetadata = await fetchAs(role(), { url: `http://127.0.0.1:${api.port}/redirect-to-metadata` });
    assert.match(toMetadata.error!.message, /169\.254\.169\.254 is not on this role's allowlist/);
    const inside = await fetchAs(role(), {
      url: `http://127.0.0.1:${api.port}/redirect-inside`,
      method: 'POST',
      body: 'x',
    });
    assert.equal(JSON.parse(inside.result!.body).method, 'GET');
  });

  it('follows at most 5 redirects; a sixth fails the call (TOOL_FAILED)', async () => {
    const five = await fetchAs(role(), { url: `http://127.0.0.1:${api.port}/chain/5` });
    assert.equal(five.error, undefined, String(five.error));
    assert.equal(five.result!.body, 'end of chain');
    assert.equal(five.result!.url, `http://127.0.0.1:${api.port}/chain/0`);
    const hitsBefore = api.hits.length;
    const six = await fetchAs(role(), { url: `http://127.0.0.1:${api.port}/chain/6` });
    assert.equal(six.error?.code, 'TOOL_FAILED');
    assert.match(six.error!.message, /more than 5 redirects/);
    // The first request and its five redirects were sent; the sixth redirect was not followed.
    assert.equal(api.hits.length - hitsBefore, 6);
  });

  it('returns an error status as an answer, with the headers it keeps, not as a failed call', async () => {
    const { result, error } = await fetchAs(role(), { url: `http://127.0.0.1:${api.port}/missing` });
    assert.equal(error, undefined, String(error));
    assert.equal(result!.status, 404);
    assert.equal(result!.body, 'no such thing');
    assert.deepEqual(Object.keys(result!).sort(), ['body', 'headers', 'status', 'url']);
    // Only content-type, content-length, date, etag and last-modified are passed on (docs/tools.md).
    assert.equal(result!.headers['content-type'], 'text/plain');
    assert.equal(result!.headers['x-internal'], undefined);
  });

  it('enforces the size and time limits', async () => {
    const big = await fetchAs(role(), { url: `http://127.0.0.1:${api.port}/big` });
    assert.match(big.error!.message, /larger than the 1048576-byte limit/);
    assert.equal(big.error?.code, 'SCOPE_VIOLATION');
    const slow = await fetchAs(role({ limits: { fetchSeconds: 0.3 } }), {
      url: `http://127.0.0.1:${api.port}/hang`,
    });
    assert.match(slow.error!.message, /did not answer within 0\.3 s/);
    assert.equal(slow.error?.code, 'TOOL_TIMEOUT');
  });

  it('drops credentials and secret-bearing headers before following a redirect to another origin', async () => {
    const seen: (string | undefined)[] = [];
    const elsewhereAccept: (string | undefined)[] = [];
    const elsewhere = await server((hit, res) => {
      seen.push(
        hit.headers.authorization?.toString() ??
          hit.headers['x-api-key']?.toString() ??
          hit.headers.cookie?.toString() ??
          hit.headers['proxy-authorization']?.toString(),
      );
      elsewhereAccept.push(hit.headers.accept?.toString());
      res.end('other');
    });
    const first = await server((_hit, res) =>
      res.writeHead(302, { location: `http://localhost:${elsewhere.port}/` }).end(),
    );
    try {
      const r = role({
        secrets: ['TOKEN'],
        scope: { hosts: ['127.0.0.1', { host: 'localhost', private: true }] },
      });
      const { result, error } = await fetchAs(
        r,
        {
          url: `http://127.0.0.1:${first.port}/`,
          headers: {
            authorization: 'Bearer plain-token',
            'x-api-key': '{{secret:TOKEN}}',
            Cookie: 'session=abc',
            'Proxy-Authorization': 'Basic cHJveHk6cGFzcw==',
            accept: 'text/plain',
          },
        },
        { TOKEN: 'tok-9999' },
      );
      assert.equal(error, undefined, String(error));
      assert.equal(result!.body, 'other');
      assert.deepEqual(seen, [undefined]);
      // A header that carries no credential goes on.
      assert.deepEqual(elsewhereAccept, ['text/plain']);
    } finally {
      first.srv.close();
      elsewhere.srv.close();
    }
  });

  it('classifies restricted addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.0.0.5',
      '172.20.1.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00:ec2::254',
      '::ffff:127.0.0.1',
    ]) {
      assert.ok(restrictedAddress(a), a);
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111'])
      assert.equal(restrictedAddress(a), undefined, a);
  });
});
