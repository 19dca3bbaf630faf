// budget.maxSeconds holds while the model is answering, not only between turns: a model call that stalls
// is aborted when the run's time runs out (through the same per-call signal the lease uses), nothing of the
// unfinished turn is recorded, no further model call is made, and the run fails or escalates as
// `onExceed` says. A real local server speaking the Anthropic API holds the response open, or answers 429
// with a retry-after longer than the time left (the run then says it was waiting to retry).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeServer } from '../support/fake-llm.js';
import { writeTestRole } from '../support/roles.js';

const BUDGET_SECONDS = 2;
// What proves the abort: without it the stalled call waits for the adapter's whole request timeout
// (minutes). The bound is far from the budget on purpose, so that a loaded machine (CI runs two test
// files at once beside Postgres) cannot fail it: this is not a speed test (bench/ measures speed).
const STOPPED_WITHIN_MS = 30_000;

describe('the time budget during a model call', () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeAnthropic();
  });
  after(() => fake.close());

  async function stalledTurn(onExceed: 'fail' | 'escalate') {
    const r = writeTestRole({
      name: 'stalled-bot',
      autonomy: 'full',
      tools: ['ledger.append'],
      turns: [],
      budget: { maxSeconds: BUDGET_SECONDS, onExceed },
      extra: { model: 'anthropic:claude-sonnet-4-5' },
    });
    const env = { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url };
    const rt = await createRuntime({ dataDir: r.dataDir, env, models: { maxRetries: 0 } });
    // The response starts streaming, then never goes on: without the budget the call would wait for the
    // adapter's whole request timeout (minutes).
    fake.enqueue({ text: '', stall: true });
    const before = fake.requests.length;
    const started = Date.now();
    const result = await rt.run(r.file, { ticket: 'T-1' });
    const elapsedMs = Date.now() - started;
    process.stdout.write(
      `# budget.maxSeconds ${BUDGET_SECONDS} (onExceed: ${onExceed}): a stalled model call stopped after ${elapsedMs} ms\n`,
    );
    const snapshot = (await rt.get(result.runId))!;
    return { r, rt, result, elapsedMs, snapshot, modelCalls: fake.requests.length - before };
  }

  it('aborts the stalled call at budget.maxSeconds, records nothing of the turn, and fails (onExceed: fail)', async () => {
    const { r, rt, result, elapsedMs, snapshot, modelCalls } = await stalledTurn('fail');
    try {
      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'BUDGET_EXCEEDED');
      assert.match(result.error!.message, /model call in flight was stopped/);
      assert.ok(elapsedMs < STOPPED_WITHIN_MS, `the run stopped after ${elapsedMs} ms`);
      assert.equal(modelCalls, 1, 'no second model call');
      assert.equal(snapshot.run.turns, 0, 'the unfinished turn is not counted');
      assert.equal(snapshot.steps.filter((s) => s.kind === 'model_turn').length, 0);
      assert.deepEqual(snapshot.toolCalls, []);
      const exceeded = snapshot.steps.find((s) => s.kind === 'budget_exceeded');
      assert.equal(exceeded?.data.dimension, 'seconds');
      assert.equal(exceeded?.data.stopped, 'model_turn');
      assert.deepEqual(r.ledger(), []);
    } finally {
      await rt.close();
      r.cleanup();
    }
  });

  it('says the call was waiting to retry when a 429 asked for longer than the time left', async () => {
    const r = writeTestRole({
      name: 'throttled-bot',
      autonomy: 'full',
      tools: ['ledger.append'],
      turns: [],
      budget: { maxSeconds: BUDGET_SECONDS, onExceed: 'fail' },
      extra: { model: 'anthropic:claude-sonnet-4-5' },
    });
    const env = { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url };
    // Retries on (the default is 2): the adapter waits out the provider's retry-after of 30 s, which the
    // run's 2 s budget cannot cover.
    const rt = await createRuntime({ dataDir: r.dataDir, env, models: { maxRetries: 2 } });
    try {
      fake.enqueue({ status: 429, retryAfter: 30 });
      const before = fake.requests.length;
      const started = Date.now();
      const result = await rt.run(r.file, { ticket: 'T-1' });
      const elapsedMs = Date.now() - started;
      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'BUDGET_EXCEEDED');
      assert.match(
        result.error!.message,
        /budget exceeded: .* seconds; the model call was waiting to retry: anthropic rate-limited it \(HTTP 429 rate_limit_error\), retry-after 30 s$/,
      );
      assert.ok(elapsedMs < STOPPED_WITHIN_MS, `the run stopped after ${elapsedMs} ms, not after the wait`);
      assert.equal(fake.requests.length - before, 1, 'no retry sent');
      const waitingToRetry = {
        provider: 'anthropic',
        status: 429,
        providerErrorType: 'rate_limit_error',
        waitMs: 30_000,
        retryAfter: true,
        attempts: 1,
      };
      assert.deepEqual(result.error?.details?.waitingToRetry, waitingToRetry);
      const snapshot = (await rt.get(result.runId))!;
      const exceeded = snapshot.steps.find((s) => s.kind === 'budget_exceeded');
      assert.equal(exceeded?.data.stopped, 'model_turn');
      assert.deepEqual(exceeded?.data.waitingToRetry, waitingToRetry);
      assert.equal(snapshot.steps.filter((s) => s.kind === 'model_turn').length, 0);
    } finally {
      await rt.close();
      r.cleanup();
    }
  });

  it('escalates the same way with onExceed: escalate, and asks the model nothing more', async () => {
    const { r, rt, result, elapsedMs, snapshot, modelCalls } = await stalledTurn('escalate');
    try {
      assert.equal(result.status, 'escalated');
      assert.ok(elapsedMs < STOPPED_WITHIN_MS, `the run stopped after ${elapsedMs} ms`);
      assert.deepEqual(
        result.escalations.map((e) => [e.source, e.status]),
        [['budget', 'pending']],
      );
      assert.equal(modelCalls, 1, 'no second model call');
      assert.equal(snapshot.steps.filter((s) => s.kind === 'model_turn').length, 0);
      assert.equal(snapshot.steps.find((s) => s.kind === 'budget_exceeded')?.data.stopped, 'model_turn');
    } finally {
      await rt.close();
      r.cleanup();
    }
  });
});
