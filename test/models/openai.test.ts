// The OpenAI Chat Completions model (`openai-chat:`, and openai-compatible endpoints) against a local fake server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAIChatModel, createOpenAICompatibleModel } from '../../src/models/openai/index.js';
import { resolveModel } from '../../src/models/resolve.js';
import { describeModelContract } from '../contract/model.js';
import { type FakeServer, startFakeOpenAI } from '../support/fake-openai.js';

const SECRET = 'sk-openai-test-secret-456';
const hi = { system: 'You are terse.', messages: [{ role: 'user' as const, content: 'hi' }], tools: [] };

describeModelContract('openai (Chat Completions)', async () => {
  const fake = await startFakeOpenAI();
  return {
    fake,
    apiKey: SECRET,
    model: (config) =>
      resolveModel('openai-chat:gpt-4.1-mini', {
        env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: fake.url },
        config,
      }),
    close: fake.close,
  };
});

describeModelContract('openai-compatible', async () => {
  const fake = await startFakeOpenAI();
  return {
    fake,
    apiKey: SECRET,
    model: (config) =>
      resolveModel(`openai-compatible:llama3@${fake.url}`, {
        env: { OPENAI_COMPATIBLE_API_KEY: SECRET },
        config,
      }),
    close: fake.close,
  };
});

describe('openai request details', () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());

  it('sends the bearer key, the system message and the model, and asks for usage in the stream', async () => {
    const model = createOpenAIChatModel('gpt-4.1-mini', { apiKey: SECRET, baseUrl: fake.url });
    const r = await model.turn({ ...hi, maxOutputTokens: 77 });
    assert.equal(r.text, 'ok');
    assert.equal(r.modelId, 'gpt-4.1-mini');
    assert.ok(r.usage.costUsd > 0);
    assert.equal(model.spec, 'openai-chat:gpt-4.1-mini');
    assert.equal(model.provider, 'openai-chat');
    const req = fake.requests.at(-1)!;
    assert.equal(req.path, '/v1/chat/completions');
    assert.equal(req.headers.authorization, `Bearer ${SECRET}`);
    assert.equal(req.body.model, 'gpt-4.1-mini');
    assert.equal(req.body.stream, true);
    assert.equal(req.body.max_tokens, 77);
    assert.deepEqual(req.body.stream_options, { include_usage: true });
    assert.deepEqual((req.body.messages as unknown[])[0], { role: 'system', content: 'You are terse.' });
  });

  it('offers tools as functions with their JSON Schema under provider-safe names', async () => {
    const model = createOpenAIChatModel('gpt-4.1-mini', { apiKey: SECRET, baseUrl: fake.url });
    const parameters = { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] };
    await model.turn({
      ...hi,
      tools: [{ name: 'fs.read', description: 'read a file', inputSchema: parameters }],
    });
    const offered = fake.requests.at(-1)!.body.tools as { type: string; function: Record<string, unknown> }[];
    assert.equal(offered.length, 1);
    assert.equal(offered[0]!.type, 'function');
    assert.equal(offered[0]!.function.name, 'fs_read');
    assert.deepEqual(offered[0]!.function.parameters, parameters);
  });

  it('sends a placeholder key to an openai-compatible server when none is set; the unknown model is unpriced', async () => {
    const model = resolveModel(`openai-compatible:llama3@${fake.url}`, { env: {} });
    assert.equal(model.provider, 'openai-compatible');
    assert.equal(model.priced, false);
    const r = await model.turn(hi);
    assert.equal(r.usage.costUsd, 0);
    assert.equal(fake.requests.at(-1)!.body.model, 'llama3');
    assert.equal(fake.requests.at(-1)!.headers.authorization, 'Bearer not-needed');
  });

  it('prices an openai-compatible model from an override keyed without the URL', async () => {
    const model = createOpenAICompatibleModel('llama3', fake.url, {
      prices: { 'openai-compatible:llama3': { input: 0, output: 0 } },
    });
    assert.equal(model.priced, true);
    assert.equal((await model.turn(hi)).usage.costUsd, 0);
  });

  it('answers a non-streaming request with a whole chat.completion', async () => {
    fake.enqueue({ calls: [{ name: 'fs_read', input: { path: 'a' } }] });
    const res = await fetch(`${fake.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = (await res.json()) as {
      object: string;
      choices: {
        message: { tool_calls: { function: { name: string; arguments: string } }[] };
        finish_reason: string;
      }[];
    };
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.choices[0]!.finish_reason, 'tool_calls');
    assert.deepEqual(body.choices[0]!.message.tool_calls[0]!.function, {
      name: 'fs_read',
      arguments: '{"path":"a"}',
    });
  });
});
