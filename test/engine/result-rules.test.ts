// Result rules in a real run, on both stores: the result is committed with the escalation and the pause
// (one commit); the model is not asked again and the rest of the turn waits until a human answers; the
// answer lets the model see the result (and the answer), or withholds it. Builtin, module and MCP tools.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { buildMessages } from '../../src/engine/conversation.js';
import { RunState } from '../../src/engine/state.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { fixtures } from '../support/paths.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { type TestRole, testRoles } from '../support/roles.js';

const role = testRoles();
const done = { final: { summary: 'done' } };
const pgSkip = await postgresUnavailable();
const schemas: string[] = [];
after(async () => {
  for (const s of schemas) await dropSchema(s);
});

type StoreKind = 'sqlite' | 'postgres';

async function open(kind: StoreKind, r: TestRole, env?: NodeJS.ProcessEnv): Promise<Runtime> {
  if (kind === 'sqlite') return createRuntime({ dataDir: r.dataDir, ...(env ? { env } : {}) });
  const schema = freshSchema();
  schemas.push(schema);
  return createRuntime({
    databaseUrl: TEST_DATABASE_URL,
    env: { ...(env ?? process.env), NIGHTSHIFT_DATABASE_SCHEMA: schema },
  });
}

async function messagesOf(rt: Runtime, runId: string) {
  return buildMessages(new RunState((await rt.get(runId))!));
}

const lossRule = {
  category: 'security',
  reason: 'a write that reports data loss needs a person',
  when: { result: { tool: 'ledger.append', path: 'appended', contains: 'data loss' } },
};

for (const kind of ['sqlite', 'postgres'] as const) {
  const skip = kind === 'postgres' ? pgSkip : undefined;
  describe(`result rules (${kind})`, { skip }, () => {
    it('pauses before the model sees the result; the rest of the turn waits; the answer continues the run', async () => {
      const r = role({
        autonomy: 'full',
        tools: ['ledger.append'],
        escalation: [lossRule],
        turns: [
          {
            calls: [
              { tool: 'ledger.append', args: { entry: 'sync: data loss on shard 3' } },
              { tool: 'ledger.append', args: { entry: 'second' } },
            ],
          },
          done,
        ],
      });
      const rt = await open(kind, r);
      try {
        const paused = await rt.run(r.file, {});
        assert.equal(paused.status, 'escalated');
        assert.equal(paused.steps, 1, 'the model was not asked again');
        const e = paused.escalations[0]!;
        assert.equal(e.source, 'result_rule');
        assert.equal(e.category, 'security');
        assert.match(e.reason, /matched the result of ledger\.append: a write that reports data loss/);
        assert.deepEqual(r.ledger(), ['sync: data loss on shard 3'], 'the second call of the turn waits');

        const snap = (await rt.get(paused.runId))!;
        assert.equal(snap.run.leaseOwner, null, 'paused in the commit that recorded the result');
        const [first, second] = [...snap.toolCalls].sort((a, b) => a.index - b.index);
        assert.equal(first!.status, 'succeeded');
        assert.deepEqual(first!.result, { appended: 'sync: data loss on shard 3' });
        assert.equal(second!.status, 'pending');
        const record = snap.escalations[0]!;
        assert.equal(record.callKey, first!.key);
        assert.deepEqual(record.context.result, { appended: 'sync: data loss on shard 3' });

        await assert.rejects(rt.answer(e.id, 'go', { by: 'ops', allowCall: true }), {
          code: 'USAGE',
          message: /has already run/,
        });
        // Resuming does not get past the held result.
        assert.equal((await rt.resume(paused.runId)).status, 'escalated');
        assert.deepEqual(r.ledger(), ['sync: data loss on shard 3']);

        const result = await rt.answer(e.id, 'known issue, shard 3 is being rebuilt; carry on', {
          by: 'ops',
        });
        assert.equal(result.status, 'succeeded');
        assert.deepEqual(r.ledger(), ['sync: data loss on shard 3', 'second'], 'each call ran once');
        const messages = await messagesOf(rt, result.runId);
        const tool = messages.find((m) => m.role === 'tool');
        assert.ok(tool?.role === 'tool');
        assert.match(tool.content, /data loss on shard 3/, 'the model sees the result');
        const told = messages.filter((m) => m.role === 'user' && /shard 3 is being rebuilt/.test(m.content));
        assert.equal(told.length, 1, 'and the answer');
        const audit = await rt.store.listAudit({ runId: result.runId });
        assert.ok(audit.some((a) => a.action === 'escalation.raised' && a.target === e.id));
        assert.ok(
          audit.some(
            (a) => a.action === 'escalation.answered' && a.actor === 'ops' && a.data.withheldResult === false,
          ),
        );
      } finally {
        await rt.close();
      }
    });

    it('an answer that withholds the result: the model gets the answer, never the result, which is kept', async () => {
      const r = role({
        autonomy: 'full',
        tools: ['ledger.append'],
        escalation: [lossRule],
        turns: [{ call: 'ledger.append', args: { entry: 'customer data loss: alice@example.com' } }, done],
      });
      const rt = await open(kind, r);
      try {
        const paused = await rt.run(r.file, {});
        const id = paused.escalations[0]!.id;
        const result = await rt.answer(id, 'do not repeat customer details', {
          by: 'dpo',
          withholdResult: true,
        });
        assert.equal(result.status, 'succeeded');
        const messages = await messagesOf(rt, result.runId);
        const tool = messages.find((m) => m.role === 'tool');
        assert.ok(tool?.role === 'tool');
        assert.doesNotMatch(tool.content, /alice/);
        assert.match(tool.content, /"withheld":true/);
        assert.ok(
          messages.some((m) => m.role === 'user' && /withheld it from you .*do not repeat/.test(m.content)),
        );
        const snap = (await rt.get(result.runId))!;
        assert.deepEqual(snap.escalations[0]!.context.result, {
          appended: 'customer data loss: alice@example.com',
        });
      } finally {
        await rt.close();
      }
    });

    it('withholding is refused for an escalation that holds no result', async () => {
      const r = role({
        autonomy: 'full',
        turns: [{ escalate: { category: 'legal', reason: 'unsure' } }, done],
      });
      const rt = await open(kind, r);
      try {
        const paused = await rt.run(r.file, {});
        await assert.rejects(rt.answer(paused.escalations[0]!.id, 'x', { by: 'lee', withholdResult: true }), {
          code: 'USAGE',
          message: /holds no tool result/,
        });
        assert.equal((await rt.get(paused.runId))!.run.status, 'escalated', 'nothing changed');
      } finally {
        await rt.close();
      }
    });
  });
}

describe('result rules on builtin and MCP tools', () => {
  it('shell.exec: a rule on stdout ("the output mentions data loss")', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['shell.exec'],
      ledgerTools: false,
      escalation: [
        {
          category: 'security',
          when: { result: { tool: 'shell.exec', path: 'stdout', matches: '(?i)data\\s+loss' } },
        },
      ],
      turns: [
        { call: 'shell.exec', args: { command: 'echo', args: ['fsck: DATA LOSS in inode 12'] } },
        { call: 'shell.exec', args: { command: 'echo', args: ['all clean'] } },
        done,
      ],
      extra: { scope: { commands: ['echo'] } },
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated', JSON.stringify(paused));
      assert.equal(paused.escalations[0]!.source, 'result_rule');
      const snap = (await rt.get(paused.runId))!;
      assert.match(String((snap.escalations[0]!.context.result as { stdout: string }).stdout), /DATA LOSS/);
      const result = await rt.answer(paused.escalations[0]!.id, 'expected after the crash', { by: 'ops' });
      assert.equal(result.status, 'succeeded', 'the clean output of the next call does not escalate');
    } finally {
      await rt.close();
    }
  });

  it('fs.read: a rule on a builtin read tool whose result reports a critical threshold', async () => {
    const r = role({
      autonomy: 'observe',
      tools: ['fs.read'],
      ledgerTools: false,
      escalation: [
        {
          category: 'security',
          when: { result: { tool: 'fs.read', path: 'content', contains: 'CRITICAL' } },
        },
      ],
      turns: [{ call: 'fs.read', args: { path: 'status.txt' } }, done],
    });
    writeFileSync(join(r.workspace, 'status.txt'), 'disk: CRITICAL 99%\n');
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated', JSON.stringify(paused));
      assert.equal(paused.escalations[0]!.source, 'result_rule');
    } finally {
      await rt.close();
    }
  });

  it('the first matching rule wins, in order; a rule on the arguments and the result holds only when both do', async () => {
    // docs/escalation-rules.md: `all:` of an argument condition and a result condition, before a rule on
    // the result alone that matches too.
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append'],
      escalation: [
        {
          category: 'privacy',
          when: {
            all: [
              { tool: 'ledger.append', arg: 'amount', gt: 100 },
              { result: { tool: 'ledger.append', contains: 'ssn' } },
            ],
          },
        },
        { category: 'security', when: { result: { tool: 'ledger.append', contains: 'SSN' } } },
      ],
      turns: [
        { call: 'ledger.append', args: { entry: 'export: ssn column', amount: 5 } },
        { call: 'ledger.append', args: { entry: 'export: ssn column', amount: 500 } },
        done,
      ],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const first = await rt.run(r.file, {});
      assert.equal(first.status, 'escalated', JSON.stringify(first));
      // amount 5: the combined rule does not hold; the second rule (contains is case-insensitive) does.
      assert.deepEqual(
        [first.escalations[0]!.category, first.escalations[0]!.source],
        ['security', 'result_rule'],
      );
      const second = await rt.answer(first.escalations[0]!.id, 'known', { by: 'ops' });
      assert.equal(second.status, 'escalated', JSON.stringify(second));
      // amount 500: both rules hold; the first in the list is the one raised.
      const raised = second.escalations.find((e) => e.status === 'pending')!;
      assert.equal(raised.category, 'privacy');
      assert.match(raised.reason, /escalation rule 0 \(privacy\)/);
      // Each call ran once: a result rule never runs a call again.
      assert.equal(r.ledger().length, 2);
    } finally {
      await rt.close();
    }
  });

  it('a result stored truncated (over 256 KiB) is still judged whole: a path rule cannot be padded past', async () => {
    const r = role({
      autonomy: 'observe',
      tools: ['fs.read'],
      ledgerTools: false,
      escalation: [
        {
          category: 'security',
          when: { result: { tool: 'fs.read', path: 'content', contains: 'CRITICAL' } },
        },
      ],
      turns: [{ call: 'fs.read', args: { path: 'padded.txt' } }, done],
    });
    // 300 KB of padding, the word past the 256 KiB the store keeps.
    writeFileSync(join(r.workspace, 'padded.txt'), `${'x'.repeat(300_000)}\ndisk: CRITICAL 99%\n`);
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated', JSON.stringify(paused));
      assert.equal(paused.escalations[0]!.source, 'result_rule');
      // What is stored (and what the model would see) is the truncated form.
      const [call] = (await rt.get(paused.runId))!.toolCalls;
      assert.equal((call!.result as { truncated?: boolean }).truncated, true);
    } finally {
      await rt.close();
    }
  });

  it('an MCP tool: a rule on the text the server returned', async () => {
    const r = role({
      autonomy: 'full',
      tools: [],
      ledgerTools: false,
      escalation: [
        {
          category: 'security',
          when: { result: { tool: 'notes.list_notes', path: 'content', contains: 'critical' } },
        },
      ],
      turns: [{ call: 'notes.list_notes', args: {} }, done],
    });
    const notes = join(r.workspace, 'notes.txt');
    writeFileSync(notes, 'db1: critical alert\n');
    const mcp = [
      {
        name: 'notes',
        command: [process.execPath, fixtures('mcp', 'notes-server.mjs')],
        env: ['NOTES_FILE'],
        tools: { list_notes: 'read' },
      },
    ];
    writeFileSync(r.file, `${readFileSync(r.file, 'utf8')}${stringify({ mcp })}`);
    const rt = await createRuntime({ dataDir: r.dataDir, env: { ...process.env, NOTES_FILE: notes } });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated', JSON.stringify(paused));
      assert.equal(paused.escalations[0]!.source, 'result_rule');
      const snap = (await rt.get(paused.runId))!;
      assert.match(JSON.stringify(snap.escalations[0]!.context.result), /db1: critical alert/);
    } finally {
      await rt.close();
    }
  });
});
