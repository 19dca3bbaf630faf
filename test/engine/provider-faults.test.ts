// A provider that misbehaves on the wire on the turn after a tool call, for each protocol (local fake
// servers): the stream cut off mid-answer (the connection reset), then 529 overloaded. The turn is
// retried within the model call; the tool call already committed is not run again, and the run's usage
// counts the turns that were answered, not the attempts that were cut off (their answer never came).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeServer } from '../support/fake-llm.js';
import { startFakeOpenAI } from '../support/fake-openai.js';
import { startFakeOpenAIResponses } from '../support/fake-openai-responses.js';
import { writeTestRole } from '../support/roles.js';

describe('a provider failing on the wire after a tool call', () => {
  const fakes: Record<string, FakeServer> = {};
  before(async () => {
    fakes.anthropic = await startFakeAnthropic();
    fakes.responses = await startFakeOpenAIResponses();
    fakes.chat = await startFakeOpenAI();
  });
  after(async () => {
    for (const fake of Object.values(fakes)) await fake.close();
  });

  for (const [kind, model] of [
    ['anthropic', 'anthropic:claude-sonnet-4-5'],
    ['responses', 'openai:gpt-4.1-mini'],
    ['chat', 'openai-chat:gpt-4.1-mini'],
  ] as const) {
    it(`${model}: a cut stream and a 529 are retried; the tool ran once, usage counted once per turn`, async () => {
      const fake = fakes[kind]!;
      const r = writeTestRole({
        autonomy: 'full',
        tools: ['ledger.append_once'],
        turns: [],
        extra: { model },
      });
      const rt = await createRuntime({
        dataDir: r.dataDir,
        env: {
          ANTHROPIC_API_KEY: 'test-key',
          ANTHROPIC_BASE_URL: fakes.anthropic!.url,
          OPENAI_API_KEY: 'test-key',
          OPENAI_BASE_URL: kind === 'chat' ? fakes.chat!.url : fakes.responses!.url,
        },
      });
      try {
        const before = fake.requests.length;
        fake.enqueue(
          {
            calls: [{ name: 'ledger_append_once', input: { entry: 'once' } }],
            usage: { input: 100, output: 10 },
          },
          { text: 'half an ans', cut: 'reset', usage: { input: 5000, output: 5000 } },
          { status: 529, retryAfter: 0, message: 'Overloaded', type: 'overloaded_error' },
          { text: '{"summary":"done"}', usage: { input: 200, output: 20 } },
        );
        const done = await rt.run(r.file, { ask: 'append once' });
        assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
        assert.equal(r.ledger().length, 1, 'the tool ran once');
        assert.equal(
          fake.requests.length - before,
          4,
          'one request for the call, three for the final answer',
        );
        assert.equal(done.usage.inputTokens, 300);
        assert.equal(done.usage.outputTokens, 30);
        const snap = (await rt.store.loadRun(done.runId))!;
        assert.equal(snap.steps.filter((s) => s.kind === 'model_turn').length, 2);
        assert.equal(snap.toolCalls.length, 1);
      } finally {
        await rt.close();
        r.cleanup();
      }
    });
  }
});
