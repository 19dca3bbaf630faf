// The OpenAI Chat Completions adapter (and openai-compatible endpoints) against a local fake server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveModel } from '../../src/models/resolve.js';
import { CONTRACT_MODEL_SETTINGS, describeModelContract } from '../contract/model.js';
import { startFakeOpenAI } from '../support/fake-openai.js';

const SECRET = 'sk-openai-test-secret-456';

describeModelContract('openai', async () => {
  const fake = await startFakeOpenAI();
  const model = await resolveModel('openai:gpt-4.1-mini', {
    env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: fake.url },
    config: CONTRACT_MODEL_SETTINGS,
  });
  return { model, fake, close: fake.close };
});

describeModelContract('openai-compatible', async () => {
  const fake = await startFakeOpenAI();
  const model = await resolveModel(`openai-compatible:llama3@${fake.url}`, {
    env: { OPENAI_COMPATIBLE_API_KEY: SECRET },
    config: CONTRACT_MODEL_SETTINGS,
  });
  return { model, fake, close: fake.close };
});

describe('openai request details', () => {
  it('sends the bearer key, the system message, the model and asks for usage in the stream', async () => {
    const fake = await startFakeOpenAI();
    try {
      const model = await resolveModel('openai:gpt-4.1-mini', {
        env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: fake.url },
      });
      const r = await model.turn({
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [],
      });
      assert.equal(r.text, 'ok');
      assert.equal(r.modelId, 'gpt-4.1-mini');
      assert.ok(r.usage.costUsd > 0);
      const req = fake.requests[0]!;
      assert.equal(req.path, '/v1/chat/completions');
      assert.equal(req.headers.authorization, `Bearer ${SECRET}`);
      assert.equal(req.body.model, 'gpt-4.1-mini');
      assert.deepEqual(req.body.stream_options, { include_usage: true });
      assert.deepEqual((req.body.messages as unknown[])[0], { role: 'system', content: 'You are terse.' });
    } finally {
      await fake.close();
    }
  });

  it('sends a placeholder key to an openai-compatible server when none is set, and the priced cost is 0', async () => {
    const fake = await startFakeOpenAI();
    try {
      const model = await resolveModel(`openai-compatible:llama3@${fake.url}`, { env: {} });
      const r = await model.turn({ system: 's', messages: [{ role: 'user', content: 'hi' }], tools: [] });
      assert.equal(r.usage.costUsd, 0);
      assert.equal(fake.requests[0]!.body.model, 'llama3');
      assert.equal(fake.requests[0]!.headers.authorization, 'Bearer not-needed');
    } finally {
      await fake.close();
    }
  });
});
