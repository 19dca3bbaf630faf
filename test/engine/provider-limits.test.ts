// What the engine gives a provider adapter and what it does with the answer, against fake servers speaking
// the real protocols: the output token limit, the role's output schema as structured output (and the output
// check behind it), parallel calls, a hung request; and the role's daily cost budget.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeServer } from '../support/fake-llm.js';
import { startFakeOpenAIResponses } from '../support/fake-openai-responses.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

const output = {
  type: 'object',
  properties: { summary: { type: 'string' } },
  required: ['summary'],
  additionalProperties: false,
};

describe('a role on a provider (fake servers)', () => {
  let responses: FakeServer;
  let anthropic: FakeServer;
  before(async () => {
    responses = await startFakeOpenAIResponses();
    anthropic = await startFakeAnthropic();
  });
  after(async () => {
    await responses.close();
    await anthropic.close();
  });
  const env = () => ({
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: responses.url,
    ANTHROPIC_API_KEY: 'test-key',
    ANTHROPIC_BASE_URL: anthropic.url,
  });

  it("sends the role's token limit and output schema; the engine still checks the answer and asks once for a repair", async () => {
    const r = role({
      autonomy: 'full',
      turns: [],
      output,
      extra: { model: 'openai:gpt-4.1-mini', limits: { maxOutputTokens: 2048 } },
    });
    const rt = await createRuntime({ dataDir: r.dataDir, env: env() });
    try {
      const from = responses.requests.length;
      responses.enqueue({ text: '{"summary": 42}' }, { text: '{"summary":"fixed"}' });
      const done = await rt.run(r.file, {});
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(done.output, { summary: 'fixed' });
      const sent = responses.requests.slice(from);
      assert.equal(sent.length, 2);
      for (const req of sent) {
        assert.equal(req.body.max_output_tokens, 2048);
        assert.deepEqual(responses.read(req).outputSchema, output);
      }
      // The repair turn tells the model what was wrong.
      assert.match(JSON.stringify(sent[1]!.body.input), /summary must be string/);
    } finally {
      await rt.close();
    }
  });

  it('sends the default token limit when the role sets none', async () => {
    const r = role({ autonomy: 'full', turns: [], extra: { model: 'anthropic:claude-sonnet-4-5' } });
    const rt = await createRuntime({ dataDir: r.dataDir, env: env() });
    try {
      anthropic.enqueue({ text: 'done' });
      assert.equal((await rt.run(r.file, {})).status, 'succeeded');
      assert.equal(anthropic.requests.at(-1)!.body.max_tokens, 16_384);
      assert.equal(anthropic.read(anthropic.requests.at(-1)!).outputSchema, undefined);
    } finally {
      await rt.close();
    }
  });

  it('runs both calls of a parallel turn and sends both results back, paired by call id', async () => {
    const r = role({ autonomy: 'full', turns: [], extra: { model: 'openai:gpt-4.1-mini' } });
    const rt = await createRuntime({ dataDir: r.dataDir, env: env() });
    try {
      const from = responses.requests.length;
      responses.enqueue(
        {
          calls: [
            { name: 'fs_write', input: { path: 'a.txt', content: 'A' } },
            { name: 'fs_write', input: { path: 'b.txt', content: 'B' } },
          ],
        },
        { text: 'both written' },
      );
      const done = await rt.run(r.file, {});
      assert.equal(done.status, 'succeeded');
      assert.deepEqual([r.read('a.txt'), r.read('b.txt')], ['A', 'B']);
      const second = responses.read(responses.requests[from + 1]!);
      assert.deepEqual(
        second.toolResults.map((t) => t.callId),
        second.toolCalls.map((c) => c.id),
      );
      assert.equal(second.toolResults.length, 2);
    } finally {
      await rt.close();
    }
  });

  it('fails the run cleanly when a request hangs past the request timeout', async () => {
    const r = role({ autonomy: 'full', turns: [], extra: { model: 'anthropic:claude-sonnet-4-5' } });
    const rt = await createRuntime({ dataDir: r.dataDir, env: env(), models: { timeoutMs: 300 } });
    try {
      const from = anthropic.requests.length;
      anthropic.enqueue({ text: 'never arrives', stall: true });
      const started = Date.now();
      const done = await rt.run(r.file, {});
      // It failed instead of waiting forever on a stream that never ends; no tight window on how soon.
      assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
      assert.equal(done.status, 'failed');
      assert.equal(done.error?.code, 'MODEL_ERROR');
      assert.match(
        done.error?.message ?? '',
        /anthropic:claude-sonnet-4-5 failed: no complete answer within 300 ms/,
      );
      assert.equal(anthropic.requests.length, from + 1);
      const snap = (await rt.get(done.runId))!;
      assert.equal(snap.steps.at(-1)!.kind, 'run_finished');
    } finally {
      await rt.close();
    }
  });
});

describe('daily cost budget', () => {
  const list = (costUsd: number) => ({ call: 'fs.list', args: { path: '.' }, usage: { costUsd } });

  it("pauses a run before the model call that would go past the role's daily budget; an answer lets it go on", async () => {
    const r = role({
      autonomy: 'full',
      turns: [list(0.006), list(0.006), { final: { summary: 'done' } }],
      budget: { maxCostUsdPerDay: 0.01 },
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated');
      assert.equal(paused.steps, 2, 'the third turn was not taken');
      const [esc] = paused.escalations;
      assert.equal(esc?.category, 'budget');
      assert.match(
        esc?.reason ?? '',
        /daily budget exceeded: the role's runs spent \$0\.0120 of \$0\.0100 since midnight UTC/,
      );
      const snap = (await rt.get(paused.runId))!;
      assert.equal(snap.escalations[0]!.context.dimension, 'cost_per_day');

      // Another run of the role pauses before its first model call.
      const second = await rt.run(r.file, {});
      assert.equal(second.status, 'escalated');
      assert.equal(second.steps, 0);

      // A human decides to spend more today: the first run finishes (its per-run budget still holds).
      const done = await rt.answer(esc!.id, 'go ahead', { by: 'alice' });
      assert.equal(done.status, 'succeeded');
      assert.equal(done.steps, 3);
    } finally {
      await rt.close();
    }
  });

  it('fails the run instead when the budget says onExceed: fail', async () => {
    const r = role({
      autonomy: 'full',
      turns: [list(0.02), { final: { summary: 'done' } }],
      budget: { maxCostUsdPerDay: 0.01, onExceed: 'fail' },
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const done = await rt.run(r.file, {});
      assert.equal(done.status, 'failed');
      assert.equal(done.error?.code, 'BUDGET_EXCEEDED');
      assert.equal(done.steps, 1);
    } finally {
      await rt.close();
    }
  });
});
