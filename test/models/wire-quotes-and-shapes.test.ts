// What a provider's answer can make nightshift quote or take: a key straddling the cut of a quoted body, a
// giant error message, an event of the wrong shape, a base URL with `user:password@` in an openai-compatible
// spec, and the cost and cache counts a turn records. Raw loopback servers speaking each wire protocol.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { describeOverrun } from '../../src/engine/budget.js';
import { addUsage } from '../../src/engine/ledger.js';
import { createAnthropicModel } from '../../src/models/anthropic/index.js';
import { createOpenAIChatModel, createOpenAIModel } from '../../src/models/openai/index.js';
import { costOf } from '../../src/models/pricing.js';
import { resolveModel } from '../../src/models/resolve.js';
import type { Model } from '../../src/models/types.js';

const ask = { system: 'be brief', messages: [{ role: 'user' as const, content: 'hi' }], tools: [] };

/** A server answering every POST with `answer`; `requests` holds each request's headers. */
async function rawServer(answer: (res: http.ServerResponse) => void) {
  const requests: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.headers);
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const sse = (...events: unknown[]) => events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('');

async function failure(model: Model): Promise<Error & { code?: string; retryable?: boolean }> {
  try {
    await model.turn(ask);
  } catch (err) {
    return err as Error & { code?: string };
  }
  assert.fail('the turn succeeded');
}

describe('wire: quotes and shapes', () => {
  it('redacts a key that straddles the cut of a quoted error body or 200 page, on each provider', async () => {
    // before: the body was cut (500 / 300 characters) before redaction, so the key's start was kept
    // (`…AAAAsk-ant-SECRETKEY1234`).
    const key = 'sk-SECRETKEY1234567890abcdef';
    for (const [status, type, pad] of [
      [401, 'text/plain', 480],
      [200, 'text/html', 290],
      [200, 'text/html', 295],
    ] as const) {
      const body = `${'A'.repeat(pad)}${key}${'B'.repeat(600)}`;
      const server = await rawServer((res) => res.writeHead(status, { 'content-type': type }).end(body));
      try {
        const settings = { apiKey: key, maxRetries: 0 };
        for (const model of [
          createAnthropicModel('m', { ...settings, baseUrl: server.url }),
          createOpenAIChatModel('m', { ...settings, baseUrl: `${server.url}/v1` }),
          createOpenAIModel('m', { ...settings, baseUrl: `${server.url}/v1` }),
        ]) {
          const err = await failure(model);
          assert.equal(err.code, 'MODEL_ERROR');
          assert.doesNotMatch(
            err.message,
            /sk-SEC|sk-S$|sk-$/,
            `${model.spec} ${status} ${pad}: ${err.message.slice(-60)}`,
          );
          // The marker is kept whole, never cut to `[reda`.
          assert.match(err.message, /A\[redacted\]/, `${model.spec} ${status} ${pad}`);
        }
      } finally {
        await server.close();
      }
    }
  });

  it('redacts a base64 form of the key straddling the cut', async () => {
    // before: the cut kept the start of the key's base64 form in a `Basic` header a gateway echoed.
    const key = 'sk-SECRETKEY1234567890abcdef';
    const encoded = Buffer.from(`user:${key}`).toString('base64');
    const body = `${'A'.repeat(480)}Basic ${encoded}${'B'.repeat(100)}`;
    const server = await rawServer((res) => res.writeHead(502, { 'content-type': 'text/plain' }).end(body));
    try {
      const err = await failure(
        createAnthropicModel('m', { apiKey: key, baseUrl: server.url, maxRetries: 0 }),
      );
      // Characters 8-13 of the header's base64 come from the key alone (the first 7 are `user:`'s); the cut
      // at 500 characters fell at the 14th.
      assert.ok(!err.message.includes(encoded.slice(8, 14)), err.message.slice(-40));
      assert.match(err.message, /Basic dXNlcjp\[redacted\]$/);
    } finally {
      await server.close();
    }
  });

  it("quotes at most 2,000 characters of a provider's error message, saying how much was cut", async () => {
    // before: a 5 MB `error.message` was stored whole in the run's record (a 10.8 MB store for one failed run).
    const message = `the request is wrong: ${'x'.repeat(100_000)}`;
    const server = await rawServer((res) =>
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { type: 'invalid_request_error', message } })),
    );
    const stream = await rawServer((res) =>
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end(
          `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } })}\n\n`,
        ),
    );
    try {
      for (const url of [server.url, stream.url]) {
        const err = await failure(createAnthropicModel('m', { apiKey: 'k', baseUrl: url, maxRetries: 0 }));
        assert.ok(err.message.length < 2_300, `${err.message.length} characters`);
        assert.match(err.message, /the request is wrong: x+… \(cut at 2000 of 100022 characters\)/);
      }
    } finally {
      await Promise.all([server.close(), stream.close()]);
    }
  });

  it('fails at once, naming the event and the field, on an event field of the wrong type', async () => {
    // before: the wrong-typed field was dropped and the turn passed as complete (output "", or a call to
    // tool '').
    const anthropicStart = { type: 'message_start', message: { usage: { input_tokens: 1 } } };
    const anthropicEnd = [
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } },
      { type: 'message_stop' },
    ];
    const chatEnd = [
      { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      { choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } },
    ];
    const completed = {
      type: 'response.completed',
      response: { usage: { input_tokens: 1, output_tokens: 1 } },
    };
    const cases: [string, string, RegExp][] = [
      [
        'anthropic',
        sse(
          anthropicStart,
          { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 42 } },
          ...anthropicEnd,
        ),
        /content_block_delta \(text_delta\): delta\.text is a number, not a string/,
      ],
      [
        'anthropic',
        sse(
          anthropicStart,
          { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't1', input: {} } },
          { type: 'content_block_stop', index: 0 },
          ...anthropicEnd,
        ),
        /content_block_start \(tool_use\): content_block\.name is missing, not a tool name/,
      ],
      [
        'responses',
        sse({ type: 'response.output_text.delta', delta: 7 }, completed),
        /response\.output_text\.delta: delta is a number, not a string/,
      ],
      [
        'chat',
        sse({ choices: [{ index: 0, delta: { content: { text: 'hi' } } }] }, ...chatEnd),
        /chat\.completion\.chunk: choices\[0\]\.delta\.content is an object, not a string/,
      ],
      [
        'chat',
        sse({ choices: 'nope' }, ...chatEnd),
        /chat\.completion\.chunk: choices is a string, not an array/,
      ],
      [
        'chat',
        sse(
          { choices: [{ index: 0, delta: { content: [{ type: 'image_url', image_url: { url: 'x' } }] } }] },
          ...chatEnd,
        ),
        /choices\[0\]\.delta\.content\[0\] is a content part of type "image_url", not text/,
      ],
    ];
    for (const [api, body, expected] of cases) {
      const server = await rawServer((res) =>
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end(body),
      );
      try {
        const settings = { apiKey: 'k', retryBaseMs: 1 };
        const model =
          api === 'anthropic'
            ? createAnthropicModel('m', { ...settings, baseUrl: server.url })
            : api === 'responses'
              ? createOpenAIModel('m', { ...settings, baseUrl: `${server.url}/v1` })
              : createOpenAIChatModel('m', { ...settings, baseUrl: `${server.url}/v1` });
        const err = await failure(model);
        assert.equal(err.code, 'MODEL_ERROR');
        assert.equal(err.retryable, false);
        assert.match(err.message, /the provider sent a stream event of an unexpected shape/);
        assert.match(err.message, expected);
        assert.equal(server.requests.length, 1, 'not retried');
      } finally {
        await server.close();
      }
    }
  });

  it("takes a Chat delta's content sent as an array of text parts as its text", async () => {
    // before: the array was dropped and the run succeeded with an empty answer.
    const server = await rawServer((res) =>
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(
        sse(
          {
            choices: [
              { index: 0, delta: { role: 'assistant', content: [{ type: 'text', text: 'The refund ' }] } },
            ],
          },
          { choices: [{ index: 0, delta: { content: [{ type: 'text', text: 'is approved.' }] } }] },
          { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
          // More cached tokens than the prompt had (a gateway's miscount): recorded as the prompt's count.
          {
            choices: [],
            usage: { prompt_tokens: 5, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 9 } },
          },
        ) + 'data: [DONE]\n\n',
      ),
    );
    try {
      const res = await resolveModel(`openai-compatible:m@${server.url}/v1`, { env: {} }).turn(ask);
      assert.equal(res.text, 'The refund is approved.');
      // before: cachedInputTokens was recorded as 9, more than the 5 input tokens.
      assert.equal(res.usage.cachedInputTokens, 5);
    } finally {
      await server.close();
    }
  });

  it('takes an openai-compatible base URL with user:password@, sends it as Basic auth, and never echoes the password', async () => {
    // before: the spec was split at its last `@` and refused with MODEL_CONFIG quoting the password.
    const server = await rawServer((res) =>
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"no"}}'),
    );
    try {
      const withUser = server.url.replace('http://', 'http://alice:s3cret-Pw@');
      const model = resolveModel(`openai-compatible:org@m@${withUser}/v1`, {
        env: { OPENAI_COMPATIBLE_API_KEY: '' },
      });
      const err = await failure(model);
      assert.equal(
        server.requests[0]?.authorization,
        `Basic ${Buffer.from('alice:s3cret-Pw').toString('base64')}`,
      );
      assert.match(
        err.message,
        /model openai-compatible:org@m@http:\/\/\[redacted\]@127\.0\.0\.1:\d+\/v1 failed: HTTP 400: no/,
      );
      assert.throws(
        () => resolveModel('openai-compatible:@http://alice:s3cret-Pw@127.0.0.1:1/v1', { env: {} }),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'MODEL_CONFIG');
          assert.match(e.message, /'openai-compatible:@http:\/\/\[redacted\]@127\.0\.0\.1:1\/v1'/);
          assert.doesNotMatch(e.message, /s3cret/);
          return true;
        },
      );
    } finally {
      await server.close();
    }
  });

  it('records costs rounded to 1e-10 USD and says an amount just over a small limit is over it', () => {
    // before: `--json` printed costUsd 0.00020124999999999999, and the daily budget's message said
    // "spent $0.0001 of $0.0001" when $0.000105 had been spent.
    // 2 cache reads at $0.3 and 7 output tokens at $15 per million: 0.00010559999999999999 unrounded.
    const prices = { 'x:y': { input: 3, cachedInput: 0.3, output: 15 } };
    const turn = costOf('x:y', { inputTokens: 2, outputTokens: 7, cachedInputTokens: 2 }, prices);
    assert.equal(String(turn.costUsd), '0.0001056');
    const usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0 };
    const summed = addUsage(addUsage(usage, { ...usage, costUsd: 0.1 }), { ...usage, costUsd: 0.2 });
    assert.equal(summed.costUsd, 0.3);
    assert.equal(
      describeOverrun({ dimension: 'cost_per_day', used: 0.000105, limit: 0.0001 }),
      "daily budget exceeded: the role's runs spent $0.000105 of $0.0001 since midnight UTC",
    );
    assert.equal(
      describeOverrun({ dimension: 'cost', used: 1.5, limit: 1 }),
      'budget exceeded: $1.5000 of $1.0000 USD',
    );
  });
});
