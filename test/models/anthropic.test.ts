// The Anthropic adapter against a local server speaking the Messages API.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveModel } from '../../src/models/resolve.js';
import { CONTRACT_MODEL_SETTINGS, describeModelContract } from '../contract/model.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';

const SECRET = 'sk-ant-test-secret-123';

describeModelContract('anthropic', async () => {
  const fake = await startFakeAnthropic();
  const model = await resolveModel('anthropic:claude-sonnet-4-5', {
    env: { ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: fake.url },
    config: CONTRACT_MODEL_SETTINGS,
  });
  return { model, fake, close: fake.close };
});

describe('anthropic request details', () => {
  it('sends the key, the version header, the system prompt, the model and a token limit', async () => {
    const fake = await startFakeAnthropic();
    try {
      const model = await resolveModel('anthropic:claude-haiku-4-5', {
        env: { ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: fake.url },
      });
      const r = await model.turn({
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [],
        maxOutputTokens: 321,
      });
      assert.equal(r.text, 'ok');
      assert.equal(r.modelId, 'claude-haiku-4-5');
      const req = fake.requests[0]!;
      assert.equal(req.path, '/v1/messages');
      assert.equal(req.headers['x-api-key'], SECRET);
      assert.ok(req.headers['anthropic-version']);
      assert.equal(req.body.model, 'claude-haiku-4-5');
      assert.equal(req.body.max_tokens, 321);
      assert.match(JSON.stringify(req.body.system), /You are terse/);
      assert.deepEqual(req.body.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
    } finally {
      await fake.close();
    }
  });
});
