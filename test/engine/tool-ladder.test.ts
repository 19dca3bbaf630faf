// Every built-in tool, end to end from a role file, at every rung of the ladder: what the policy decides,
// and — for drafts — that approving runs it. Side effects are checked from outside.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { stringify } from 'yaml';
import type { Autonomy } from '../../src/roles/schema.js';
import { createRuntime } from '../../src/runtime.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
let httpHits: string[] = [];
let mails = 0;
let port = 0;
let smtpPort = 0;
const http = createServer((req, res) => {
  httpHits.push(req.url ?? '');
  res.end(req.url === '/api/chat.postMessage' ? '{"ok":true,"ts":"1"}' : 'ok');
});
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, _s, cb) {
    stream.resume();
    stream.on('end', () => {
      mails++;
      cb();
    });
  },
});

before(async () => {
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  port = (http.address() as { port: number }).port;
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  smtpPort = (smtp.server.address() as { port: number }).port;
});
after(async () => {
  http.close();
  await new Promise<void>((r) => smtp.close(() => r()));
  for (const r of made) r.cleanup();
});

interface ToolCase {
  tool: string;
  args: () => Record<string, unknown>;
  effect: 'read' | 'write' | 'exec' | 'external';
  /** Prepares the workspace; returns a check that the side effect happened. */
  prepare: (r: TestRole) => () => boolean;
}

const cases: ToolCase[] = [
  { tool: 'fs.read', effect: 'read', args: () => ({ path: 'in.txt' }), prepare: () => () => true },
  { tool: 'fs.list', effect: 'read', args: () => ({ path: '.' }), prepare: () => () => true },
  { tool: 'fs.search', effect: 'read', args: () => ({ pattern: 'hello' }), prepare: () => () => true },
  {
    tool: 'fs.write',
    effect: 'write',
    args: () => ({ path: 'out.txt', content: 'x' }),
    prepare: (r) => () => existsSync(join(r.workspace, 'out.txt')),
  },
  {
    tool: 'fs.edit',
    effect: 'write',
    args: () => ({ path: 'in.txt', old: 'hello', new: 'bye' }),
    prepare: (r) => () => readFileSync(join(r.workspace, 'in.txt'), 'utf8') === 'bye world',
  },
  {
    tool: 'fs.delete',
    effect: 'write',
    args: () => ({ path: 'in.txt' }),
    prepare: (r) => () => !existsSync(join(r.workspace, 'in.txt')),
  },
  {
    tool: 'shell.exec',
    effect: 'exec',
    args: () => ({ command: 'touch', args: ['made-by-shell'] }),
    prepare: (r) => () => existsSync(join(r.workspace, 'made-by-shell')),
  },
  {
    tool: 'http.fetch',
    effect: 'external',
    args: () => ({ url: `http://127.0.0.1:${port}/fetched` }),
    prepare: () => () => httpHits.includes('/fetched'),
  },
  {
    tool: 'notify.webhook',
    effect: 'external',
    args: () => ({ target: 'ops', event: 'ping' }),
    prepare: () => () => httpHits.includes('/hook'),
  },
  {
    tool: 'notify.slack',
    effect: 'external',
    args: () => ({ text: 'hi', channel: '#ops' }),
    prepare: () => () => httpHits.includes('/api/chat.postMessage'),
  },
  {
    tool: 'notify.email',
    effect: 'external',
    args: () => ({ subject: 's', text: 't' }),
    prepare: () => {
      const before = mails;
      return () => mails > before;
    },
  },
];

function roleFor(autonomy: Autonomy, c: ToolCase): TestRole {
  const r = writeTestRole({
    autonomy,
    tools: [c.tool],
    ledgerTools: false,
    turns: [{ call: c.tool, args: c.args() }, { final: { summary: 'done' } }],
  });
  made.push(r);
  writeFileSync(join(r.workspace, 'in.txt'), 'hello world');
  const extra = {
    scope: { commands: ['touch'], hosts: ['127.0.0.1'] },
    secrets: ['HOOK_SECRET', 'SLACK_TOKEN'],
    notify: {
      webhooks: { ops: { url: `http://127.0.0.1:${port}/hook`, secret: 'HOOK_SECRET' } },
      slack: { token: 'SLACK_TOKEN', channels: ['#ops'], apiUrl: `http://127.0.0.1:${port}/api` },
      email: {
        host: '127.0.0.1',
        port: smtpPort,
        requireTls: false,
        from: 'bot@example.test',
        to: ['ops@example.test'],
      },
    },
  };
  writeFileSync(r.file, `${readFileSync(r.file, 'utf8')}${stringify(extra)}`);
  return r;
}

const expected = (level: Autonomy, effect: ToolCase['effect']): 'allow' | 'draft' | 'deny' => {
  if (effect === 'read') return 'allow';
  if (level === 'observe') return 'deny';
  if (level === 'draft') return 'draft';
  return 'allow';
};

describe('every built-in tool at every rung', () => {
  for (const c of cases) {
    for (const level of ['observe', 'draft', 'sandbox', 'full'] as Autonomy[]) {
      const want = expected(level, c.effect);
      it(`${c.tool} at ${level}: ${want}`, async () => {
        httpHits = [];
        const r = roleFor(level, c);
        const happened = c.prepare(r);
        const rt = await createRuntime({
          dataDir: r.dataDir,
          env: { ...process.env, HOOK_SECRET: 'hook-secret-1', SLACK_TOKEN: 'xoxb-1' },
        });
        try {
          let result = await rt.run(r.file, {});
          const call = (await rt.get(result.runId))!.toolCalls[0]!;
          assert.equal(call.decision, want, call.reason);
          if (want === 'draft') {
            assert.equal(result.status, 'awaiting_approval');
            if (c.effect !== 'read') assert.equal(happened(), false, 'a draft ran before approval');
            result = await rt.approve(result.pending[0]!, { by: 'tester' });
          }
          assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
          const after = (await rt.get(result.runId))!.toolCalls[0]!;
          if (want === 'deny') {
            assert.equal(after.status, 'denied');
            if (c.effect !== 'read') assert.equal(happened(), false);
          } else {
            assert.equal(after.status, 'succeeded', JSON.stringify(after.result));
            assert.equal(happened(), true, 'the side effect did not happen');
          }
        } finally {
          await rt.close();
        }
      });
    }
  }
});
