// A secret that comes back encoded — an API echoing the Authorization header as base64, hex or inside a
// percent-encoded URL — is in no byte the store holds and nothing `show` prints; and a drafted call whose
// arguments hold an encoded secret is stored redacted yet, approved, runs with exactly what was drafted.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodedForms } from '../../src/secret-forms.js';
import { json, runCli } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

// Characters that give '+' and '/' in its base64 and are changed by percent-encoding.
const VALUE = 'tok/LIVE~9f?3a>c71';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const made: TestRole[] = [];
let api: Server;
let port = 0;

before(async () => {
  // An API that echoes the bearer token back in every encoding tools and APIs commonly use.
  api = createServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        base64: b64(token),
        base64url: Buffer.from(token).toString('base64url'),
        basic: [`ab:${token}`, `abc:${token}`, `abcd:${token}`].map((s) => `Basic ${b64(s)}`),
        hex: Buffer.from(token).toString('hex'),
        HEX: Buffer.from(token).toString('hex').toUpperCase(),
        url: `https://api.example/cb?key=${encodeURIComponent(token)}`,
        form: new URLSearchParams({ key: token }).toString(),
      }),
    );
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  port = (api.address() as { port: number }).port;
});
after(() => {
  api.close();
  for (const r of made) r.cleanup();
});

function role(autonomy: 'draft' | 'full', tools: string[], turns: unknown[]): TestRole {
  const r = writeTestRole({
    name: 'encoded-secrets',
    autonomy,
    tools,
    ledgerTools: false,
    turns,
    extra: {
      secrets: ['API_TOKEN'],
      secretsFile: './secrets.env',
      scope: { hosts: ['127.0.0.1'] },
    },
  });
  writeFileSync(join(r.dir, 'secrets.env'), `API_TOKEN=${VALUE}\n`);
  made.push(r);
  return r;
}

/** Every byte the store wrote (the database, its WAL and shared memory). */
function storeBytes(r: TestRole): Buffer {
  return Buffer.concat(readdirSync(r.dataDir).map((f) => readFileSync(join(r.dataDir, f))));
}

/** The texts that must appear nowhere: the value and each of its encoded forms (base64 at 3 alignments...). */
const forbidden = [VALUE, ...encodedForms(VALUE).map((f) => f.text)];

describe('encoded secrets', () => {
  it('a tool result holding the secret base64-, hex- or percent-encoded is stored and shown scrubbed', async () => {
    const r = role(
      'full',
      ['http.fetch'],
      [
        {
          call: 'http.fetch',
          args: {
            url: `http://127.0.0.1:${port}/echo`,
            headers: { authorization: 'Bearer {{secret:API_TOKEN}}' },
          },
        },
        { final: { summary: 'fetched' } },
      ],
    );
    const res = await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const { runId } = json<{ runId: string }>(res);
    const show = await runCli(['show', runId, '--json', '--data-dir', r.dataDir]);
    const human = await runCli(['show', runId, '--data-dir', r.dataDir]);
    const bytes = storeBytes(r);
    for (const text of forbidden) {
      for (const out of [res, show, human])
        assert.ok(!out.stdout.includes(text) && !out.stderr.includes(text), `printed: ${text}`);
      assert.equal(bytes.indexOf(text), -1, `the store holds ${text}`);
    }
    // The API really echoed it: the placeholders say where, and in which form.
    for (const encoding of ['base64', 'base64url', 'base64:1', 'base64:2', 'hex', 'HEX', 'url', 'form'])
      assert.ok(show.stdout.includes(`[secret API_TOKEN ${encoding}]`), `${encoding}: ${show.stdout}`);
  });

  it('a drafted call with the secret base64-encoded in its arguments is stored scrubbed and, approved, writes exactly that', async () => {
    const content = `Authorization: Basic ${b64(`bot:${VALUE}`)}`;
    const r = role(
      'draft',
      ['fs.write'],
      [{ call: 'fs.write', args: { path: 'auth.txt', content } }, { final: { summary: 'drafted' } }],
    );
    const paused = await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
    assert.equal(paused.code, 3, paused.stderr + paused.stdout);
    const { pending } = json<{ pending: string[] }>(paused);
    const inbox = await runCli(['inbox', '--data-dir', r.dataDir]);
    assert.match(inbox.stdout, /\[secret API_TOKEN base64:1\]/);
    for (const text of forbidden) assert.equal(storeBytes(r).indexOf(text), -1, `the store holds ${text}`);
    const approved = await runCli(['approve', pending[0]!, '--data-dir', r.dataDir]);
    assert.equal(approved.code, 0, approved.stderr + approved.stdout);
    assert.equal(readFileSync(join(r.workspace, 'auth.txt'), 'utf8'), content);
  });
});
