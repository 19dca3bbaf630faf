// A model object given to createRuntime under models.custom (docs/models.md, "A model of your own") is the
// user's code: the runtime records it as the role's `custom:<name>` whatever the object calls itself (so a
// resumed run comes back to it, not to the provider its spec names), and checks each answer's shape (a
// NaN cost would pass every budget).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createRuntime, defineRole, type Model, type ModelResponse } from '../../src/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nightshift-custom-model-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const role = () =>
  defineRole(
    { name: 'desk', description: 'd', autonomy: 'full', model: 'custom:mine', instructions: 'i' },
    { dir },
  );
const usage = { inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, costUsd: 0.01 };

test("a custom model's runs record custom:<name>, and an answered escalation resumes on the same object", async () => {
  let turns = 0;
  const mine: Model = {
    // What it calls itself is not what runs record: a resume must not reach Anthropic.
    spec: 'anthropic:claude-sonnet-4-5',
    provider: 'in-house',
    priced: true,
    async turn(request): Promise<ModelResponse> {
      turns++;
      const answered = JSON.stringify(request.messages).includes('refund it');
      if (!answered)
        return {
          text: '',
          calls: [{ id: 'c1', tool: 'escalate', args: { category: 'money', reason: 'a refund?' } }],
          usage,
          stopReason: 'tool_calls',
          modelId: 'mine-1',
        };
      return { text: 'refunded', calls: [], usage, stopReason: 'end', modelId: 'mine-1' };
    },
  };
  const runtime = await createRuntime({ dataDir: join(dir, 'data'), models: { custom: { mine } } });
  try {
    const paused = await runtime.run(role(), {});
    assert.equal(paused.status, 'escalated', JSON.stringify(paused.error));
    assert.equal(paused.model, 'custom:mine');
    const done = await runtime.answer(paused.escalations[0]!.id, 'refund it', { by: 'alice' });
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.output, 'refunded');
    assert.equal(turns, 2, 'both turns were taken by the object');
  } finally {
    await runtime.close();
  }
});

for (const [what, answer, at] of [
  [
    'a NaN cost',
    { text: 'x', calls: [], usage: { ...usage, costUsd: Number.NaN }, stopReason: 'end', modelId: 'm' },
    'usage.costUsd',
  ],
  [
    'a negative cost',
    { text: 'x', calls: [], usage: { ...usage, costUsd: -5 }, stopReason: 'end', modelId: 'm' },
    'usage.costUsd',
  ],
  ['no calls array', { text: 'x', usage, stopReason: 'end', modelId: 'm' }, 'calls'],
  ['an unknown stop reason', { text: 'x', calls: [], usage, stopReason: 'done', modelId: 'm' }, 'stopReason'],
  ['nothing at all', undefined, 'the answer'],
] as const) {
  test(`a custom model's answer with ${what} fails the run with MODEL_ERROR naming ${at}`, async () => {
    const mine = {
      spec: 'custom:mine',
      provider: 'in-house',
      async turn() {
        return answer;
      },
    } as unknown as Model;
    const runtime = await createRuntime({ dataDir: join(dir, 'data'), models: { custom: { mine } } });
    try {
      const failed = await runtime.run(role(), {});
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error?.code, 'MODEL_ERROR');
      assert.match(
        failed.error!.message,
        new RegExp(`custom:mine answered a turn with a malformed response: ${at}`),
      );
      assert.ok(
        Number.isFinite(failed.usage.costUsd) && failed.usage.costUsd === 0,
        'nothing of it was counted',
      );
    } finally {
      await runtime.close();
    }
  });
}
