// /mcp on a real `nightshift serve`, driven by the official SDK's Client over streamable HTTP: no token and
// a token without the needed scope are refused (401 / 403, or a tool refusal, with nothing recorded); with a token
// the client lists the tools, starts a run that serve's worker drives, reads it, its log and the inbox. A
// body nested too deep is refused, and a server-side failure's text never reaches the client.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Database from 'better-sqlite3';
import { createTestToken, type Served, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';
import { DECIDING_WORDS, toolJson, toolText } from './support.js';

const role = testRoles();

const summarizer = role({
  name: 'summarizer',
  autonomy: 'full',
  tools: [],
  ledgerTools: false,
  turns: [{ final: { summary: 'all quiet' } }],
});

async function connect(url: string, token: string | undefined): Promise<Client> {
  const client = new Client({ name: 'nightshift-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL('/mcp', url), {
      requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
    }),
  );
  return client;
}

describe('/mcp on serve (streamable HTTP, the SDK client)', () => {
  let served: Served;
  let reader: string;
  const clients: Client[] = [];
  before(async () => {
    const args = [summarizer.file, '--port', '0', '--data-dir', summarizer.dataDir];
    reader = await createTestToken(args, {}, 'runs:read');
    assert.ok(reader, 'a runs:read token was created');
    served = await startServe(args);
  });
  after(async () => {
    for (const c of clients) await c.close();
    served?.child.kill('SIGTERM');
    await served?.done;
  });

  it('refuses a request without a token (401) and one with a token lacking runs:read (403)', async () => {
    const init = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
    const post = (headers: Record<string, string>) =>
      fetch(`${served.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify(init),
      });
    const anonymous = await post({});
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'AUTH_REQUIRED');
    await assert.rejects(connect(served.url, undefined), /AUTH_REQUIRED/);

    const sender = await createTestToken(['--data-dir', summarizer.dataDir], {}, 'events:send');
    const forbidden = await post({ authorization: `Bearer ${sender}` });
    assert.equal(forbidden.status, 403);
    assert.equal(((await forbidden.json()) as { error: { code: string } }).error.code, 'AUTH_FORBIDDEN');
  });

  it('answers a body that is not JSON with a JSON-RPC parse error (-32700, id null), as the stdio server does', async () => {
    for (const body of ['{"jsonrpc": "2.0", "id": 1, "method"', '', 'not json']) {
      const res = await fetch(`${served.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${reader}`,
        },
        body,
      });
      assert.equal(res.status, 400, JSON.stringify(body));
      const answer = (await res.json()) as {
        jsonrpc: string;
        id: unknown;
        error: { code: number; message: string };
      };
      assert.equal(answer.jsonrpc, '2.0');
      assert.equal(answer.id, null);
      assert.equal(answer.error.code, -32700);
      assert.match(answer.error.message, /not JSON/);
    }
  });

  it('checks each message of a batch as it checks one: an empty or bad batch is -32600 with its reason, a good one is answered', async () => {
    // Before, `[]` got an empty 202 and a batch holding a bad message the SDK's "-32700 Parse error:
    // Invalid JSON-RPC message", not the Invalid Request and reason this door gives one message.
    const post = (body: unknown) =>
      fetch(`${served.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${reader}`,
        },
        body: JSON.stringify(body),
      });
    const cases: [unknown, unknown, RegExp][] = [
      [[], null, /the batch is empty/],
      [
        [{ jsonrpc: '2.0', id: 1, method: 'ping' }, 1],
        null,
        /a message is a JSON object \(message 2 of the batch\)/,
      ],
      [[{ jsonrpc: '1.0', id: 7, method: 'ping' }], 7, /jsonrpc must be "2\.0" \(message 1 of the batch\)/],
      // Not the stdio advice ("send one message per line"), which HTTP does not need.
      [
        [{ jsonrpc: '2.0', id: 1, method: 'ping' }, [{ jsonrpc: '2.0', id: 2, method: 'ping' }]],
        null,
        /^Invalid Request: a batch holds messages, not another batch \(message 2 of the batch is an array\)$/,
      ],
    ];
    for (const [batch, id, reason] of cases) {
      const res = await post(batch);
      assert.equal(res.status, 400, JSON.stringify(batch));
      const answer = (await res.json()) as { id: unknown; error: { code: number; message: string } };
      assert.equal(answer.id, id, JSON.stringify(batch));
      assert.equal(answer.error.code, -32600, JSON.stringify(batch));
      assert.match(answer.error.message, reason);
    }
    const ok = await post([
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
    ]);
    assert.equal(ok.status, 200);
    assert.deepEqual(
      ((await ok.json()) as { id: number }[]).map((m) => m.id),
      [1, 2],
    );
  });

  it('serves a client whose Accept admits JSON (none, */*, application/json) and says why it refuses one that does not', async () => {
    // Before, anything but both types named got the SDK's 406, curl's default `*/*` and no header included.
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' });
    const post = (accept: string | undefined) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          authorization: `Bearer ${reader}`,
        };
        if (accept !== undefined) headers.accept = accept;
        // node:http, not fetch: fetch adds `accept: */*` when none is given.
        const req = httpRequest(`${served.url}/mcp`, { method: 'POST', headers }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.end(ping);
      });
    for (const accept of [
      undefined,
      '*/*',
      'application/json',
      'text/html, application/*;q=0.5',
      '*/*;q=0, application/json',
    ]) {
      const res = await post(accept);
      assert.equal(res.status, 200, `${accept}: ${res.body}`);
      assert.deepEqual(JSON.parse(res.body), { jsonrpc: '2.0', id: 9, result: {} });
    }
    // The most specific range decides: JSON refused by name is refused whatever `*/*` says.
    for (const accept of [
      'text/event-stream',
      'text/html',
      'application/json;q=0',
      'application/json;q=0, */*',
      'application/*;q=0, */*;q=1',
    ]) {
      const res = await post(accept);
      assert.equal(res.status, 406, `${accept}: ${res.body}`);
      const answer = JSON.parse(res.body) as { id: unknown; error: { code: number; message: string } };
      assert.equal(answer.id, null);
      assert.equal(answer.error.code, -32000);
      assert.match(answer.error.message, /^Not Acceptable: \/mcp answers application\/json, which Accept: /);
    }
  });

  it('answers JSON that is not a JSON-RPC message with -32600 Invalid Request and its reason, as on stdio', async () => {
    const cases: [unknown, unknown, RegExp][] = [
      [{ jsonrpc: '1.0', id: 3, method: 'tools/list' }, 3, /jsonrpc must be "2\.0"/],
      [{ jsonrpc: '2.0', id: 'a', method: 5 }, 'a', /method must be a string/],
      [42, null, /a message is a JSON object/],
    ];
    for (const [message, id, reason] of cases) {
      const res = await fetch(`${served.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${reader}`,
        },
        body: JSON.stringify(message),
      });
      assert.equal(res.status, 400, JSON.stringify(message));
      const answer = (await res.json()) as {
        jsonrpc: string;
        id: unknown;
        error: { code: number; message: string };
      };
      assert.equal(answer.jsonrpc, '2.0');
      assert.equal(answer.id, id);
      assert.equal(answer.error.code, -32600);
      assert.match(answer.error.message, /^Invalid Request: /);
      assert.match(answer.error.message, reason);
    }
  });

  it('authenticates every method: GET and DELETE without a token are 401, with one 405', async () => {
    for (const method of ['GET', 'DELETE', 'PUT']) {
      const anonymous = await fetch(`${served.url}/mcp`, { method });
      assert.equal(anonymous.status, 401, `${method} without a token`);
      assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'AUTH_REQUIRED');
      const res = await fetch(`${served.url}/mcp`, {
        method,
        headers: { authorization: `Bearer ${reader}` },
      });
      assert.equal(res.status, 405, `${method} with a token`);
      assert.deepEqual(await res.json(), {
        error: {
          code: 'METHOD_NOT_ALLOWED',
          message: `${method} /mcp is not offered: send JSON-RPC requests with POST`,
        },
      });
    }
  });

  it('a runs:read token reads but cannot start a run: refused, nothing recorded', async () => {
    const client = await connect(served.url, reader);
    clients.push(client);
    const { tools } = await client.listTools();
    assert.equal(tools.length, 6);
    for (const t of tools) for (const w of DECIDING_WORDS) assert.ok(!t.name.includes(w), t.name);
    const refused = await client.callTool({ name: 'runs.start', arguments: { role: 'summarizer' } });
    assert.equal(refused.isError, true);
    assert.match(toolText(refused), /AUTH_FORBIDDEN.*events:send/);
    const listed = toolJson(await client.callTool({ name: 'runs.list', arguments: {} }));
    assert.deepEqual(listed.runs, []);
  });

  it("starts a run that serve's worker drives, reads its result, its log and the inbox", async () => {
    const client = await connect(served.url, served.token);
    clients.push(client);
    const roles = toolJson(await client.callTool({ name: 'roles.list', arguments: {} }));
    assert.deepEqual(
      (roles.roles as { name: string }[]).map((r) => r.name),
      ['summarizer'],
    );
    const started = toolJson(
      await client.callTool({
        name: 'runs.start',
        arguments: { role: 'summarizer', input: { ticket: 'T-2' }, waitSeconds: 120 },
      }),
    );
    assert.equal(started.status, 'succeeded', JSON.stringify(started));
    assert.deepEqual(started.output, { summary: 'all quiet' });

    const got = toolJson(await client.callTool({ name: 'runs.get', arguments: { runId: started.runId } }));
    const first = (got.stepLog as { kind: string; data: { trigger?: { kind: string } } }[])[0]!;
    assert.equal(first.data.trigger?.kind, 'mcp');
    const log = await client.readResource({ uri: got.log as string });
    assert.match((log.contents[0] as { text: string }).text, /run_started/);

    const inbox = toolJson(await client.callTool({ name: 'inbox.list', arguments: {} }));
    assert.deepEqual(inbox.approvals, []);
    assert.deepEqual(inbox.escalations, []);

    // Recorded as the caller (docs/mcp-server.md: `mcp:<token's person or service>`), not as an anonymous
    // `trigger:mcp`: the audit log names who started it (read beside the running daemon).
    const db = new Database(join(summarizer.dataDir, 'nightshift.db'), { readonly: true });
    try {
      const row = db
        .prepare("SELECT actor FROM audit_events WHERE run_id = ? AND action = 'run.created'")
        .get(started.runId) as { actor: string };
      assert.equal(row.actor, 'mcp:test-client');
    } finally {
      db.close();
    }
  });
  it("keeps a client's idempotency key in its own namespace: the same key twice is one run, never another door's", async () => {
    const client = await connect(served.url, served.token);
    clients.push(client);
    const start = async () =>
      toolJson(
        await client.callTool({
          name: 'runs.start',
          arguments: {
            role: 'summarizer',
            input: { ticket: 'T-3' },
            idempotencyKey: 'event:desk.go:k-1',
            waitSeconds: 120,
          },
        }),
      );
    const a = await start();
    const b = await start();
    assert.equal(a.runId, b.runId);
    // The key as stored (read beside the running daemon: SQLite allows a second reader).
    const db = new Database(join(summarizer.dataDir, 'nightshift.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT idempotency_key AS k FROM runs WHERE id = ?').get(a.runId) as {
        k: string;
      };
      assert.equal(row.k, 'mcp:test-client:summarizer:event:desk.go:k-1');
    } finally {
      db.close();
    }
  });
  it('takes a 200-character key (the most the key rule allows), though its namespaced form is longer', async () => {
    const client = await connect(served.url, served.token);
    clients.push(client);
    const key = 'k'.repeat(200);
    const start = async () =>
      toolJson(
        await client.callTool({
          name: 'runs.start',
          arguments: { role: 'summarizer', input: { ticket: 'T-4' }, idempotencyKey: key, waitSeconds: 120 },
        }),
      );
    const a = await start();
    assert.equal(typeof a.runId, 'string', JSON.stringify(a));
    assert.equal((await start()).runId, a.runId);
  });

  it('refuses a body nested deeper than 100 levels with -32600 Invalid Request, recording nothing', async () => {
    const client = await connect(served.url, reader);
    clients.push(client);
    const before = toolJson(await client.callTool({ name: 'runs.list', arguments: {} }));
    // 20,000 nested arrays: JSON.parse takes them, the recursive code after it overflowed the stack.
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const res = await fetch(`${served.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${served.token}`,
      },
      body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"runs.start","arguments":{"role":"summarizer","input":{"deep":${deep}}}}}`,
    });
    const text = await res.text();
    assert.equal(res.status, 400, text);
    const answer = JSON.parse(text) as { error: { code: number; message: string } };
    assert.equal(answer.error.code, -32600);
    assert.match(answer.error.message, /more than 100 levels deep/);
    const after = toolJson(await client.callTool({ name: 'runs.list', arguments: {} }));
    assert.deepEqual(after.runs, before.runs);
  });

  it('judges the depth before parsing: a deep body cut short is refused as too deep, not read to its end', async () => {
    // JSON.parse of 1 MiB of nested arrays takes 30 times as long as of a flat body, a stall of the daemon
    // any runs:read token could cause; the depth scan takes under a millisecond. A body still open at 500,000
    // levels shows which came first: JSON.parse would call it not JSON (-32700).
    const res = await fetch(`${served.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${served.token}`,
      },
      body: '['.repeat(500_000),
    });
    const text = await res.text();
    assert.equal(res.status, 400, text);
    const answer = JSON.parse(text) as { error: { code: number; message: string } };
    assert.equal(answer.error.code, -32600, text);
    assert.match(answer.error.message, /more than 100 levels deep/);
  });

  // Last: it takes the runs table away under the running daemon (and gives it back).
  it("never shows a client a server-side failure's text (the store's file path, its SQL error): that goes to the log", async () => {
    const client = await connect(served.url, reader);
    clients.push(client);
    const file = join(summarizer.dataDir, 'nightshift.db');
    const db = new Database(file);
    db.exec('ALTER TABLE runs RENAME TO runs_away');
    let listed: unknown;
    let read: unknown;
    try {
      listed = await client.callTool({ name: 'runs.list', arguments: {} });
      read = await client.readResource({ uri: 'nightshift://runs/run_x/log' }).catch((err: Error) => err);
    } finally {
      db.exec('ALTER TABLE runs_away RENAME TO runs');
      db.close();
    }
    assert.equal((listed as { isError?: boolean }).isError, true);
    assert.equal(toolText(listed), '[INTERNAL] internal error (see the server log)');
    assert.ok(read instanceof Error, 'the resource read failed');
    assert.match(read.message, /\[INTERNAL\] internal error \(see the server log\)/);
    for (const shown of [toolText(listed), read.message]) {
      assert.ok(!shown.includes(summarizer.dataDir), shown);
      assert.doesNotMatch(shown, /SQLite|no such table|runs_away/);
    }
    // The operator still learns what failed, from serve's log. The answer can reach the client before the
    // line written just before it reaches this process through the child's stdout pipe: wait for it.
    await waitFor(
      async () =>
        /"err":"[^"]*no such table: runs","msg":"mcp request failed"/.test(served.stdout())
          ? true
          : undefined,
      "serve's log line for the failed request",
    );
    // And a refusal the client caused still says what is wrong.
    assert.match(
      toolText(await client.callTool({ name: 'runs.get', arguments: { runId: 'run_nope' } })),
      /^\[RUN_NOT_FOUND\] no run run_nope/,
    );
    // An id that does not read as one (the client chose it: a newline, a bidi control) is quoted, escaped.
    assert.match(
      toolText(await client.callTool({ name: 'runs.get', arguments: { runId: 'run_\u202E\nforged' } })),
      /^\[RUN_NOT_FOUND\] no run "run_\\u202e\\nforged" \(runs\.list lists them\)$/,
    );
  });
});
