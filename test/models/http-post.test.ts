// The wire adapters' own transport (node:http, http-post.ts) against a real loopback server: a compressed
// answer is decoded, a cancelled turn stops while its answer streams and frees the connection, and an
// error answer's status, headers and message reach the typed error.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { NightshiftError } from '../../src/errors.js';
import { createOpenAIChatModel } from '../../src/models/openai/index.js';

const ask = { system: 'be brief', messages: [{ role: 'user' as const, content: 'hi' }], tools: [] };
const sse =
  `data: ${JSON.stringify({ model: 'gpt-4.1-mini', choices: [{ index: 0, delta: { content: 'zipped' }, finish_reason: 'stop' }], usage: null })}\n\n` +
  `data: ${JSON.stringify({ model: 'gpt-4.1-mini', choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } })}\n\n` +
  'data: [DONE]\n\n';

describe('the wire transport over node:http', () => {
  let server: http.Server;
  let url: string;
  let mode: 'gzip' | 'hang' | '429' = 'gzip';
  let closedMidStream = 0;
  before(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (mode === 'gzip') {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
          res.end(gzipSync(sse));
        } else if (mode === 'hang') {
          // Starts the answer and never ends it: only the client can end this exchange.
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(
            `data: ${JSON.stringify({ model: 'm', choices: [{ index: 0, delta: { content: 'a' } }] })}\n\n`,
          );
          res.on('close', () => closedMidStream++);
        } else {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '1' });
          res.end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error' } }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('decodes an answer the server compressed', async () => {
    mode = 'gzip';
    const res = await createOpenAIChatModel('gpt-4.1-mini', { apiKey: 'k', baseUrl: url }).turn(ask);
    assert.equal(res.text, 'zipped');
    assert.equal(res.usage.inputTokens, 3);
  });

  it('stops a cancelled turn while its answer streams, closing the connection', async () => {
    mode = 'hang';
    const stop = new AbortController();
    const model = createOpenAIChatModel('gpt-4.1-mini', { apiKey: 'k', baseUrl: url, maxRetries: 0 });
    const turn = model.turn({ ...ask, signal: stop.signal });
    setTimeout(() => stop.abort(new Error('cancelled by the test')), 100);
    await assert.rejects(turn, (err: NightshiftError) => {
      assert.equal(err.code, 'MODEL_ERROR');
      assert.match(err.message, /cancelled/);
      return true;
    });
    // The server sees its half-sent answer's connection go: the socket is destroyed, not left to leak.
    for (let i = 0; i < 50 && closedMidStream === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(closedMidStream, 1);
  });

  it("gives an error answer's status, provider type and message to the typed error", async () => {
    mode = '429';
    const model = createOpenAIChatModel('gpt-4.1-mini', {
      apiKey: 'k',
      baseUrl: url,
      maxRetries: 1,
      retryBaseMs: 1,
    });
    await assert.rejects(model.turn(ask), (err: NightshiftError) => {
      assert.equal(err.code, 'MODEL_ERROR');
      assert.match(err.message, /HTTP 429 rate_limit_error: slow down \(after 2 attempts\)/);
      assert.equal((err.details as { status?: number }).status, 429);
      return true;
    });
  });
});
