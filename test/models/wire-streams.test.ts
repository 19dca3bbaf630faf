// Streams the fakes' scripted answers do not make, sent as raw bytes by a real loopback server: a body that
// ends cleanly inside an event, a malformed event, Chat tool-call pieces that reuse an index or lack an id,
// a Chat stream cut after its finish_reason, an `event: error` without an `error` key, and an Anthropic
// tool_use whose whole input comes on its content_block_start.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createAnthropicModel } from '../../src/models/anthropic/index.js';
import { createOpenAIChatModel } from '../../src/models/openai/index.js';
import { type FakeServer, startFakeAnthropic } from '../support/fake-anthropic.js';
import { startFakeOpenAI } from '../support/fake-openai.js';

const inputSchema = { type: 'object', properties: { path: { type: 'string' } } };
const ask = {
  system: 'be brief',
  messages: [{ role: 'user' as const, content: 'hi' }],
  tools: [{ name: 'fs.read', description: 'read a file', inputSchema }],
};
const settings = (fake: FakeServer) => ({ apiKey: 'k', baseUrl: fake.url, retryBaseMs: 1 });

/** Chat Completions chunks as `data:` events. */
const chat = (...chunks: unknown[]): string => chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('');
const choice = (delta: unknown, finish: string | null = null) => ({
  model: 'gpt-4.1-mini',
  choices: [{ index: 0, delta, finish_reason: finish }],
  usage: null,
});
const usage = { model: 'gpt-4.1-mini', choices: [], usage: { prompt_tokens: 12, completion_tokens: 3 } };
/** Anthropic events. */
const messages = (...events: unknown[]): string =>
  events.map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
const messageStart = {
  type: 'message_start',
  message: { model: 'claude-haiku-4-5', usage: { input_tokens: 5, output_tokens: 1 } },
};

describe('wire streams cut or shaped oddly', () => {
  let openai: FakeServer;
  let anthropic: FakeServer;
  // Fresh fakes per test: an answer one test left queued cannot leak into the next.
  beforeEach(async () => {
    openai = await startFakeOpenAI();
    anthropic = await startFakeAnthropic();
  });
  afterEach(async () => {
    await openai.close();
    await anthropic.close();
  });

  it('retries a body that ends cleanly inside its last event (an incomplete stream, not a bad answer)', async () => {
    const cut = chat(choice({ content: 'hal' })) + 'data: {"model":"gpt-4.1-mini","choices":[{"ind';
    openai.enqueue({ raw: cut }, { text: 'whole' });
    const before = openai.requests.length;
    const res = await createOpenAIChatModel('gpt-4.1-mini', settings(openai)).turn(ask);
    assert.equal(res.text, 'whole');
    assert.equal(openai.requests.length - before, 2, 'the cut answer was retried');

    const cutAnthropic = `${messages(messageStart)}event: content_block_delta\ndata: {"type":"content_blo`;
    anthropic.enqueue({ raw: cutAnthropic }, { text: 'whole' });
    const first = anthropic.requests.length;
    const res2 = await createAnthropicModel('claude-haiku-4-5', settings(anthropic)).turn(ask);
    assert.equal(res2.text, 'whole');
    assert.equal(anthropic.requests.length - first, 2);
  });

  it('does not take a malformed event for a dropped connection (no retry)', async () => {
    // content_block_delta without its delta: the reader fails on it with a TypeError, as undici does on a
    // dropped connection; only the latter is worth another attempt.
    const malformed = messages(messageStart, { type: 'content_block_delta', index: 0 });
    anthropic.enqueue({ raw: malformed }, { text: 'not asked for' });
    const first = anthropic.requests.length;
    await assert.rejects(
      createAnthropicModel('claude-haiku-4-5', settings(anthropic)).turn(ask),
      (err: Error) => {
        assert.doesNotMatch(err.message, /connection dropped/);
        return true;
      },
    );
    assert.equal(anthropic.requests.length - first, 1, 'not retried');
  });

  it('says an event that is not JSON is the provider answer’s fault, without quoting the event, and does not retry', async () => {
    openai.enqueue({ raw: 'data: {not json\n\n' }, { text: 'not asked for' });
    const first = openai.requests.length;
    await assert.rejects(createOpenAIChatModel('gpt-4.1-mini', settings(openai)).turn(ask), (err: Error) => {
      // Was JSON.parse's bare "Expected property name or '}' in JSON at position 1".
      assert.match(err.message, /the provider sent a stream event that is not JSON \(.*; 9 characters\)/);
      // Not the event's text: it holds model-written text, and a cut piece of a secret passes redaction.
      assert.doesNotMatch(err.message, /not json"|\{not/);
      return true;
    });
    assert.equal(openai.requests.length - first, 1, 'not retried');
  });

  it('still retries a connection dropped mid-stream', async () => {
    openai.enqueue({ text: 'part', cut: 'reset' }, { text: 'whole' });
    const before = openai.requests.length;
    const res = await createOpenAIChatModel('gpt-4.1-mini', settings(openai)).turn(ask);
    assert.equal(res.text, 'whole');
    assert.equal(openai.requests.length - before, 2);
  });

  it('splits Chat tool-call pieces that reuse an index under another id, and gives an id to a call without one', async () => {
    const fn = (name: string | undefined, args: string) => ({ ...(name ? { name } : {}), arguments: args });
    const raw = chat(
      choice({ tool_calls: [{ index: 0, id: 'call_a', function: fn('fs_read', '{"path":') }] }),
      choice({ tool_calls: [{ index: 0, function: fn(undefined, '"a"}') }] }),
      choice({ tool_calls: [{ index: 0, id: 'call_b', function: fn('fs_read', '{"path":"b"}') }] }),
      choice({ tool_calls: [{ index: 1, function: fn('fs_read', '{"path":"c"}') }] }),
      choice({}, 'tool_calls'),
      usage,
    );
    openai.enqueue({ raw: `${raw}data: [DONE]\n\n` });
    const res = await createOpenAIChatModel('gpt-4.1-mini', settings(openai)).turn(ask);
    assert.deepEqual(
      res.calls.map((c) => [c.tool, c.args]),
      [
        ['fs.read', { path: 'a' }],
        ['fs.read', { path: 'b' }],
        ['fs.read', { path: 'c' }],
      ],
    );
    assert.deepEqual(
      res.calls.slice(0, 2).map((c) => c.id),
      ['call_a', 'call_b'],
    );
    assert.match(res.calls[2]!.id, /^call_.+/, 'a generated id');
    assert.equal(res.usage.inputTokens, 12);
  });

  it('retries a Chat stream cut after finish_reason but before its usage chunk and [DONE]', async () => {
    openai.enqueue({ raw: chat(choice({ content: 'short' }), choice({}, 'stop')) }, { text: 'whole' });
    const before = openai.requests.length;
    const res = await createOpenAIChatModel('gpt-4.1-mini', settings(openai)).turn(ask);
    assert.equal(res.text, 'whole', 'the cut answer was not taken as complete with 0 tokens');
    assert.equal(openai.requests.length - before, 2);
  });

  it("keeps the server's message of an `event: error` that has no `error` key", async () => {
    const raw = `${chat(choice({ content: 'x' }))}event: error\ndata: ${JSON.stringify({ type: 'invalid_request_error', message: 'the gateway refused this model' })}\n\n`;
    openai.enqueue({ raw });
    await assert.rejects(
      createOpenAIChatModel('gpt-4.1-mini', settings(openai)).turn(ask),
      /the gateway refused this model/,
    );
  });

  it('takes an Anthropic tool_use input sent whole on content_block_start', async () => {
    const raw = messages(
      messageStart,
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 'toolu_1', name: 'fs_read', input: { path: 'whole' } },
      },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 4 } },
      { type: 'message_stop' },
    );
    anthropic.enqueue({ raw });
    const res = await createAnthropicModel('claude-haiku-4-5', settings(anthropic)).turn(ask);
    assert.deepEqual(
      res.calls.map((c) => [c.id, c.tool, c.args]),
      [['toolu_1', 'fs.read', { path: 'whole' }]],
    );
  });
});
