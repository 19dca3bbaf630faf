// The step log read back: every shape a past version wrote still reads; a row that does not stops the
// rebuild with an error naming the run, seq and kind; and a claimed run whose log cannot be read is
// failed once, not left for the next worker to trip over.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { systemClock } from '../../src/clock.js';
import { RunState } from '../../src/engine/state.js';
import { failClaimedRun } from '../../src/engine/unexpected.js';
import type { EscalationCategory } from '../../src/roles/conditions.js';
import { AUTONOMY_LEVELS, type Autonomy, Retry } from '../../src/roles/schema.js';
import { createRuntime } from '../../src/runtime.js';
import { readStep, StepDataInvalidError } from '../../src/steps/read.js';
import { STEP_ENUMS } from '../../src/steps/schema.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Decision, EscalationSource, RunRecord, StepKind, StepRecord } from '../../src/store/types.js';
import { testRoles } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

// The schema's enums are the domain's, exactly (a compile error here means one of them changed).
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const sameEnums: [
  Equal<(typeof STEP_ENUMS.AUTONOMY)[number], Autonomy>,
  Equal<(typeof STEP_ENUMS.DECISIONS)[number], Decision>,
  Equal<(typeof STEP_ENUMS.CATEGORIES)[number], EscalationCategory>,
  Equal<(typeof STEP_ENUMS.SOURCES)[number], EscalationSource>,
] = [true, true, true, true];

function newRun(over: Partial<RunRecord>): RunRecord {
  return {
    ...{ id: 'run_1', role: 'r', roleVersion: 'v', model: 'm', status: 'running', input: null, output: null },
    ...{
      error: null,
      seq: 1,
      turns: 0,
      activeMs: 0,
      idempotencyKey: null,
      leaseOwner: null,
      leaseUntil: null,
    },
    usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0 },
    grant: { steps: 0, costUsd: 0, seconds: 0 },
    ...{ leaseEpoch: 1, attempt: 1, notBefore: null, createdAt: 1, updatedAt: 1, finishedAt: null },
    ...over,
  };
}

const step = (seq: number, kind: StepKind | string, data: Record<string, unknown>): StepRecord =>
  ({ runId: 'run_1', seq, kind, at: 1_000, data }) as StepRecord;

/** Shapes earlier versions wrote (the commit that wrote each first), which must keep reading. */
const OLD_SHAPES: [string, StepKind, Record<string, unknown>][] = [
  [
    'run_started before triggers (0e26caa)',
    'run_started',
    { input: null, model: 'script:/a', autonomy: 'draft', roleVersion: 'v1' },
  ],
  [
    'model_turn before workers (0e26caa)',
    'model_turn',
    {
      text: '',
      calls: [{ id: 'c1', tool: 'fs.read', args: { path: 'a' } }],
      usage: { inputTokens: 1, outputTokens: 2, cachedInputTokens: 0, costUsd: 0 },
      model: 'script:/a',
      provider: 'script',
      modelId: 'script',
      stopReason: 'tool_calls',
      latencyMs: 3,
    },
  ],
  [
    'an executor session (0dfd47a)',
    'model_turn',
    {
      executor: 'codex',
      text: '"ok"',
      calls: [],
      usage: { inputTokens: 1, outputTokens: 2, cachedInputTokens: 0, costUsd: 0.1 },
      model: 'codex:gpt',
      provider: 'codex',
      modelId: 'gpt',
      stopReason: 'end',
      sessionTurns: 4,
      latencyMs: 3,
    },
  ],
  [
    'an executor decision (0dfd47a)',
    'decision',
    {
      key: null,
      callId: 'toolu_1',
      executor: 'claude-code',
      executorTool: 'Bash',
      tool: 'shell.exec',
      decision: 'deny',
      reason: 'no',
    },
  ],
  [
    'a rule decision',
    'decision',
    { key: 'r:2:0', tool: 'pay', decision: 'escalate', reason: 'r', rule: { index: 0, category: 'money' } },
  ],
  ['tool_finished before stops (0e26caa)', 'tool_finished', { key: 'r:2:0', tool: 'fs.read', ok: true }],
  ['a stopped call', 'tool_finished', { key: 'r:2:0', tool: 'shell.exec', ok: false, stopped: 'budget' }],
  ['budget_exceeded (0e26caa)', 'budget_exceeded', { dimension: 'steps', limit: 1, used: 1 }],
  [
    'budget_exceeded, all of it',
    'budget_exceeded',
    { dimension: 'seconds', limit: 1, used: 2, stopped: 'model_turn', unclaimed: ['r:2:1'] },
  ],
  ['run_resumed before epochs (0e26caa)', 'run_resumed', { owner: 'h/1/a' }],
  ['a reopened run (26fe6bf)', 'run_retry_scheduled', { attempt: 1, nextAttempt: 2, why: 'answered' }],
  [
    'a retry',
    'run_retry_scheduled',
    { attempt: 1, nextAttempt: 2, notBefore: 5, error: { code: 'STORE_ERROR', message: 'x' } },
  ],
  ['run_finished (0e26caa)', 'run_finished', { status: 'succeeded', output: { a: 1 }, error: null }],
  [
    'run_finished with emitted events (754cd3b)',
    'run_finished',
    {
      status: 'succeeded',
      output: 1,
      error: null,
      emitted: [{ event: 'done', role: 'b', runId: 'run_2', status: 'queued', created: true }],
    },
  ],
  [
    'an interrupted cancel (8bed23a)',
    'run_finished',
    { status: 'cancelled', output: null, error: { code: 'CANCELLED', message: 'm' }, interrupted: 'h/1/a' },
  ],
  [
    'an agent-failures escalation (26fe6bf)',
    'escalation_raised',
    { escalationId: 'esc_1', category: 'high_impact', reason: 'r', source: 'agent_failures', callKey: null },
  ],
  [
    'an answer',
    'escalation_answered',
    { escalationId: 'esc_1', category: 'other', answer: 'a', by: 'cli', callKey: null, allowCall: false },
  ],
  ['a rejection', 'approval_decided', { approvalId: 'apr_1', decision: 'rejected', by: 'cli', note: 'no' }],
  [
    'an approval without a note',
    'approval_decided',
    { approvalId: 'apr_1', decision: 'approved', by: 'cli', note: null },
  ],
  ['an executor start', 'executor_started', { executor: 'codex', spec: 'codex:gpt', attempt: 1 }],
  ['a bare executor event', 'executor_event', { executor: 'codex', type: 'turn.started' }],
  [
    'a row with a field this version does not know',
    'tool_started',
    { key: 'r:2:0', tool: 'fs.read', later: true },
  ],
];

describe('reading stored steps', () => {
  it('has enums equal to the domain types', () => {
    assert.deepEqual(sameEnums, [true, true, true, true]);
    assert.deepEqual([...STEP_ENUMS.AUTONOMY], [...AUTONOMY_LEVELS]);
  });

  for (const [what, kind, data] of OLD_SHAPES) {
    it(`reads ${what}`, () => {
      const stored = step(2, kind, data);
      // The row is kept as stored: nothing is dropped or added.
      assert.equal(readStep(stored), stored);
    });
  }

  it('refuses data that does not match its kind, naming the run, seq, kind and field', () => {
    const err = (() => {
      try {
        readStep(step(7, 'model_turn', { text: 3 }));
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof StepDataInvalidError);
    assert.equal(err.code, 'RUN_NOT_RESUMABLE');
    assert.deepEqual([err.runId, err.seq, err.kind], ['run_1', 7, 'model_turn']);
    assert.match(err.message, /run run_1: step 7 \(model_turn\) cannot be read/);
    assert.match(err.message, /text: /);
    assert.equal((err.details as { seq: number }).seq, 7);
  });

  it('refuses a step kind it does not know', () => {
    assert.throws(
      () => readStep(step(3, 'child_spawned', {})),
      (e: unknown) => {
        return (
          e instanceof StepDataInvalidError &&
          e.kind === 'child_spawned' &&
          /unknown step kind/.test(e.message)
        );
      },
    );
  });

  it('stops rebuilding a run at the first step that does not read', () => {
    const run = newRun({ id: 'run_1', seq: 2 });
    const steps = [
      step(1, 'run_started', { input: null, model: 'm', autonomy: 'full', roleVersion: 'v' }),
      step(2, 'output_invalid', { errors: 'not a list', text: '' }),
    ];
    assert.throws(
      () => new RunState({ run, steps, toolCalls: [], approvals: [], escalations: [] }),
      (e: unknown) => e instanceof StepDataInvalidError && e.seq === 2 && e.kind === 'output_invalid',
    );
  });
});

describe('a claimed run whose log cannot be read', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('is failed once with the error that says why, not left running', async () => {
    const store = openSqliteStore({ dataDir: tmp.path });
    await store.init();
    try {
      const run = newRun({ status: 'running', seq: 1, leaseOwner: 'w/1/a', leaseUntil: Date.now() + 30_000 });
      await store.createRun(run, {
        steps: [step(1, 'run_started', { model: 'm' })],
        at: 1,
      });
      const snapshot = (await store.loadRun(run.id))!;
      let err: unknown;
      try {
        new RunState(snapshot);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof StepDataInvalidError);
      await failClaimedRun(store, systemClock, snapshot.run, err, Retry.parse({}));
      const after = (await store.getRun(run.id))!;
      assert.equal(after.status, 'failed');
      assert.equal(after.error?.code, 'RUN_NOT_RESUMABLE');
      assert.match(after.error?.message ?? '', /step 1 \(run_started\) cannot be read/);
    } finally {
      await store.close();
    }
  });
});

describe('a paused run whose log cannot be read', () => {
  const role = testRoles();

  async function unreadablePausedRun() {
    const r = role({
      autonomy: 'draft',
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, { final: { summary: 'done' } }],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    const paused = await rt.run(r.file, {});
    assert.equal(paused.status, 'awaiting_approval');
    // As if written by a version whose run_started this one cannot read.
    const db = new Database(join(r.dataDir, 'nightshift.db'));
    db.prepare("UPDATE steps SET data = '{}' WHERE run_id = ? AND seq = 1").run(paused.runId);
    db.close();
    return { rt, runId: paused.runId };
  }

  it('can still be cancelled (cancel does not read the log)', async () => {
    const { rt, runId } = await unreadablePausedRun();
    try {
      const cancelled = await rt.cancel(runId, { by: 'alice', reason: 'stuck' });
      assert.equal(cancelled.status, 'cancelled');
    } finally {
      await rt.close();
    }
  });

  it('resumed in the foreground, is failed once saying why, and its lease is not left held', async () => {
    const { rt, runId } = await unreadablePausedRun();
    try {
      await assert.rejects(rt.resume(runId), { code: 'RUN_NOT_RESUMABLE' });
      const run = (await rt.store.getRun(runId))!;
      assert.equal(run.status, 'failed');
      assert.equal(run.error?.code, 'RUN_NOT_RESUMABLE');
      assert.equal(run.leaseOwner, null);
    } finally {
      await rt.close();
    }
  });
});
