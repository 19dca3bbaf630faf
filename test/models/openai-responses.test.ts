// The OpenAI Responses API model (`openai:`) against a local fake server speaking /v1/responses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAIModel } from '../../src/models/openai/index.js';
import { resolveModel } from '../../src/models/resolve.js';
import { describeModelContract } from '../contract/model.js';
import { type FakeServer, startFakeOpenAIResponses } from '../support/fake-openai-responses.js';

const SECRET = 'sk-openai-responses-secret-789';
const hi = { system: 'You are terse.', messages: [{ role: 'user' as const, content: 'hi' }], tools: [] };

describeModelContract('openai (Responses API)', async () => {
  const fake = await startFakeOpenAIResponses();
  return {
    fake,
    apiKey: SECRET,
    model: (config) =>
      resolveModel('openai:gpt-4.1-mini', {
        env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: fake.url },
        config,
      }),
    close: fake.close,
  };
});

describe('openai Responses request details', () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeOpenAIResponses();
  });
  after(() => fake.close());

  it('posts to /v1/responses with the bearer key, the system message, the model and store: false', async () => {
    const model = createOpenAIModel('gpt-4.1-mini', { apiKey: SECRET, baseUrl: fake.url });
    const r = await model.turn({ ...hi, maxOutputTokens: 77 });
    assert.equal(r.text, 'ok');
    assert.equal(r.modelId, 'gpt-4.1-mini');
    assert.ok(r.usage.costUsd > 0);
    assert.equal(model.spec, 'openai:gpt-4.1-mini');
    assert.equal(model.provider, 'openai');
    const req = fake.requests.at(-1)!;
    assert.equal(req.path, '/v1/responses');
    assert.equal(req.headers.authorization, `Bearer ${SECRET}`);
    assert.equal(req.body.model, 'gpt-4.1-mini');
    assert.equal(req.body.stream, true);
    assert.equal(req.body.max_output_tokens, 77);
    // nightshift keeps the conversation and sends all of it each turn; nothing needs storing at OpenAI.
    assert.equal(req.body.store, false);
    assert.deepEqual((req.body.input as unknown[])[0], { role: 'system', content: 'You are terse.' });
  });

  it('offers tools as functions with their JSON Schema under provider-safe names', async () => {
    const model = createOpenAIModel('gpt-4.1-mini', { apiKey: SECRET, baseUrl: fake.url });
    const parameters = { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] };
    await model.turn({
      ...hi,
      tools: [{ name: 'fs.read', description: 'read a file', inputSchema: parameters }],
    });
    const offered = fake.requests.at(-1)!.body.tools as Record<string, unknown>[];
    assert.equal(offered.length, 1);
    assert.equal(offered[0]!.type, 'function');
    assert.equal(offered[0]!.name, 'fs_read');
    assert.deepEqual(offered[0]!.parameters, parameters);
  });

  it('sends an open output schema as a non-strict text.format json_schema, which the API accepts', async () => {
    const model = createOpenAIModel('gpt-4.1-mini', { apiKey: SECRET, baseUrl: fake.url });
    const outputSchema = { type: 'object', required: ['summary'] };
    fake.enqueue({ text: '{"summary":"x"}' });
    assert.equal((await model.turn({ ...hi, outputSchema })).text, '{"summary":"x"}');
    const format = (fake.requests.at(-1)!.body.text as { format: Record<string, unknown> }).format;
    assert.deepEqual(format, { type: 'json_schema', strict: false, name: 'output', schema: outputSchema });
  });

  it('answers a non-streaming request with a whole response object', async () => {
    fake.enqueue({
      text: 'whole',
      calls: [{ name: 'fs_read', input: { path: 'a' } }],
      usage: { cacheRead: 5 },
    });
    const res = await fetch(`${fake.url}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ model: 'gpt-4.1-mini', input: 'hi' }),
    });
    const body = (await res.json()) as {
      object: string;
      status: string;
      output: { type: string; name?: string; arguments?: string }[];
      usage: { input_tokens_details: { cached_tokens: number } };
    };
    assert.equal(body.object, 'response');
    assert.equal(body.status, 'completed');
    assert.deepEqual(
      body.output.map((o) => o.type),
      ['message', 'function_call'],
    );
    assert.equal(body.output[1]!.arguments, '{"path":"a"}');
    assert.equal(body.usage.input_tokens_details.cached_tokens, 5);
  });

  it('rejects a function call sent back without its output, as the real API does', async () => {
    const res = await fetch(`${fake.url}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4.1-mini',
        input: [
          { role: 'user', content: 'go' },
          { type: 'function_call', call_id: 'call_1', name: 'fs_read', arguments: '{}' },
        ],
      }),
    });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(await res.json()), /No tool output found for function call call_1/);
  });
});
