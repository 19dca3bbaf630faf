// Provider answers a fault suite would send, from a raw loopback server: a huge event in small chunks (the
// SSE reader must stay linear), a base URL with a query (Azure's `?api-version=`) or with credentials in it,
// and a 200 whose body is no event stream at all (a gateway's HTML page).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createAnthropicModel } from '../../src/models/anthropic/index.js';
import {
  createOpenAIChatModel,
  createOpenAICompatibleModel,
  createOpenAIModel,
} from '../../src/models/openai/index.js';
import { eventParser } from '../../src/models/wire/sse.js';

const ask = { system: 'be brief', messages: [{ role: 'user' as const, content: 'hi' }], tools: [] };

/** A server answering every POST with `answer`; `urls` holds each request's path and query. */
async function rawServer(answer: (res: http.ServerResponse) => void) {
  const urls: string[] = [];
  const server = http.createServer((req, res) => {
    urls.push(req.url ?? '');
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    urls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const chatAnswer =
  'data: {"model":"m","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\n' +
  'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\ndata: [DONE]\n\n';
const responsesAnswer =
  'event: response.completed\ndata: {"type":"response.completed","response":{"usage":{"input_tokens":3,"output_tokens":1}}}\n\n';
const anthropicAnswer =
  'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":3}}}\n\n' +
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}\n\n' +
  'event: message_stop\ndata: {"type":"message_stop"}\n\n';

describe('wire faults', () => {
  it('reads a 16 MB event arriving in 16 KB chunks in linear time', () => {
    const bytes = new TextEncoder().encode(`data: ${'x'.repeat(16 << 20)}\n\ndata: a\ndata: b\n\n`);
    const seen: number[] = [];
    const parser = eventParser((_name, data) => seen.push(data.length));
    const started = performance.now();
    for (let i = 0; i < bytes.length; i += 16_384) parser.push(bytes.subarray(i, i + 16_384));
    parser.end();
    const ms = performance.now() - started;
    assert.deepEqual(seen, [16 << 20, 3]);
    // Linear is ~0.1 s here; the quadratic reader took over a minute.
    assert.ok(ms < 5_000, `took ${Math.round(ms)} ms`);
  });

  it('reads lines ended by a lone CR, as the event-stream format allows, split anywhere', () => {
    const text = ': hi\revent: a\rdata: {"x":1}\r\rdata: é\rdata: 2\r\r';
    const bytes = new TextEncoder().encode(text);
    const read = (cuts: number[]) => {
      const seen: [string | undefined, string][] = [];
      const parser = eventParser((name, data) => seen.push([name, data]));
      let at = 0;
      for (const cut of [...cuts, bytes.length]) {
        parser.push(bytes.subarray(at, cut));
        at = cut;
      }
      parser.end();
      return seen;
    };
    const whole = read([]);
    assert.deepEqual(whole, [
      ['a', '{"x":1}'],
      [undefined, 'é\n2'],
    ]);
    for (let i = 1; i < bytes.length; i++) assert.deepEqual(read([i]), whole, `split at ${i}`);
    // CRLF split between its CR and LF, and CR CR (two line ends), still read right.
    const crlf = new TextEncoder().encode('data: 1\r\n\r\ndata: 2\r\r');
    const seen: string[] = [];
    const parser = eventParser((_n, data) => seen.push(data));
    for (let i = 0; i < crlf.length; i++) parser.push(crlf.subarray(i, i + 1));
    parser.end();
    assert.deepEqual(seen, ['1', '2']);
  });

  it('reads CRLF-ended lines split anywhere, with no CR left in a name or data, the last line too', () => {
    // Every line ends in CRLF, the last one's event has no blank line after it, and a data value ends in a
    // space (kept: only the line ending goes).
    const bytes = new TextEncoder().encode(
      ': c\r\nevent: a\r\ndata: {"x":1}\r\n\r\ndata: é \r\ndata: 2\r\n\r\nevent: last\r\ndata: z\r\n',
    );
    const read = (cuts: number[]) => {
      const seen: [string | undefined, string][] = [];
      const parser = eventParser((name, data) => seen.push([name, data]));
      let at = 0;
      for (const cut of [...cuts, bytes.length]) {
        parser.push(bytes.subarray(at, cut));
        at = cut;
      }
      parser.end();
      return seen;
    };
    const whole = read([]);
    assert.deepEqual(whole, [
      ['a', '{"x":1}'],
      [undefined, 'é \n2'],
      ['last', 'z'],
    ]);
    for (let i = 1; i < bytes.length; i++) assert.deepEqual(read([i]), whole, `split at ${i}`);
    // One byte at a time: every CR and its LF in chunks of their own.
    assert.deepEqual(read([...Array(bytes.length).keys()].slice(1)), whole);
  });

  it('keeps a base URL’s query after the endpoint path, for each protocol', async () => {
    const chat = await rawServer((res) =>
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(chatAnswer),
    );
    const responses = await rawServer((res) =>
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(responsesAnswer),
    );
    const anthropic = await rawServer((res) =>
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(anthropicAnswer),
    );
    try {
      const settings = { apiKey: 'k', retryBaseMs: 1 };
      await createOpenAICompatibleModel('m', `${chat.url}/openai/v1/?api-version=2024-10-21`, settings).turn(
        ask,
      );
      await createOpenAIChatModel('m', { ...settings, baseUrl: `${chat.url}/v1?api-version=1` }).turn(ask);
      await createOpenAIModel('m', { ...settings, baseUrl: `${responses.url}/v1?api-version=1` }).turn(ask);
      await createAnthropicModel('m', { ...settings, baseUrl: `${anthropic.url}?team=a` }).turn(ask);
      await createAnthropicModel('m', { ...settings, baseUrl: `${anthropic.url}/v1/?team=b` }).turn(ask);
      assert.deepEqual(chat.urls, [
        '/openai/v1/chat/completions?api-version=2024-10-21',
        '/v1/chat/completions?api-version=1',
      ]);
      assert.deepEqual(responses.urls, ['/v1/responses?api-version=1']);
      assert.deepEqual(anthropic.urls, ['/v1/messages?team=a', '/v1/messages?team=b']);
    } finally {
      await Promise.all([chat.close(), responses.close(), anthropic.close()]);
    }
  });

  it('fails a 200 whose body is an HTML page at once, saying so, instead of retrying it as a cut stream', async () => {
    const page = await rawServer((res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<html><body>Sign in to the gateway</body></html>'),
    );
    try {
      for (const model of [
        createOpenAIChatModel('m', { apiKey: 'k', baseUrl: `${page.url}/v1`, retryBaseMs: 1 }),
        createOpenAIModel('m', { apiKey: 'k', baseUrl: `${page.url}/v1`, retryBaseMs: 1 }),
        createAnthropicModel('m', { apiKey: 'k', baseUrl: page.url, retryBaseMs: 1 }),
      ]) {
        const before = page.urls.length;
        await assert.rejects(
          model.turn(ask),
          (err: Error & { code?: string; details?: { attempts?: number } }) => {
            assert.equal(err.code, 'MODEL_ERROR');
            assert.match(
              err.message,
              /HTTP 200: the answer is not a server-sent event stream \(content-type text\/html\)/,
            );
            assert.match(err.message, /Sign in to the gateway/);
            assert.equal(err.details?.attempts, 1);
            return true;
          },
        );
        assert.equal(page.urls.length - before, 1, 'not retried');
      }
    } finally {
      await page.close();
    }
  });

  it('still retries a 200 with an empty body or keep-alive comments only, as a cut-off stream', async () => {
    let n = 0;
    const server = await rawServer((res) => {
      n++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(n === 1 ? '' : n === 2 ? ': ping\n\n' : chatAnswer);
    });
    try {
      const res = await createOpenAIChatModel('m', {
        apiKey: 'k',
        baseUrl: `${server.url}/v1`,
        retryBaseMs: 1,
      }).turn(ask);
      assert.equal(res.text, 'ok');
      assert.equal(server.urls.length, 3);
    } finally {
      await server.close();
    }
  });

  it('keeps a password in a configured base URL out of a connection error', async () => {
    const gone = await rawServer(() => {});
    const port = new URL(gone.url).port;
    await gone.close();
    // OPENAI_BASE_URL (or models.openai.baseUrl) may hold a gateway's credentials; the spec does not show it.
    const model = createOpenAIChatModel('m', {
      apiKey: 'k',
      baseUrl: `http://gateway-user:hunter2-pass@127.0.0.1:${port}/v1`,
      maxRetries: 0,
    });
    await assert.rejects(model.turn(ask), (err: Error & { cause?: unknown }) => {
      assert.match(err.message, /Cannot connect to API at http:\/\/\[redacted\]@127\.0\.0\.1/);
      assert.doesNotMatch(err.message, /hunter2/);
      assert.doesNotMatch(JSON.stringify(err.cause, Object.getOwnPropertyNames(err.cause ?? {})), /hunter2/);
      return true;
    });
  });

  it("keeps a key in a configured base URL's query out of a connection error", async () => {
    const gone = await rawServer(() => {});
    const port = new URL(gone.url).port;
    await gone.close();
    const model = createOpenAIChatModel('m', {
      apiKey: 'k',
      baseUrl: `http://127.0.0.1:${port}/v1?api-version=2024-10-21&key=gw-secret-9f8e7d`,
      maxRetries: 0,
    });
    await assert.rejects(model.turn(ask), (err: Error & { cause?: unknown }) => {
      assert.match(
        err.message,
        /Cannot connect to API at http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions\?api-version=…&key=…/,
      );
      assert.doesNotMatch(err.message, /gw-secret/);
      return true;
    });
  });

  it('counts malformed token fields as 0 and numeric strings as numbers, so cost stays a finite amount', async () => {
    const answers = [
      // Strings: summed as text they made "100050" input tokens.
      'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":"1000","cache_read_input_tokens":"50","output_tokens":1}}}\n\n' +
        'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":"7"}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
      // Negative, infinite (1e999 parses as Infinity), null.
      'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":-1000,"cache_read_input_tokens":null,"output_tokens":1}}}\n\n' +
        'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1e999}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
    ];
    let n = 0;
    const server = await rawServer((res) =>
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(answers[n++]),
    );
    const chat = await rawServer((res) =>
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end(
          'data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}],"usage":{"prompt_tokens":"10","completion_tokens":-3,"prompt_tokens_details":{"cached_tokens":"abc"}}}\n\ndata: [DONE]\n\n',
        ),
    );
    try {
      const model = createAnthropicModel('claude-sonnet-4-5', { apiKey: 'k', baseUrl: server.url });
      const first = await model.turn(ask);
      assert.deepEqual(first.usage, {
        inputTokens: 1050,
        outputTokens: 7,
        cachedInputTokens: 50,
        costUsd: (1000 * 3 + 50 * 0.3 + 7 * 15) / 1e6,
      });
      const second = await model.turn(ask);
      // The infinite output count is dropped; the start's 1 stands.
      assert.deepEqual(second.usage, {
        inputTokens: 0,
        outputTokens: 1,
        cachedInputTokens: 0,
        costUsd: 15 / 1e6,
      });
      const third = await createOpenAIChatModel('gpt-4.1', { apiKey: 'k', baseUrl: `${chat.url}/v1` }).turn(
        ask,
      );
      assert.deepEqual(third.usage, {
        inputTokens: 10,
        outputTokens: 0,
        cachedInputTokens: 0,
        costUsd: (10 * 2) / 1e6,
      });
    } finally {
      await Promise.all([server.close(), chat.close()]);
    }
  });

  it('drops an unclosed Anthropic tool_use when the turn was cut by max_tokens (its arguments may be half-sent)', async () => {
    const server = await rawServer((res) =>
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end(
          'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":3}}}\n\n' +
            'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"tu_1","name":"fs_write","input":{}}}\n\n' +
            'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":5}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
        ),
    );
    try {
      const res = await createAnthropicModel('m', { apiKey: 'k', baseUrl: server.url }).turn({
        ...ask,
        tools: [{ name: 'fs.write', description: 'write', inputSchema: { type: 'object' } }],
      });
      assert.deepEqual(res.calls, []);
    } finally {
      await server.close();
    }
  });

  it('keeps an Anthropic tool_use the stream never closed with content_block_stop', async () => {
    const server = await rawServer((res) =>
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end(
          'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":3}}}\n\n' +
            'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"tu_1","name":"fs_read","input":{}}}\n\n' +
            'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"path\\":\\"a\\"}"}}\n\n' +
            'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":5}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
        ),
    );
    try {
      const res = await createAnthropicModel('m', { apiKey: 'k', baseUrl: server.url }).turn({
        ...ask,
        tools: [{ name: 'fs.read', description: 'read', inputSchema: { type: 'object' } }],
      });
      assert.deepEqual(res.calls, [{ id: 'tu_1', tool: 'fs.read', args: { path: 'a' } }]);
      assert.equal(res.stopReason, 'tool_calls');
    } finally {
      await server.close();
    }
  });

  it('says an event of JSON null is the provider answer’s fault, with the event’s length, and does not retry', async () => {
    const server = await rawServer((res) =>
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end('event: response.completed\ndata: null\n\n'),
    );
    try {
      await assert.rejects(
        createOpenAIModel('m', { apiKey: 'k', baseUrl: `${server.url}/v1`, retryBaseMs: 1 }).turn(ask),
        /the provider sent a stream event of an unexpected shape \(.*null.*; 4 characters\)$/,
      );
      assert.equal(server.urls.length, 1);
    } finally {
      await server.close();
    }
  });

  it('reads a Responses stream whose events are all named `message`, SSE’s default name', async () => {
    const server = await rawServer((res) =>
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end(
          'event: message\ndata: {"type":"response.output_text.delta","delta":"hi"}\n\n' +
            'event: message\ndata: {"type":"response.completed","response":{"usage":{"input_tokens":2,"output_tokens":1}}}\n\n',
        ),
    );
    try {
      const res = await createOpenAIModel('m', {
        apiKey: 'k',
        baseUrl: `${server.url}/v1`,
        retryBaseMs: 1,
      }).turn(ask);
      assert.equal(res.text, 'hi');
      assert.equal(res.usage.outputTokens, 1);
      assert.equal(server.urls.length, 1);
    } finally {
      await server.close();
    }
  });

  it('takes Anthropic input counts that come on message_delta, and does not let a 0 there undo the start’s', async () => {
    const delta = (usage: unknown) =>
      `event: message_delta\ndata: ${JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage })}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n`;
    const start = (usage: unknown) =>
      `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { usage } })}\n\n`;
    const answers = [
      // A gateway that reports the prompt only at the end.
      start({ output_tokens: 1 }) +
        delta({ input_tokens: 900, cache_read_input_tokens: 100, output_tokens: 20 }),
      // One that zeroes what it does not know on the delta.
      start({ input_tokens: 900, cache_read_input_tokens: 100, output_tokens: 1 }) +
        delta({ input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 20 }),
    ];
    let n = 0;
    const server = await rawServer((res) =>
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(answers[n++]),
    );
    try {
      const model = createAnthropicModel('claude-sonnet-4-5', { apiKey: 'k', baseUrl: server.url });
      for (let i = 0; i < 2; i++) {
        const { usage } = await model.turn(ask);
        assert.deepEqual(usage, {
          inputTokens: 1000,
          outputTokens: 20,
          cachedInputTokens: 100,
          costUsd: (900 * 3 + 100 * 0.3 + 20 * 15) / 1e6,
        });
      }
    } finally {
      await server.close();
    }
  });

  it('takes function-call arguments sent as an object, and a delta without its text as nothing', async () => {
    const tools = [{ name: 'fs.read', description: 'read', inputSchema: { type: 'object' } }];
    const sse = (...events: unknown[]) => events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('');
    const chat = await rawServer((res) =>
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(
        sse(
          { choices: [{ index: 0, delta: { content: 'a' } }] },
          { choices: [{ index: 0, delta: { content: null } }] },
          {
            choices: [
              {
                index: 0,
                delta: {
                  tool_calls: [
                    { index: 0, id: 'c1', function: { name: 'fs_read', arguments: { path: 'x' } } },
                  ],
                },
              },
            ],
          },
          {
            choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }],
            usage: { prompt_tokens: 1, completion_tokens: 1 },
          },
        ),
      ),
    );
    const responses = await rawServer((res) =>
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(
        sse(
          { type: 'response.output_text.delta', delta: 'a' },
          { type: 'response.output_text.delta' },
          {
            type: 'response.output_item.done',
            item: { type: 'function_call', call_id: 'c1', name: 'fs_read', arguments: { path: 'x' } },
          },
          { type: 'response.completed', response: { usage: { input_tokens: 1, output_tokens: 1 } } },
        ),
      ),
    );
    const anthropic = await rawServer((res) =>
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end(
          sse(
            { type: 'message_start', message: { usage: { input_tokens: 1 } } },
            { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
            { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a' } },
            { type: 'content_block_delta', index: 0, delta: { type: 'text_delta' } },
            { type: 'content_block_stop', index: 0 },
            { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } },
            { type: 'message_stop' },
          ),
        ),
    );
    try {
      const settings = { apiKey: 'k', retryBaseMs: 1 };
      for (const model of [
        createOpenAIChatModel('m', { ...settings, baseUrl: `${chat.url}/v1` }),
        createOpenAIModel('m', { ...settings, baseUrl: `${responses.url}/v1` }),
      ]) {
        const res = await model.turn({ ...ask, tools });
        assert.equal(res.text, 'a');
        assert.deepEqual(res.calls, [{ id: 'c1', tool: 'fs.read', args: { path: 'x' } }]);
      }
      const res = await createAnthropicModel('m', { ...settings, baseUrl: anthropic.url }).turn(ask);
      assert.equal(res.text, 'a');
    } finally {
      await Promise.all([chat.close(), responses.close(), anthropic.close()]);
    }
  });

  it('gives a call without an id, or with one already taken in the turn, an id of its own, sent back with its result', async () => {
    const bodies: { input?: { type?: string; call_id?: string }[] }[] = [];
    const sse = (...events: { type: string }[]) =>
      events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
    const call = (callId: string | undefined) => ({
      type: 'response.output_item.done',
      item: { type: 'function_call', call_id: callId, name: 'fs_read', arguments: '{"path":"a"}' },
    });
    const completed = {
      type: 'response.completed',
      response: { usage: { input_tokens: 1, output_tokens: 1 } },
    };
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        bodies.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(
          bodies.length === 1
            ? sse(call(undefined), call('dup'), call('dup'), completed)
            : sse({ type: 'response.output_text.delta', delta: 'done' } as { type: string }, completed),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const model = createOpenAIModel('m', {
        apiKey: 'k',
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
      });
      const tools = [{ name: 'fs.read', description: 'read', inputSchema: { type: 'object' } }];
      const first = await model.turn({ ...ask, tools });
      const ids = first.calls.map((c) => c.id);
      assert.equal(ids.length, 3);
      assert.equal(new Set(ids).size, 3, `distinct ids: ${ids.join(', ')}`);
      assert.ok(ids.every((id) => typeof id === 'string' && id !== ''));
      assert.equal(ids[1], 'dup');
      // The next request pairs each result with its call under those ids.
      await model.turn({
        ...ask,
        tools,
        messages: [
          ...ask.messages,
          { role: 'assistant', text: '', calls: first.calls },
          ...first.calls.map((c) => ({
            role: 'tool' as const,
            callId: c.id,
            tool: c.tool,
            content: 'x',
            isError: false,
          })),
        ],
      });
      const sent = bodies[1]?.input ?? [];
      const callIds = sent.filter((i) => i.type === 'function_call').map((i) => i.call_id);
      const outputIds = sent.filter((i) => i.type === 'function_call_output').map((i) => i.call_id);
      assert.deepEqual(callIds, ids);
      assert.deepEqual(outputIds, ids);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('keeps a key the gateway echoes in a response header out of the chained cause', async () => {
    const key = 'sk-ant-echoed-in-a-header-0123456789';
    const server = await rawServer((res) =>
      res
        .writeHead(400, { 'x-debug-api-key': key, 'content-type': 'application/json' })
        .end('{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}'),
    );
    try {
      await assert.rejects(
        createAnthropicModel('m', { apiKey: key, baseUrl: server.url, maxRetries: 0 }).turn(ask),
        (err: Error) => {
          // Everything reachable from the error, own properties of the causes included.
          const seen = new Set<unknown>();
          const texts: string[] = [];
          const walk = (value: unknown, depth: number) => {
            if (typeof value === 'string') texts.push(value);
            if (typeof value !== 'object' || value === null || seen.has(value) || depth > 6) return;
            seen.add(value);
            for (const name of Object.getOwnPropertyNames(value))
              walk((value as Record<string, unknown>)[name], depth + 1);
          };
          walk(err, 0);
          assert.ok(texts.some((t) => t.includes('invalid_request_error')));
          assert.ok(!texts.some((t) => t.includes(key)), 'the key is nowhere in the error');
          return true;
        },
      );
    } finally {
      await server.close();
    }
  });

  it('keeps a key in a stream error event’s other fields out of the chained cause', async () => {
    const key = 'sk-echoed-in-an-error-event-0123456789';
    const server = await rawServer((res) =>
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end(
          `data: ${JSON.stringify({ error: { message: 'bad request', type: 'invalid_request_error', param: `Bearer ${key}` } })}\n\n`,
        ),
    );
    try {
      await assert.rejects(
        createOpenAIChatModel('m', { apiKey: key, baseUrl: `${server.url}/v1`, maxRetries: 0 }).turn(ask),
        (err: Error) => {
          assert.match(err.message, /invalid_request_error: bad request/);
          const cause = err.cause as { payload?: unknown; message?: string };
          assert.doesNotMatch(JSON.stringify(cause?.payload ?? null), new RegExp(key));
          assert.doesNotMatch(String(cause?.message), new RegExp(key));
          return true;
        },
      );
    } finally {
      await server.close();
    }
  });

  it('joins Chat tool-call pieces that come without an index into their call', async () => {
    const sse = (...events: unknown[]) =>
      `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;
    const piece = (p: unknown) => ({ choices: [{ index: 0, delta: { tool_calls: [p] } }] });
    const server = await rawServer((res) =>
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(
        sse(
          piece({ id: 'c1', type: 'function', function: { name: 'fs_read', arguments: '{"pa' } }),
          piece({ function: { arguments: 'th":"a"}' } }),
          // Another call: a new id; then one without an id but with a name of its own.
          piece({ id: 'c2', type: 'function', function: { name: 'fs_read', arguments: '{"path":"b"}' } }),
          piece({ type: 'function', function: { name: 'fs_read', arguments: '{"path":' } }),
          piece({ function: { arguments: '"c"}' } }),
          {
            choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }],
            usage: { prompt_tokens: 1, completion_tokens: 1 },
          },
        ),
      ),
    );
    try {
      const res = await createOpenAIChatModel('m', { apiKey: 'k', baseUrl: `${server.url}/v1` }).turn({
        ...ask,
        tools: [{ name: 'fs.read', description: 'read', inputSchema: { type: 'object' } }],
      });
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
        ['c1', 'c2'],
      );
    } finally {
      await server.close();
    }
  });
});
