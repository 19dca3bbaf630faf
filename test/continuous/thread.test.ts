// A continuous agent's executor thread without the CLIs: read from a run's log (the executor session's
// `model_turn`), kept when a session recorded none, and stored with the agent's state in both stores (and
// only once there is one, so agents without a thread keep their stored shape). The CLIs themselves are in
// test-executors/threads.test.ts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatAgents } from '../../src/cli/format.js';
import { keptThread, threadOfRun } from '../../src/continuous/thread.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { StepRecord, Store } from '../../src/store/types.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';

const usage = { inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, costUsd: 0 };

function modelTurn(seq: number, extra: Record<string, unknown>): StepRecord {
  return {
    runId: 'run_1',
    seq,
    kind: 'model_turn',
    at: seq,
    data: {
      text: '{}',
      calls: [],
      usage,
      model: 'claude-code:claude-sonnet-4-5',
      provider: 'claude-code',
      modelId: 'claude-sonnet-4-5',
      stopReason: 'end',
      latencyMs: 1,
      ...extra,
    },
  } as StepRecord;
}

describe("a continuous agent's executor thread", () => {
  it("is the thread the run's last executor session ran in", () => {
    const steps = [
      modelTurn(1, { executor: 'claude-code', thread: { id: 'old', resumed: false } }),
      modelTurn(2, { executor: 'claude-code', thread: { id: 'sess-2', resumed: true } }),
    ];
    assert.deepEqual(threadOfRun({ steps }), { executor: 'claude-code', id: 'sess-2' });
  });

  it('is none for a run whose turns were a model', () => {
    assert.equal(threadOfRun({ steps: [modelTurn(1, {})] }), undefined);
    assert.equal(threadOfRun(undefined), undefined);
  });

  it('refuses a step whose thread is malformed, naming the step', () => {
    const steps = [modelTurn(3, { executor: 'codex', thread: { id: 7 } })];
    assert.throws(() => threadOfRun({ steps }), /step 3 \(model_turn\).*thread/);
  });

  it("is the agent's previous thread when the run recorded none, and the new one when it did", () => {
    const old = { executor: 'codex', id: 't-1' };
    assert.deepEqual(keptThread(old, undefined), old);
    assert.deepEqual(keptThread(old, { executor: 'codex', id: 't-2' }), { executor: 'codex', id: 't-2' });
    assert.equal(keptThread(undefined, undefined), null);
  });
});

describe('nightshift status', () => {
  it("prints the thread an agent's next event continues", () => {
    const agent = {
      role: 'keeper',
      status: 'idle',
      owner: null,
      heartbeatAt: null,
      leaseUntil: null,
      live: false,
      restarts: 0,
      takeovers: 1,
      failures: 0,
      inbox: 0,
      runId: null,
      lastError: null,
      escalationId: null,
      context: null,
    };
    const text = formatAgents([{ ...agent, thread: { executor: 'codex', id: 'thr_1' } }], 0);
    assert.match(text, /codex thread thr_1 \(the next event continues it\)/);
    assert.doesNotMatch(formatAgents([{ ...agent, thread: null }], 0), /thread/);
  });
});

async function storesThread(store: Store) {
  await store.init();
  try {
    const claimed = (await store.claimAgent('keeper', 'w1', 10_000, 1))!;
    assert.equal('thread' in claimed, false, 'a new agent has no thread');
    const thread = { executor: 'claude-code', id: '46c803c8-d642-4bfe-b8fa-bc071fc6e97e' };
    await store.pushInbox({
      id: 'in_1',
      role: 'keeper',
      event: 'alert',
      payload: {},
      idempotencyKey: null,
      createdAt: 1,
      handledAt: null,
      runId: null,
    });
    const done = { ...claimed, context: { last: 'EVT-1' }, thread, updatedAt: 2 };
    assert.equal(await store.finishInboxItem('in_1', 'run_1', done, 'w1', 2), true);
    // Another worker takes the agent over after the lease ran out: it reads the same thread.
    const taken = (await store.claimAgent('keeper', 'w2', 40_000, 20_000))!;
    assert.equal(taken.takenOver, true);
    assert.deepEqual(taken.thread, thread);
    assert.deepEqual(taken.context, { last: 'EVT-1' });
    // Saved again without touching the thread (a heartbeat-time save), it stays.
    assert.equal(await store.saveAgent({ ...taken, status: 'working' }, 'w2'), true);
    assert.deepEqual((await store.getAgent('keeper'))!.thread, thread);
  } finally {
    await store.close();
  }
}

const skip = await postgresUnavailable();

describe('the agent store keeps the thread with the context', () => {
  it('on SQLite', async () => {
    const tmp = tempDir('nightshift-thread-');
    try {
      await storesThread(openSqliteStore({ path: join(tmp.path, 'nightshift.db') }));
    } finally {
      tmp.cleanup();
    }
  });

  it('on Postgres', { skip }, async () => {
    const schema = freshSchema();
    try {
      await storesThread(openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }));
    } finally {
      await dropSchema(schema);
    }
  });
});
