// The pieces of the direct wire adapters that the contract suite does not reach: the SSE reader across
// awkward chunk boundaries, the Anthropic output-schema subset, and which OpenAI models are reasoning models
// (their system prompt and output limit go differently), checked against the fakes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { anthropicOutputSchema } from '../../src/models/anthropic/output-schema.js';
import { createOpenAIChatModel, createOpenAIModel } from '../../src/models/openai/index.js';
import { isReasoningModel } from '../../src/models/openai/reasoning.js';
import { readEvents } from '../../src/models/wire/sse.js';
import type { FakeServer } from '../support/fake-llm.js';
import { startFakeOpenAI } from '../support/fake-openai.js';
import { startFakeOpenAIResponses } from '../support/fake-openai-responses.js';

async function eventsOf(chunks: string[]): Promise<[string | undefined, string][]> {
  const seen: [string | undefined, string][] = [];
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  async function* body() {
    yield* bytes;
  }
  await readEvents(body(), (name, data) => seen.push([name, data]));
  return seen;
}

describe('the SSE reader', () => {
  it('reads events split anywhere across chunks, CRLF or LF, comments skipped', async () => {
    const text = ': hello\r\nevent: a\r\ndata: {"x":1}\r\n\r\ndata: two\n\nevent: b\ndata: 3\n\n';
    const whole = await eventsOf([text]);
    assert.deepEqual(whole, [
      ['a', '{"x":1}'],
      [undefined, 'two'],
      ['b', '3'],
    ]);
    // Every split point, between "\r" and "\n" included.
    for (let i = 1; i < text.length; i++)
      assert.deepEqual(await eventsOf([text.slice(0, i), text.slice(i)]), whole, `split at ${i}`);
  });

  it('joins several data lines with a newline and keeps a multi-byte character split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: é1\ndata: 2\n\n');
    async function* body() {
      yield bytes.slice(0, 7); // inside "é"
      yield bytes.slice(7);
    }
    const seen: string[] = [];
    await readEvents(body(), (_name, data) => seen.push(data));
    assert.deepEqual(seen, ['é1\n2']);
  });

  it('delivers a last event that lacks its blank line', async () => {
    assert.deepEqual(await eventsOf(['data: [DONE]']), [[undefined, '[DONE]']]);
  });
});

describe('the Anthropic output schema', () => {
  it('closes every object and moves refused keywords into the description', () => {
    const schema = {
      type: 'object',
      properties: {
        summary: { type: 'string', minLength: 3, description: 'short' },
        items: {
          type: 'array',
          items: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } },
        },
      },
      required: ['summary'],
    };
    const out = anthropicOutputSchema(schema) as {
      additionalProperties: boolean;
      properties: { summary: Record<string, unknown>; items: { items: Record<string, unknown> } };
    };
    assert.equal(out.additionalProperties, false);
    assert.equal(out.properties.items.items.additionalProperties, false);
    assert.equal(out.properties.summary.minLength, undefined);
    assert.equal(out.properties.summary.description, 'short\nmin length: 3.');
    assert.deepEqual(out.properties.items.items.properties, { id: { type: 'string', format: 'uuid' } });
    assert.equal(anthropicOutputSchema(schema), out, 'made once per schema object');
    assert.equal(
      (schema.properties.summary as Record<string, unknown>).minLength,
      3,
      'the role schema is untouched',
    );
  });
});

describe('OpenAI reasoning models', () => {
  it('tells them from the others by model id', () => {
    const table: [string, boolean][] = [
      ['o3', true],
      ['o4-mini', true],
      ['gpt-5', true],
      ['gpt-5-mini', true],
      ['gpt-5.1', true],
      ['gpt-5-chat-latest', false],
      ['gpt-4.1-mini', false],
      ['gpt-4o', false],
      ['llama3', false],
    ];
    for (const [id, expected] of table) assert.equal(isReasoningModel(id), expected, id);
  });

  let chat: FakeServer;
  let responses: FakeServer;
  before(async () => {
    chat = await startFakeOpenAI();
    responses = await startFakeOpenAIResponses();
  });
  after(async () => {
    await chat.close();
    await responses.close();
  });
  const hi = {
    system: 'be brief',
    messages: [{ role: 'user' as const, content: 'hi' }],
    tools: [],
    maxOutputTokens: 99,
  };

  it('sends a reasoning model its system prompt as a developer message, and max_completion_tokens on Chat', async () => {
    await createOpenAIChatModel('gpt-5-mini', { apiKey: 'k', baseUrl: chat.url }).turn(hi);
    const body = chat.requests.at(-1)!.body as { messages: { role: string }[] };
    assert.equal(body.messages[0]!.role, 'developer');
    assert.equal((body as Record<string, unknown>).max_completion_tokens, 99);
    assert.equal((body as Record<string, unknown>).max_tokens, undefined);
    await createOpenAIModel('gpt-5-mini', { apiKey: 'k', baseUrl: responses.url }).turn(hi);
    assert.equal((responses.requests.at(-1)!.body.input as { role: string }[])[0]!.role, 'developer');
  });

  it('sends another model a system message and max_tokens', async () => {
    await createOpenAIChatModel('gpt-4.1-mini', { apiKey: 'k', baseUrl: chat.url }).turn(hi);
    const body = chat.requests.at(-1)!.body as Record<string, unknown>;
    assert.equal((body.messages as { role: string }[])[0]!.role, 'system');
    assert.equal(body.max_tokens, 99);
  });
});
