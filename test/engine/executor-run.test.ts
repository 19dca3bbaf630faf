// The engine driving an executor (injected at the Executor seam, so no CLI is needed): decisions and
// events become steps, drafts wait for approval and then run through nightshift's own tools exactly once,
// a session cut off by a crash is re-run from the start, a failed session fails the run.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { approve } from '../../src/approvals/decide-approval.js';
import { createIdSource, systemClock } from '../../src/clock.js';
import type { EngineContext } from '../../src/engine/context.js';
import { newLeaseOwner } from '../../src/engine/lease.js';
import { type PreparedRole, prepareRole } from '../../src/engine/prepare.js';
import { resumeRun, startRun } from '../../src/engine/start.js';
import { NightshiftError } from '../../src/errors.js';
import { answerEscalation } from '../../src/escalations/answer.js';
import type { Executor, SessionOutcome, SessionRequest } from '../../src/executors/types.js';
import { emptyUsage } from '../../src/models/types.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

type Session = (r: SessionRequest) => Promise<SessionOutcome>;

const made: { role: TestRole; store: Store }[] = [];
after(async () => {
  for (const m of made) {
    await m.store.close();
    m.role.cleanup();
  }
});

function outcome(text: string, extra: Partial<SessionOutcome> = {}): SessionOutcome {
  return {
    text,
    usage: { ...emptyUsage(), inputTokens: 10, outputTokens: 5, costUsd: 0.01 },
    turns: 2,
    modelId: 'fake-1',
    ...extra,
  };
}

/** A role (scripted model replaced by a fake executor) with its own store and engine context. */
async function setup(
  o: Parameters<typeof writeTestRole>[0] & { scope?: string },
  sessions: Session[],
): Promise<{ r: TestRole; ctx: EngineContext; prepared: PreparedRole; calls: () => number }> {
  const r = writeTestRole(o);
  if (o.scope) writeFileSync(r.file, `${readFileSync(r.file, 'utf8')}${o.scope}`);
  const store = openSqliteStore({ dataDir: r.dataDir });
  await store.init();
  made.push({ role: r, store });
  let n = 0;
  const executor: Executor = {
    kind: 'executor',
    name: 'claude-code',
    spec: 'claude-code:fake',
    modelId: 'fake',
    run: (request) => sessions[Math.min(n++, sessions.length - 1)]!(request),
  };
  const base = await prepareRole(await loadRoleFile(r.file));
  const prepared: PreparedRole = { ...base, agent: { kind: 'executor', executor } };
  const ctx: EngineContext = {
    store,
    clock: systemClock,
    ids: createIdSource(),
    owner: newLeaseOwner(),
    leaseMs: 30_000,
  };
  return { r, ctx, prepared, calls: () => n };
}

const writeRequest = (path: string, content: string, extra = {}) => ({
  id: `toolu_${path}`,
  executorTool: 'Write',
  tool: 'fs.write',
  args: { path, content },
  ...extra,
});

describe('an executor run at draft', () => {
  it('files the drafted write after the session; approval runs it once with nightshift’s fs.write', async () => {
    const { r, ctx, prepared } = await setup(
      { autonomy: 'draft', turns: [{ final: {} }], ledgerTools: false },
      [
        async (s) => {
          assert.equal(
            (await s.gate({ id: 't1', executorTool: 'Read', tool: 'fs.read', args: { path: 'x' } })).decision,
            'allow',
          );
          const v = await s.gate(writeRequest('a.txt', 'drafted'));
          assert.equal(v.decision, 'draft');
          await s.emit({ type: 'tool_result', text: 'drafted', isError: true });
          return outcome('{"summary":"ok"}');
        },
      ],
    );
    const state = await startRun(ctx, prepared, { q: 1 });
    assert.equal(state.run.status, 'awaiting_approval');
    assert.equal(r.exists('a.txt'), false);
    const kinds = state.steps.map((s) => s.kind);
    assert.deepEqual(kinds, [
      'run_started',
      'executor_started',
      'decision',
      'decision',
      'executor_event',
      'model_turn',
      'approval_requested',
    ]);
    assert.deepEqual(state.run.usage, {
      inputTokens: 10,
      outputTokens: 5,
      cachedInputTokens: 0,
      costUsd: 0.01,
    });
    const approval = [...state.approvals.values()][0]!;
    await approve(ctx.store, ctx.clock, { approvalId: approval.id, by: 'alice' });
    const done = await resumeRun(ctx, prepared, state.run.id);
    assert.equal(done.run.status, 'succeeded');
    assert.deepEqual(done.run.output, { summary: 'ok' });
    assert.equal(r.read('a.txt'), 'drafted');
    assert.equal(done.steps.filter((s) => s.kind === 'tool_started').length, 1);
    // Resuming a finished run changes nothing.
    const again = await resumeRun(ctx, prepared, state.run.id);
    assert.equal(again.run.seq, done.run.seq);
  });

  it('re-runs a session cut off by a crash from the start; only the finished session is filed', async () => {
    const { r, ctx, prepared, calls } = await setup(
      { autonomy: 'draft', turns: [{ final: {} }], ledgerTools: false },
      [
        async (s) => {
          await s.gate(writeRequest('first.txt', 'from the dead session'));
          // The store failing mid-session stands for a crash: a transient error leaves a foreground run
          // as it was (an unexpected one would fail it, see unexpected.ts), for `resume` to continue.
          throw new NightshiftError('STORE_ERROR', 'the store went away mid-session');
        },
        async (s) => {
          await s.gate(writeRequest('second.txt', 'from the second session'));
          return outcome('"ok"');
        },
      ],
    );
    await assert.rejects(startRun(ctx, prepared, {}), /the store went away mid-session/);
    const [run] = await ctx.store.listRuns();
    assert.equal((await ctx.store.listApprovals({ status: 'pending' })).length, 0);
    const state = await resumeRun(ctx, prepared, run!.id);
    assert.equal(calls(), 2);
    assert.equal(state.run.status, 'awaiting_approval');
    const starts = state.steps.filter((s) => s.kind === 'executor_started');
    assert.deepEqual(
      starts.map((s) => s.data.attempt),
      [1, 2],
    );
    const approvals = await ctx.store.listApprovals({ status: 'pending' });
    assert.equal(approvals.length, 1);
    assert.deepEqual(
      approvals[0]!.calls.map((c) => c.args),
      [{ path: 'second.txt', content: 'from the second session' }],
    );
    await approve(ctx.store, ctx.clock, { approvalId: approvals[0]!.id, by: 'alice' });
    const done = await resumeRun(ctx, prepared, run!.id);
    assert.equal(done.run.status, 'succeeded');
    assert.equal(r.exists('first.txt'), false);
    assert.equal(r.read('second.txt'), 'from the second session');
  });

  it('fails the run when the session fails, and files nothing it proposed', async () => {
    const { r, ctx, prepared } = await setup(
      { autonomy: 'draft', turns: [{ final: {} }], ledgerTools: false },
      [
        async (s) => {
          await s.gate(writeRequest('a.txt', 'x'));
          return outcome('API Error', {
            error: { message: 'claude-code session failed (success): API Error' },
          });
        },
      ],
    );
    const state = await startRun(ctx, prepared, {});
    assert.equal(state.run.status, 'failed');
    assert.equal(state.run.error?.code, 'EXECUTOR_FAILED');
    assert.equal(state.approvals.size, 0);
    assert.equal([...state.calls.values()][0]!.status, 'rejected');
    assert.equal(r.exists('a.txt'), false);
  });

  it('fails the run when the final answer does not match the output schema (no repair turn)', async () => {
    const { ctx, prepared } = await setup(
      {
        autonomy: 'draft',
        turns: [{ final: {} }],
        ledgerTools: false,
        output: { type: 'object', required: ['summary'] },
      },
      [async () => outcome('not json')],
    );
    const state = await startRun(ctx, prepared, {});
    assert.equal(state.run.status, 'failed');
    assert.equal(state.run.error?.code, 'OUTPUT_INVALID');
  });
});

describe('an executor run over budget', () => {
  it('stops the session at budget.maxSeconds and fails the run with BUDGET_EXCEEDED', async () => {
    const { ctx, prepared } = await setup(
      { autonomy: 'full', turns: [{ final: {} }], ledgerTools: false, budget: { maxSeconds: 1 } },
      [
        (s) =>
          new Promise((resolve) => {
            s.signal.addEventListener('abort', () => resolve(outcome('', { error: { message: 'stopped' } })));
          }),
      ],
    );
    const state = await startRun(ctx, prepared, {});
    assert.equal(state.run.status, 'failed');
    assert.equal(state.run.error?.code, 'BUDGET_EXCEEDED');
    assert.match(state.run.error?.message ?? '', /budget\.maxSeconds/);
  });
});

describe('an executor run at sandbox and full', () => {
  it('denies a command the CLI would run itself outside bubblewrap, unless full with unsandboxedExec', async () => {
    const exec = {
      id: 'b1',
      executorTool: 'Bash',
      tool: 'shell.exec',
      args: { command: 'echo', args: ['hi'] },
    };
    const seen: string[] = [];
    const session: Session = async (s) => {
      seen.push((await s.gate(exec)).decision);
      return outcome('"ok"');
    };
    const sandbox = await setup(
      {
        autonomy: 'sandbox',
        turns: [{ final: {} }],
        ledgerTools: false,
        tools: ['shell.exec'],
        scope: 'scope:\n  commands: [echo]\n',
      },
      [session],
    );
    await startRun(sandbox.ctx, sandbox.prepared, {});
    const full = await setup(
      {
        autonomy: 'full',
        turns: [{ final: {} }],
        ledgerTools: false,
        tools: ['shell.exec'],
        scope: 'scope:\n  commands: [echo]\n  unsandboxedExec: true\n',
      },
      [session],
    );
    await startRun(full.ctx, full.prepared, {});
    assert.deepEqual(seen, ['deny', 'allow']);
  });

  it('runs an allowed deferred call (a Codex diff) with nightshift’s tool after the session', async () => {
    const { r, ctx, prepared } = await setup(
      { autonomy: 'sandbox', turns: [{ final: {} }], ledgerTools: false },
      [
        async (s) => {
          assert.equal(
            (await s.gate(writeRequest('a.txt', 'applied', { deferred: true }))).decision,
            'allow',
          );
          assert.equal(
            (await s.gate(writeRequest('../out.txt', 'escaped', { deferred: true }))).decision,
            'deny',
          );
          return outcome('"ok"');
        },
      ],
    );
    const state = await startRun(ctx, prepared, {});
    assert.equal(state.run.status, 'succeeded');
    assert.equal(r.read('a.txt'), 'applied');
    assert.equal(r.exists('../out.txt'), false);
  });

  it('holds a call an escalation rule matches; an answer with --allow-call runs it once', async () => {
    const { r, ctx, prepared } = await setup(
      {
        autonomy: 'full',
        turns: [{ final: {} }],
        ledgerTools: false,
        escalation: [
          {
            category: 'security',
            reason: 'config changes',
            when: { tool: 'fs.write', arg: 'path', matches: '^config' },
          },
        ],
      },
      [
        async (s) => {
          assert.equal((await s.gate(writeRequest('config.txt', 'on'))).decision, 'escalate');
          return outcome('"ok"');
        },
      ],
    );
    const state = await startRun(ctx, prepared, {});
    assert.equal(state.run.status, 'escalated');
    assert.equal(r.exists('config.txt'), false);
    const escalation = [...state.escalations.values()][0]!;
    await answerEscalation(ctx.store, ctx.clock, {
      escalationId: escalation.id,
      answer: 'go',
      by: 'alice',
      allowCall: true,
    });
    const done = await resumeRun(ctx, prepared, state.run.id);
    assert.equal(done.run.status, 'succeeded');
    assert.equal(r.read('config.txt'), 'on');
  });
});
