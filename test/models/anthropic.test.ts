// The Anthropic adapter against a local server speaking the Messages API.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PRICES } from '../../src/models/pricing.js';
import { resolveModel } from '../../src/models/resolve.js';
import { describeModelContract } from '../contract/model.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';

const SECRET = 'sk-ant-test-secret-123';
const price = DEFAULT_PRICES['anthropic:claude-sonnet-4-5']!;

describeModelContract('anthropic', {
  start: startFakeAnthropic,
  spec: () => 'anthropic:claude-sonnet-4-5',
  env: (fake) => ({ ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: fake.url }),
  price: { input: price.input, output: price.output, cachedInput: price.cachedInput ?? price.input },
  toolNames: (body) => (body.tools as { name: string }[]).map((t) => t.name),
  toolResults: (body) => {
    const out: [string, string][] = [];
    for (const m of body.messages as { role: string; content: unknown }[]) {
      if (!Array.isArray(m.content)) continue;
      for (const part of m.content as { type: string; tool_use_id?: string; content?: unknown }[]) {
        if (part.type === 'tool_result') out.push([part.tool_use_id!, JSON.stringify(part.content)]);
      }
    }
    return out;
  },
  secret: SECRET,
});

describe('anthropic request details', () => {
  it('sends the key, the version header, the system prompt and the model', async () => {
    const fake = await startFakeAnthropic();
    try {
      const model = await resolveModel('anthropic:claude-haiku-4-5', {
        env: { ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: fake.url },
      });
      await model.turn({ system: 'You are terse.', messages: [{ role: 'user', content: 'hi' }], tools: [] });
      const req = fake.requests[0]!;
      assert.equal(req.path, '/v1/messages');
      assert.equal(req.headers['x-api-key'], SECRET);
      assert.ok(req.headers['anthropic-version']);
      assert.equal(req.body.model, 'claude-haiku-4-5');
      assert.match(JSON.stringify(req.body.system), /You are terse/);
    } finally {
      await fake.close();
    }
  });
});
