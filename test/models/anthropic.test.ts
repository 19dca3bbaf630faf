// The Anthropic model against a local server speaking the Messages API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAnthropicModel } from '../../src/models/anthropic/index.js';
import { resolveModel } from '../../src/models/resolve.js';
import { describeModelContract } from '../contract/model.js';
import { type FakeServer, startFakeAnthropic } from '../support/fake-anthropic.js';

const SECRET = 'sk-ant-test-secret-123';
const hi = { system: 'You are terse.', messages: [{ role: 'user' as const, content: 'hi' }], tools: [] };

describeModelContract('anthropic', async () => {
  const fake = await startFakeAnthropic();
  return {
    fake,
    apiKey: SECRET,
    model: (config) =>
      resolveModel('anthropic:claude-sonnet-4-5', {
        env: { ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: fake.url },
        config,
      }),
    close: fake.close,
  };
});

describe('anthropic request details', () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeAnthropic();
  });
  after(() => fake.close());

  it('sends the key, the version header, the system prompt, the model and the token limit', async () => {
    const model = createAnthropicModel('claude-haiku-4-5', { apiKey: SECRET, baseUrl: fake.url });
    const r = await model.turn({ ...hi, maxOutputTokens: 321 });
    assert.equal(r.text, 'ok');
    assert.equal(r.modelId, 'claude-haiku-4-5');
    assert.equal(model.spec, 'anthropic:claude-haiku-4-5');
    assert.equal(model.provider, 'anthropic');
    const req = fake.requests.at(-1)!;
    assert.equal(req.path, '/v1/messages');
    assert.equal(req.headers['x-api-key'], SECRET);
    assert.equal(req.headers['anthropic-version'], '2023-06-01');
    assert.equal(req.body.model, 'claude-haiku-4-5');
    assert.equal(req.body.max_tokens, 321);
    assert.equal(req.body.stream, true);
    assert.match(JSON.stringify(req.body.system), /You are terse/);
    assert.deepEqual(req.body.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  });

  it('offers tools with their JSON Schema under provider-safe names', async () => {
    const model = createAnthropicModel('claude-haiku-4-5', { apiKey: SECRET, baseUrl: fake.url });
    const inputSchema = { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] };
    await model.turn({ ...hi, tools: [{ name: 'fs.read', description: 'read a file', inputSchema }] });
    const offered = fake.requests.at(-1)!.body.tools as Record<string, unknown>[];
    assert.equal(offered.length, 1);
    assert.equal(offered[0]!.name, 'fs_read');
    assert.equal(offered[0]!.description, 'read a file');
    assert.deepEqual(offered[0]!.input_schema, inputSchema);
  });

  it('uses the fetch it is given', async () => {
    const seen: string[] = [];
    const model = createAnthropicModel('claude-haiku-4-5', {
      apiKey: SECRET,
      baseUrl: `${fake.url}/v1/`,
      fetch: (input, init) => {
        seen.push(String(input instanceof Request ? input.url : input));
        return fetch(input, init);
      },
    });
    assert.equal((await model.turn(hi)).text, 'ok');
    assert.deepEqual(seen, [`${fake.url}/v1/messages`]);
  });

  it('marks a model the price table does not know as unpriced, with cost 0', async () => {
    const model = createAnthropicModel('claude-future-9', { apiKey: SECRET, baseUrl: fake.url });
    assert.equal(model.priced, false);
    fake.enqueue({ text: 'x', usage: { input: 1000, output: 1000 } });
    const r = await model.turn(hi);
    assert.equal(r.usage.costUsd, 0);
    assert.equal(r.usage.inputTokens, 1000);
  });

  it('prices a dated snapshot like its alias, and takes price overrides', async () => {
    const dated = createAnthropicModel('claude-sonnet-4-5-20250929', { apiKey: SECRET, baseUrl: fake.url });
    assert.equal(dated.priced, true);
    const overridden = createAnthropicModel('claude-future-9', {
      apiKey: SECRET,
      baseUrl: fake.url,
      prices: { 'anthropic:claude-future-9': { input: 1, output: 2 } },
    });
    fake.enqueue({ text: 'x', usage: { input: 1_000_000, output: 1_000_000 } });
    assert.equal((await overridden.turn(hi)).usage.costUsd, 3);
  });

  it('prices a 1-hour cache write at 2 × input and a 5-minute one at 1.25 × input', async () => {
    // sonnet 4.5: $3 per million input. 1M prompt tokens: 200k read (0.3), 300k written for 5 minutes
    // (3.75), 400k written for an hour (6), 100k plain (3); 1000 output tokens (15).
    const model = createAnthropicModel('claude-sonnet-4-5', { apiKey: SECRET, baseUrl: fake.url });
    fake.enqueue({
      text: 'x',
      usage: {
        input: 1_000_000,
        output: 1000,
        cacheRead: 200_000,
        cacheWrite5m: 300_000,
        cacheWrite1h: 400_000,
      },
    });
    const r = await model.turn(hi);
    assert.equal(r.usage.inputTokens, 1_000_000);
    assert.equal(r.usage.cachedInputTokens, 200_000);
    const expected = 0.2 * 0.3 + 0.3 * 3.75 + 0.4 * 6 + 0.1 * 3 + 0.001 * 15;
    assert.ok(Math.abs(r.usage.costUsd - expected) < 1e-9, `${r.usage.costUsd} != ${expected}`);
  });

  it('answers a non-streaming request with a whole message (for clients that do not stream)', async () => {
    fake.enqueue({ text: 'whole', calls: [{ name: 'fs_read', input: { path: 'a' } }] });
    const res = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': SECRET, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'claude-haiku-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const body = (await res.json()) as {
      content: { id?: string }[];
      stop_reason: string;
      usage: { output_tokens: number };
    };
    assert.match(body.content[1]?.id ?? '', /^toolu_/);
    assert.deepEqual(body.content, [
      { type: 'text', text: 'whole' },
      { type: 'tool_use', id: body.content[1]?.id, name: 'fs_read', input: { path: 'a' } },
    ]);
    assert.equal(body.stop_reason, 'tool_use');
    assert.equal(body.usage.output_tokens, 10);
  });
});
