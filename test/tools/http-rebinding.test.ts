// DNS rebinding against http.fetch: a name that resolves to a public address while the call is checked
// and to 127.0.0.1 when the socket connects. The connect-time guard (the request's own DNS lookup) must
// refuse it, and the loopback server must never see the request.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defineRole } from '../../src/roles/define.js';
import { createHttpFetch } from '../../src/tools/builtin/http-fetch.js';
import { loadSecrets } from '../../src/tools/secrets.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-rebind-');
mkdirSync(join(tmp.path, 'ws'));

/**
 * An attacker's name server with a zero TTL: the first `publicAnswers` queries get a public address,
 * every later one gets `rebound`. Every query is recorded.
 */
function rebindingResolver(publicAnswers: number, rebound: LookupAddress) {
  const queries: string[] = [];
  const resolve = async (host: string): Promise<LookupAddress[]> => {
    queries.push(host);
    return queries.length <= publicAnswers ? [{ address: '93.184.216.34', family: 4 }] : [rebound];
  };
  return { resolve, queries };
}

describe('http.fetch against DNS rebinding', () => {
  let port = 0;
  const hits: string[] = [];
  const srv = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.end('loopback secret');
  });
  before(() => new Promise<void>((done) => srv.listen(0, '127.0.0.1', done)));
  before(() => {
    port = (srv.address() as { port: number }).port;
  });
  after(() => srv.close());

  const role = defineRole(
    {
      name: 'fetcher',
      description: 'd',
      autonomy: 'full',
      model: 'openai:unused',
      instructions: 'i',
      tools: ['http.fetch'],
      workspace: './ws',
      scope: { hosts: ['rebind.example'] },
    },
    { dir: tmp.path },
  );

  async function call(resolve: (host: string) => Promise<LookupAddress[]>) {
    const tool = createHttpFetch({ resolve });
    const args = tool.input.parse({ url: `http://rebind.example:${port}/latest/meta-data` });
    // The policy's scope check, as the engine makes it before the call.
    const verdict = await tool.scope!(args, { role, workspace: role.workspace });
    const ctx = {
      role,
      runId: 'run_r',
      idempotencyKey: 'k',
      fencingToken: 1,
      workspace: role.workspace,
      signal: new AbortController().signal,
      secrets: loadSecrets(role, {}),
    };
    const outcome = await Promise.resolve(tool.run(args, ctx)).then(
      (result: unknown) => ({ result, error: undefined }),
      (error: Error & { code?: string }) => ({ result: undefined, error }),
    );
    return { verdict, ...outcome };
  }

  it('refuses at connect time a name rebound to 127.0.0.1 after the checks', async () => {
    // Public for the scope check and for run()'s own check; 127.0.0.1 from the connection on.
    const dns = rebindingResolver(2, { address: '127.0.0.1', family: 4 });
    const { verdict, result, error } = await call(dns.resolve);
    assert.equal(verdict.kind, 'inside', 'the check-time answer was public');
    assert.equal(result, undefined);
    assert.equal(error?.code, 'SCOPE_VIOLATION', String(error));
    assert.match(error!.message, /rebind\.example resolved to 127\.0\.0\.1 is loopback at connect time/);
    assert.equal(dns.queries.length, 3, 'the connection made its own query');
    assert.deepEqual(hits, [], 'the loopback server was never reached');
  });

  it('refuses at connect time a name rebound to an IPv4-mapped loopback address', async () => {
    const dns = rebindingResolver(2, { address: '::ffff:127.0.0.1', family: 6 });
    const { error } = await call(dns.resolve);
    assert.equal(error?.code, 'SCOPE_VIOLATION', String(error));
    assert.match(error!.message, /at connect time/);
    assert.deepEqual(hits, []);
  });

  it('refuses at check time a name that already resolves to loopback', async () => {
    const dns = rebindingResolver(0, { address: '127.0.0.1', family: 4 });
    const { verdict } = await call(dns.resolve);
    assert.equal(verdict.kind, 'outside');
    assert.deepEqual(hits, []);
  });
});
