// Regressions for the security review: a held call holds its turn's other side effects; secrets are
// scrubbed from what is stored but never from the arguments that were decided; MCP tools without a read
// effect are unscoped at sandbox; credentials do not follow a redirect to another origin; a sandboxed
// command cannot reach the host's Unix sockets.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { defineRole } from '../../src/roles/define.js';
import { createRuntime } from '../../src/runtime.js';
import { httpFetch } from '../../src/tools/builtin/http-fetch.js';
import { shellExec } from '../../src/tools/builtin/shell-exec.js';
import { loadSecrets } from '../../src/tools/secrets.js';
import { fixtures } from '../support/paths.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});
function role(o: Parameters<typeof writeTestRole>[0], extra: Record<string, unknown> = {}): TestRole {
  const r = writeTestRole(o);
  made.push(r);
  if (Object.keys(extra).length) writeFileSync(r.file, `${readFileSync(r.file, 'utf8')}${stringify(extra)}`);
  return r;
}
const done = { final: { summary: 'done' } };

describe('a turn waits as a whole', () => {
  it('does not send the e-mail while the refund in the same turn waits for a manager', async () => {
    const r = role(
      {
        autonomy: 'full',
        tools: ['ledger.append', 'ledger.append_once', 'ledger.read'],
        turns: [
          {
            calls: [
              { tool: 'ledger.read', args: {} },
              { tool: 'ledger.append_once', args: { entry: 'email' } },
              { tool: 'ledger.append', args: { entry: 'refund', amount: 150 } },
            ],
          },
          done,
        ],
      },
      { escalation: [{ category: 'money', when: { tool: 'ledger.append', arg: 'amount', gt: 100 } }] },
    );
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated');
      assert.deepEqual(r.ledger(), [], 'a sibling side effect ran while the turn was held');
      const snap = (await rt.get(paused.runId))!;
      assert.equal(snap.toolCalls[0]!.status, 'succeeded', 'the read still ran');
      const result = await rt.answer(paused.escalations[0]!.id, 'approved', { by: 'mgr', allowCall: true });
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(
        r.ledger().map((l) => l.split(' ')[0]),
        ['email', 'refund'],
      );
    } finally {
      await rt.close();
    }
  });
});

describe('secrets and decided arguments', () => {
  it('writes what the model asked even when it contains a secret value; the stored result is scrubbed', async () => {
    const r = role(
      {
        autonomy: 'draft',
        tools: ['fs.write', 'fs.read'],
        turns: [
          { call: 'fs.write', args: { path: 'c.txt', content: 'contact ops@example.test' } },
          { call: 'fs.read', args: { path: 'c.txt' } },
          done,
        ],
      },
      { secrets: ['SMTP_USER'] },
    );
    const rt = await createRuntime({
      dataDir: r.dataDir,
      env: { ...process.env, SMTP_USER: 'ops@example.test' },
    });
    try {
      const paused = await rt.run(r.file, {});
      const result = await rt.approve(paused.pending[0]!, { by: 'alice' });
      assert.equal(result.status, 'succeeded');
      assert.equal(r.read('c.txt'), 'contact ops@example.test');
      const read = (await rt.get(result.runId))!.toolCalls.find((c) => c.tool === 'fs.read')!;
      assert.match(JSON.stringify(read.result), /\[secret SMTP_USER\]/);
    } finally {
      await rt.close();
    }
  });
});

describe('MCP tools at sandbox', () => {
  it('denies a non-read MCP tool (it declares no scope) and runs a read one', async () => {
    const r = role({
      autonomy: 'sandbox',
      tools: [],
      ledgerTools: false,
      turns: [
        {
          calls: [
            { tool: 'notes.list_notes', args: {} },
            { tool: 'notes.add_note', args: { text: 'x' } },
          ],
        },
        done,
      ],
    });
    const notes = join(r.workspace, 'notes.txt');
    writeFileSync(
      r.file,
      `${readFileSync(r.file, 'utf8')}${stringify({ mcp: [{ name: 'notes', command: [process.execPath, fixtures('mcp', 'notes-server.mjs')], env: ['NOTES_FILE'], tools: { list_notes: 'read', add_note: 'write' } }] })}`,
    );
    const rt = await createRuntime({ dataDir: r.dataDir, env: { ...process.env, NOTES_FILE: notes } });
    try {
      const result = await rt.run(r.file, {});
      const calls = (await rt.get(result.runId))!.toolCalls;
      assert.equal(calls[0]!.status, 'succeeded');
      assert.equal(calls[1]!.decision, 'deny');
      assert.match(calls[1]!.reason, /declares none/);
      assert.equal(existsSync(notes), false);
    } finally {
      await rt.close();
    }
  });
});

describe('http.fetch redirects to another origin', () => {
  it('drops credentials and secret-bearing headers before following', async () => {
    const seen: (string | undefined)[] = [];
    const other = createHttpServer((req, res) => {
      seen.push(req.headers.authorization ?? req.headers['x-api-key']?.toString());
      res.end('other');
    });
    await new Promise<void>((ok) => other.listen(0, '127.0.0.1', ok));
    const otherPort = (other.address() as { port: number }).port;
    const first = createHttpServer((_req, res) =>
      res.writeHead(302, { location: `http://localhost:${otherPort}/` }).end(),
    );
    await new Promise<void>((ok) => first.listen(0, '127.0.0.1', ok));
    const tmp = tempDir('nightshift-redirect-');
    mkdirSync(join(tmp.path, 'ws'));
    try {
      const rl = defineRole(
        {
          name: 'f',
          description: 'd',
          autonomy: 'full',
          model: 'openai:x',
          instructions: 'i',
          tools: ['http.fetch'],
          workspace: './ws',
          secrets: ['TOKEN'],
          scope: { hosts: ['127.0.0.1', { host: 'localhost', private: true }] },
        },
        { dir: tmp.path },
      );
      const args = httpFetch.input.parse({
        url: `http://127.0.0.1:${(first.address() as { port: number }).port}/`,
        headers: {
          authorization: 'Bearer plain-token',
          'x-api-key': '{{secret:TOKEN}}',
          accept: 'text/plain',
        },
      });
      const res = await httpFetch.run(args, {
        role: rl,
        runId: 'r',
        idempotencyKey: 'k',
        fencingToken: 1,
        workspace: rl.workspace,
        signal: new AbortController().signal,
        secrets: loadSecrets(rl, { TOKEN: 'tok-9999' }),
      });
      assert.equal(res.body, 'other');
      assert.deepEqual(seen, [undefined]);
    } finally {
      first.close();
      other.close();
      tmp.cleanup();
    }
  });
});

describe('the command sandbox and host sockets', () => {
  it('cannot connect to a Unix socket under /run', async (t) => {
    const path = `/run/nightshift-test-${process.pid}.sock`;
    let connections = 0;
    const server = createNetServer(() => {
      connections++;
    });
    try {
      await new Promise<void>((ok, fail) => server.listen(path, ok).once('error', fail));
    } catch (err) {
      t.skip(`cannot create a socket in /run here: ${(err as Error).message}`);
      return;
    }
    const tmp = tempDir('nightshift-sock-');
    mkdirSync(join(tmp.path, 'ws'));
    try {
      const rl = defineRole(
        {
          name: 's',
          description: 'd',
          autonomy: 'sandbox',
          model: 'openai:x',
          instructions: 'i',
          tools: ['shell.exec'],
          workspace: './ws',
          scope: { commands: ['node'] },
        },
        { dir: tmp.path },
      );
      const script = `require('net').connect(${JSON.stringify(path)}).on('connect',()=>{console.log('connected');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(3)})`;
      const args = shellExec.input.parse({ command: 'node', args: ['-e', script] });
      const res = await shellExec.run(args, {
        role: rl,
        runId: 'r',
        idempotencyKey: 'k',
        fencingToken: 1,
        workspace: rl.workspace,
        signal: new AbortController().signal,
        secrets: loadSecrets(rl, {}),
      });
      assert.equal(res.exitCode, 3, res.stdout + res.stderr);
      assert.equal(connections, 0);
    } finally {
      server.close();
      rmSync(path, { force: true });
      tmp.cleanup();
    }
  });
});
