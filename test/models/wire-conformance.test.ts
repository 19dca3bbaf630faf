// Valid but unusual streams of the real protocols, sent as raw bytes by the fake servers (real loopback HTTP):
// what each adapter must read from them. Anthropic: ping events between deltas, an empty partial_json, tool
// input in one-character pieces, several tool_use blocks, thinking / redacted_thinking blocks with
// signature_delta, every stop reason, an overloaded_error event mid-stream, cache token counts in the cost.
// Chat Completions: tool-call pieces interleaved by index, finish_reason length / content_filter, a refusal,
// empty `choices` chunks, usage only in the last chunk, a server that omits usage, ids and model. Responses:
// output_item.added / function_call_arguments.delta / .done, reasoning items, response.incomplete,
// response.failed, error events, a refusal, calls only in the completed response's output.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createAnthropicModel } from '../../src/models/anthropic/index.js';
import { createOpenAIChatModel, createOpenAIModel } from '../../src/models/openai/index.js';
import { type FakeServer, startFakeAnthropic } from '../support/fake-anthropic.js';
import { startFakeOpenAI } from '../support/fake-openai.js';
import { startFakeOpenAIResponses } from '../support/fake-openai-responses.js';

const inputSchema = { type: 'object', properties: { path: { type: 'string' } } };
const ask = {
  system: 'be brief',
  messages: [{ role: 'user' as const, content: 'hi' }],
  tools: [
    { name: 'fs.read', description: 'read a file', inputSchema },
    { name: 'fs.list', description: 'list a folder', inputSchema },
  ],
};
const settings = (fake: FakeServer) => ({ apiKey: 'k', baseUrl: fake.url, retryBaseMs: 1 });

/** Named events (`event:` + `data:`), as Anthropic and the Responses API send them. */
const named = (...events: unknown[]): string =>
  events.map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
/** Chat Completions chunks as `data:` events, then `[DONE]` when `done`. */
const chunks = (...list: unknown[]): string => list.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('');
const DONE = 'data: [DONE]\n\n';

/** A string in pieces of `size` characters. */
const split = (text: string, size: number): string[] => {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
};

describe('Anthropic Messages: valid but unusual streams', () => {
  let fake: FakeServer;
  beforeEach(async () => {
    fake = await startFakeAnthropic();
  });
  afterEach(() => fake.close());
  const model = () => createAnthropicModel('claude-haiku-4-5', settings(fake));
  const start = (usage: Record<string, unknown> = { input_tokens: 5, output_tokens: 1 }) => ({
    type: 'message_start',
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5-20251001',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    },
  });
  const ping = { type: 'ping' };
  const end = (stop: string, usage: Record<string, unknown> = { output_tokens: 9 }) => [
    { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage },
    { type: 'message_stop' },
  ];
  const textBlock = (index: number, text: string) => [
    { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index, delta: { type: 'text_delta', text } },
    { type: 'content_block_stop', index },
  ];

  it('reads thinking, redacted thinking, pings, an empty partial_json and two tool_use blocks in tiny pieces', async () => {
    const toolUse = (index: number, id: string, name: string, json: string) => [
      { type: 'content_block_start', index, content_block: { type: 'tool_use', id, name, input: {} } },
      { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } },
      ping,
      ...split(json, 1).map((p) => ({
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: p },
      })),
      { type: 'content_block_stop', index },
    ];
    const raw = named(
      start(),
      ping,
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me read' } },
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM' },
      },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'redacted_thinking', data: 'EmwKAhgB' },
      },
      { type: 'content_block_stop', index: 1 },
      ...textBlock(2, 'Reading both.'),
      ...toolUse(3, 'toolu_a', 'fs_read', '{"path": "a.txt"}'),
      ping,
      ...toolUse(4, 'toolu_b', 'fs_list', '{"path": "src/"}'),
      ...end('tool_use'),
    );
    fake.enqueue({ raw });
    const res = await model().turn(ask);
    assert.equal(res.text, 'Reading both.', 'thinking is not answer text');
    assert.deepEqual(
      res.calls.map((c) => [c.id, c.tool, c.args]),
      [
        ['toolu_a', 'fs.read', { path: 'a.txt' }],
        ['toolu_b', 'fs.list', { path: 'src/' }],
      ],
    );
    assert.equal(res.stopReason, 'tool_calls');
    assert.equal(res.modelId, 'claude-haiku-4-5-20251001');
  });

  it('maps each stop reason: max_tokens, stop_sequence, end_turn, pause_turn, refusal', async () => {
    const cases: [string, string][] = [
      ['max_tokens', 'max_tokens'],
      ['stop_sequence', 'end'],
      ['end_turn', 'end'],
      ['refusal', 'refusal'],
    ];
    for (const [stop, expected] of cases) {
      fake.enqueue({ raw: named(start(), ...textBlock(0, 'some words'), ...end(stop)) });
      const res = await model().turn(ask);
      assert.equal(res.stopReason, expected, stop);
      assert.equal(res.text, 'some words', stop);
    }
  });

  it('retries an overloaded_error event that comes mid-stream, after text and a tool call began', async () => {
    const raw = named(
      start(),
      ...textBlock(0, 'half'),
      {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'tool_use', id: 't1', name: 'fs_read', input: {} },
      },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"pa' } },
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    );
    fake.enqueue({ raw }, { text: 'whole' });
    const before = fake.requests.length;
    const res = await model().turn(ask);
    assert.equal(res.text, 'whole', 'nothing of the failed attempt is kept');
    assert.deepEqual(res.calls, []);
    assert.equal(fake.requests.length - before, 2);
  });

  it('prices cache reads at 0.1 × input and cache writes at 1.25 × input, from the start and the delta', async () => {
    const raw = named(
      start({
        input_tokens: 100,
        cache_creation_input_tokens: 2000,
        cache_read_input_tokens: 10_000,
        output_tokens: 1,
      }),
      ...textBlock(0, 'ok'),
      ...end('end_turn', { output_tokens: 50 }),
    );
    fake.enqueue({ raw });
    const res = await model().turn(ask);
    assert.equal(res.usage.inputTokens, 12_100);
    assert.equal(res.usage.cachedInputTokens, 10_000);
    assert.equal(res.usage.outputTokens, 50);
    // claude-haiku-4-5, per million: $1 input, $0.1 a cache read, $1.25 a cache write (5-minute cache), $5 output.
    assert.ok(
      Math.abs(res.usage.costUsd - (100 * 1 + 2000 * 1.25 + 10_000 * 0.1 + 50 * 5) / 1e6) < 1e-12,
      String(res.usage.costUsd),
    );
  });
});

describe('OpenAI Chat Completions: valid but unusual streams', () => {
  let fake: FakeServer;
  beforeEach(async () => {
    fake = await startFakeOpenAI();
  });
  afterEach(() => fake.close());
  const model = () => createOpenAIChatModel('gpt-4.1-mini', settings(fake));
  const chunk = (delta: unknown, finish: string | null = null) => ({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4.1-mini-2025-04-14',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: null,
  });
  const usage = {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    model: 'gpt-4.1-mini-2025-04-14',
    choices: [],
    usage: { prompt_tokens: 1000, completion_tokens: 100, prompt_tokens_details: { cached_tokens: 400 } },
  };

  it('joins two calls interleaved by index, id and name once, arguments over many chunks; usage from the last', async () => {
    const piece = (index: number, fields: Record<string, unknown>) =>
      chunk({ tool_calls: [{ index, ...fields }] });
    const a = split('{"path":"a.txt"}', 2);
    const b = split('{"path":"src/"}', 2);
    const list: unknown[] = [
      // Azure's first chunk: no choices, only the prompt filter results.
      { id: '', object: '', model: '', choices: [], prompt_filter_results: [] },
      chunk({ role: 'assistant', content: null, refusal: null }),
      piece(0, { id: 'call_a', type: 'function', function: { name: 'fs_read', arguments: '' } }),
      piece(1, { id: 'call_b', type: 'function', function: { name: 'fs_list', arguments: '' } }),
    ];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i]) list.push(piece(0, { function: { arguments: a[i] } }));
      if (b[i]) list.push(piece(1, { function: { arguments: b[i] } }));
    }
    list.push(chunk({}, 'tool_calls'), usage);
    fake.enqueue({ raw: chunks(...list) + DONE });
    const res = await model().turn(ask);
    assert.deepEqual(
      res.calls.map((c) => [c.id, c.tool, c.args]),
      [
        ['call_a', 'fs.read', { path: 'a.txt' }],
        ['call_b', 'fs.list', { path: 'src/' }],
      ],
    );
    assert.equal(res.stopReason, 'tool_calls');
    assert.deepEqual(
      [res.usage.inputTokens, res.usage.cachedInputTokens, res.usage.outputTokens],
      [1000, 400, 100],
    );
    assert.equal(res.modelId, 'gpt-4.1-mini-2025-04-14');
  });

  it('maps finish_reason length to max_tokens and content_filter to refusal (a cut answer either way)', async () => {
    fake.enqueue({ raw: chunks(chunk({ content: 'cut' }), chunk({}, 'length'), usage) + DONE });
    assert.equal((await model().turn(ask)).stopReason, 'max_tokens');
    fake.enqueue({ raw: chunks(chunk({ content: 'filtered' }), chunk({}, 'content_filter'), usage) + DONE });
    assert.equal((await model().turn(ask)).stopReason, 'refusal');
  });

  it('keeps a refusal as the answer text, not an empty answer', async () => {
    const raw = chunks(
      chunk({ role: 'assistant', content: null, refusal: '' }),
      chunk({ refusal: "I'm sorry, " }),
      chunk({ refusal: 'I cannot help with that.' }),
      chunk({}, 'stop'),
      usage,
    );
    fake.enqueue({ raw: raw + DONE });
    const res = await model().turn(ask);
    assert.equal(res.text, "I'm sorry, I cannot help with that.");
    assert.equal(res.stopReason, 'refusal', 'a refusal is not a normal end');
  });

  it('reads a server that omits usage, ids, model and index: no usage chunk, only [DONE]', async () => {
    const raw = chunks(
      { choices: [{ delta: { content: 'plain ' } }] },
      { choices: [{ delta: { content: 'answer' }, finish_reason: 'stop' }] },
    );
    fake.enqueue({ raw: raw + DONE });
    const res = await model().turn(ask);
    assert.equal(res.text, 'plain answer');
    assert.equal(res.stopReason, 'end');
    assert.equal(res.modelId, 'gpt-4.1-mini');
    assert.deepEqual([res.usage.inputTokens, res.usage.outputTokens, res.usage.costUsd], [0, 0, 0]);
  });
  it('takes a stream with usage and [DONE] but no finish_reason as whole (a compatible server that omits it)', async () => {
    fake.enqueue({
      raw: chunks({ choices: [{ index: 0, delta: { content: 'no reason given' } }] }, usage) + DONE,
    });
    const res = await model().turn(ask);
    assert.equal(res.text, 'no reason given');
    assert.equal(res.stopReason, 'end');
    const call = { index: 0, id: 'call_1', function: { name: 'fs_read', arguments: '{"path":"a"}' } };
    fake.enqueue({ raw: chunks({ choices: [{ index: 0, delta: { tool_calls: [call] } }] }, usage) + DONE });
    const res2 = await model().turn(ask);
    assert.deepEqual(
      res2.calls.map((c) => [c.id, c.tool, c.args]),
      [['call_1', 'fs.read', { path: 'a' }]],
    );
    assert.equal(res2.stopReason, 'tool_calls');
  });

  it('takes [DONE] alone after half an answer (no finish_reason, no usage) as cut off and asks again', async () => {
    // What a relay (one-api and its forks) writes when its upstream read fails: the chunks so far, then [DONE].
    const first = fake.requests.length;
    fake.enqueue(
      {
        raw:
          chunks({ choices: [{ index: 0, delta: { content: 'Step 1: back up the DB. Step 2: ' } }] }) + DONE,
      },
      { text: 'the whole answer' },
    );
    const res = await model().turn(ask);
    assert.equal(res.text, 'the whole answer');
    assert.equal(fake.requests.length - first, 2, 'asked again once');
  });

  it('keeps a refusal that comes beside an empty content', async () => {
    fake.enqueue({
      raw: chunks(chunk({ content: '', refusal: 'I cannot' }), chunk({}, 'stop'), usage) + DONE,
    });
    const res = await model().turn(ask);
    assert.equal(res.text, 'I cannot');
    assert.equal(res.stopReason, 'refusal');
  });

  it('makes no call of an empty legacy function_call, nor a second call of one mirroring tool_calls', async () => {
    fake.enqueue({
      raw: chunks(chunk({ content: 'just text', function_call: {} }), chunk({}, 'stop'), usage) + DONE,
    });
    const res = await model().turn(ask);
    assert.equal(res.text, 'just text');
    assert.deepEqual(res.calls, []);
    assert.equal(res.stopReason, 'end');
    const call = {
      index: 0,
      id: 'call_1',
      type: 'function',
      function: { name: 'fs_read', arguments: '{"path":"a"}' },
    };
    fake.enqueue({
      raw:
        chunks(
          chunk({ tool_calls: [call] }),
          chunk({ function_call: { name: 'fs_read', arguments: '{"path":"a"}' } }),
          chunk({}, 'tool_calls'),
          usage,
        ) + DONE,
    });
    const res2 = await model().turn(ask);
    assert.deepEqual(
      res2.calls.map((c) => [c.id, c.tool, c.args]),
      [['call_1', 'fs.read', { path: 'a' }]],
    );
  });

  it('reads usage sent on every chunk (vLLM continuous_usage_stats) and a name repeated on every piece', async () => {
    const u = (n: number) => ({ prompt_tokens: 50, completion_tokens: n, total_tokens: 50 + n });
    const piece = (args: string, n: number) => ({
      model: 'm',
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              { index: 0, id: 'call_1', type: 'function', function: { name: 'fs_read', arguments: args } },
            ],
          },
        },
      ],
      usage: u(n),
    });
    const raw = chunks(
      piece('{"pa', 1),
      piece('th":"a"}', 2),
      { model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }], usage: u(3) },
      { model: 'm', choices: [], usage: u(3) },
    );
    fake.enqueue({ raw: raw + DONE });
    const res = await model().turn(ask);
    assert.deepEqual(
      res.calls.map((c) => [c.id, c.tool, c.args]),
      [['call_1', 'fs.read', { path: 'a' }]],
    );
    assert.deepEqual([res.usage.inputTokens, res.usage.outputTokens], [50, 3]);
  });
  it('reads a legacy function_call delta (finish_reason function_call) as a call, not an empty answer', async () => {
    const raw = chunks(
      chunk({ role: 'assistant', content: null, function_call: { name: 'fs_read', arguments: '' } }),
      chunk({ function_call: { arguments: '{"path":' } }),
      chunk({ function_call: { arguments: '"a.txt"}' } }),
      chunk({}, 'function_call'),
      usage,
    );
    fake.enqueue({ raw: raw + DONE });
    const res = await model().turn(ask);
    assert.deepEqual(
      res.calls.map((c) => [c.tool, c.args]),
      [['fs.read', { path: 'a.txt' }]],
    );
    assert.match(res.calls[0]?.id ?? '', /^call_/);
    assert.equal(res.stopReason, 'tool_calls');
  });
});

describe('OpenAI Responses: valid but unusual streams', () => {
  let fake: FakeServer;
  beforeEach(async () => {
    fake = await startFakeOpenAIResponses();
  });
  afterEach(() => fake.close());
  const model = () => createOpenAIModel('gpt-5-mini', settings(fake));
  let seq = 0;
  const ev = (type: string, fields: Record<string, unknown> = {}) => ({
    type,
    sequence_number: seq++,
    ...fields,
  });
  const response = (status: string, output: unknown[], extra: Record<string, unknown> = {}) => ({
    id: 'resp_1',
    object: 'response',
    status,
    model: 'gpt-5-mini-2025-08-07',
    output,
    usage: {
      input_tokens: 1000,
      input_tokens_details: { cached_tokens: 200 },
      output_tokens: 300,
      output_tokens_details: { reasoning_tokens: 256 },
      total_tokens: 1300,
    },
    ...extra,
  });
  const reasoning = { id: 'rs_1', type: 'reasoning', summary: [] };
  const call = (id: string, callId: string, name: string, args: string) => ({
    id,
    type: 'function_call',
    status: 'completed',
    call_id: callId,
    name,
    arguments: args,
  });
  const callEvents = (index: number, item: ReturnType<typeof call>) => [
    ev('response.output_item.added', {
      output_index: index,
      item: { ...item, arguments: '', status: 'in_progress' },
    }),
    ...split(item.arguments, 3).map((delta) =>
      ev('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta }),
    ),
    ev('response.function_call_arguments.done', {
      item_id: item.id,
      output_index: index,
      arguments: item.arguments,
    }),
    ev('response.output_item.done', { output_index: index, item }),
  ];

  it('reads a reasoning item, then two function calls streamed as added / arguments deltas / done', async () => {
    const a = call('fc_1', 'call_a', 'fs_read', '{"path":"a.txt"}');
    const b = call('fc_2', 'call_b', 'fs_list', '{"path":"src/"}');
    const raw = named(
      ev('response.created', { response: response('in_progress', []) }),
      ev('response.in_progress', { response: response('in_progress', []) }),
      ev('response.output_item.added', { output_index: 0, item: reasoning }),
      ev('response.output_item.done', { output_index: 0, item: reasoning }),
      ...callEvents(1, a),
      ...callEvents(2, b),
      ev('response.completed', { response: response('completed', [reasoning, a, b]) }),
    );
    fake.enqueue({ raw });
    const res = await model().turn(ask);
    assert.deepEqual(
      res.calls.map((c) => [c.id, c.tool, c.args]),
      [
        ['call_a', 'fs.read', { path: 'a.txt' }],
        ['call_b', 'fs.list', { path: 'src/' }],
      ],
    );
    assert.equal(res.stopReason, 'tool_calls');
    assert.deepEqual(
      [res.usage.inputTokens, res.usage.cachedInputTokens, res.usage.outputTokens],
      [1000, 200, 300],
    );
  });

  it('takes response.incomplete for max_output_tokens as max_tokens, with its usage', async () => {
    const raw = named(
      ev('response.output_text.delta', {
        item_id: 'msg_1',
        output_index: 0,
        content_index: 0,
        delta: 'cut sh',
      }),
      ev('response.incomplete', {
        response: response('incomplete', [], { incomplete_details: { reason: 'max_output_tokens' } }),
      }),
    );
    fake.enqueue({ raw });
    const res = await model().turn(ask);
    assert.equal(res.stopReason, 'max_tokens');
    assert.equal(res.text, 'cut sh');
    assert.equal(res.usage.outputTokens, 300);
  });

  it('takes response.incomplete for content_filter as refusal', async () => {
    const raw = named(
      ev('response.output_text.delta', {
        item_id: 'msg_1',
        output_index: 0,
        content_index: 0,
        delta: 'half',
      }),
      ev('response.incomplete', {
        response: response('incomplete', [], { incomplete_details: { reason: 'content_filter' } }),
      }),
    );
    fake.enqueue({ raw });
    const res = await model().turn(ask);
    assert.equal(res.stopReason, 'refusal');
    assert.equal(res.text, 'half');
  });

  it('retries response.failed with a server_error; fails at once on an error event it cannot retry', async () => {
    const failed = named(
      ev('response.output_text.delta', {
        item_id: 'msg_1',
        output_index: 0,
        content_index: 0,
        delta: 'half',
      }),
      ev('response.failed', {
        response: response('failed', [], {
          error: { code: 'server_error', message: 'The model had a problem' },
        }),
      }),
    );
    fake.enqueue({ raw: failed }, { text: 'whole' });
    const res = await model().turn(ask);
    assert.equal(res.text, 'whole');

    const error = named(
      ev('error', { code: 'invalid_prompt', message: 'Invalid prompt: flagged', param: null }),
    );
    fake.enqueue({ raw: error });
    const before = fake.requests.length;
    await assert.rejects(model().turn(ask), /invalid_prompt: Invalid prompt: flagged/);
    assert.equal(fake.requests.length - before, 1, 'not retried');
  });

  it('reads an error with code null (an error event or response.failed) as server_error and retries it', async () => {
    // OpenAI's own internal failures come with `code: null`: a transient fault, not a verdict on the request.
    const nullCodeEvent = named(
      ev('error', { code: null, message: 'An error occurred while processing your request.', param: null }),
    );
    const nullCodeInError = named(
      ev('error', { error: { code: null, message: 'An error occurred while processing your request.' } }),
    );
    const nullCodeFailed = named(
      ev('response.failed', {
        response: response('failed', [], {
          error: { code: null, message: 'An error occurred while processing your request.' },
        }),
      }),
    );
    for (const raw of [nullCodeEvent, nullCodeInError, nullCodeFailed]) {
      fake.enqueue({ raw }, { text: 'second try' });
      const before = fake.requests.length;
      const res = await model().turn(ask);
      assert.equal(res.text, 'second try');
      assert.equal(fake.requests.length - before, 2, 'retried once');
    }

    // Every attempt failing that way: the error names it server_error, so the reader knows it was transient.
    fake.enqueue({ raw: nullCodeFailed }, { raw: nullCodeFailed }, { raw: nullCodeFailed });
    await assert.rejects(model().turn({ ...ask }), /server_error: An error occurred/);
  });

  it('keeps a refusal as the answer text, not an empty answer', async () => {
    const message = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'refusal', refusal: 'I cannot help with that.' }],
    };
    const raw = named(
      ev('response.output_item.added', { output_index: 0, item: { ...message, content: [] } }),
      ev('response.content_part.added', {
        item_id: 'msg_1',
        output_index: 0,
        content_index: 0,
        part: { type: 'refusal', refusal: '' },
      }),
      ev('response.refusal.delta', {
        item_id: 'msg_1',
        output_index: 0,
        content_index: 0,
        delta: 'I cannot ',
      }),
      ev('response.refusal.delta', {
        item_id: 'msg_1',
        output_index: 0,
        content_index: 0,
        delta: 'help with that.',
      }),
      ev('response.refusal.done', {
        item_id: 'msg_1',
        output_index: 0,
        content_index: 0,
        refusal: 'I cannot help with that.',
      }),
      ev('response.output_item.done', { output_index: 0, item: message }),
      ev('response.completed', { response: response('completed', [message]) }),
    );
    fake.enqueue({ raw });
    const res = await model().turn(ask);
    assert.equal(res.text, 'I cannot help with that.');
    assert.equal(res.stopReason, 'refusal', 'a refusal is not a normal end');
  });

  it('takes calls and text from the completed response when a server sends no output_item.done', async () => {
    const a = call('fc_1', 'call_a', 'fs_read', '{"path":"a.txt"}');
    const message = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'Reading.', annotations: [] }],
    };
    const raw = named(ev('response.completed', { response: response('completed', [message, a]) }));
    fake.enqueue({ raw });
    const res = await model().turn(ask);
    assert.equal(res.text, 'Reading.');
    assert.deepEqual(
      res.calls.map((c) => [c.id, c.tool, c.args]),
      [['call_a', 'fs.read', { path: 'a.txt' }]],
    );
    assert.equal(res.stopReason, 'tool_calls');
  });
});
