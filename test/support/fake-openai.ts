// A local server that speaks OpenAI Chat Completions (streamed chunks, parallel tool calls, usage chunk,
// `data: [DONE]`), answering from a per-test script like fake-anthropic.ts.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeAnswer, type FakeRequest, type FakeServer, pieces } from './fake-anthropic.js';

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

export async function startFakeOpenAI(): Promise<FakeServer> {
  const queue: FakeAnswer[] = [];
  const requests: FakeRequest[] = [];
  let counter = 0;
  const server = createServer(async (req, res) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error', code: null },
        }),
      );
      return;
    }
    const body = await readBody(req);
    requests.push({ path: req.url, headers: req.headers, body });
    const answer = queue.shift() ?? { text: 'ok' };
    if ('status' in answer) {
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        ...(answer.retryAfter !== undefined ? { 'retry-after': String(answer.retryAfter) } : {}),
      });
      const type =
        answer.status === 429
          ? 'rate_limit_exceeded'
          : answer.status >= 500
            ? 'server_error'
            : 'invalid_request_error';
      res.end(
        JSON.stringify({ error: { message: answer.message ?? `fake ${answer.status}`, type, code: type } }),
      );
      return;
    }
    const id = `chatcmpl-fake${++counter}`;
    const model = String(body.model ?? 'unknown');
    const created = Math.floor(Date.now() / 1000);
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`,
      );
    const calls = answer.calls ?? [];
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
    if (answer.text)
      for (const p of pieces(answer.text, 3))
        chunk([{ index: 0, delta: { content: p }, finish_reason: null }]);
    for (const [i, c] of calls.entries()) {
      const args = pieces(JSON.stringify(c.input), 3);
      chunk([
        {
          index: 0,
          delta: {
            tool_calls: [
              {
                index: i,
                id: `call_${counter}_${i}`,
                type: 'function',
                function: { name: c.name, arguments: '' },
              },
            ],
          },
          finish_reason: null,
        },
      ]);
      for (const a of args)
        chunk([
          {
            index: 0,
            delta: { tool_calls: [{ index: i, function: { arguments: a } }] },
            finish_reason: null,
          },
        ]);
    }
    chunk([{ index: 0, delta: {}, finish_reason: calls.length > 0 ? 'tool_calls' : 'stop' }]);
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage) {
      const input = answer.usage?.input ?? 25;
      chunk([], {
        usage: {
          prompt_tokens: input,
          completion_tokens: answer.usage?.output ?? 10,
          total_tokens: input + (answer.usage?.output ?? 10),
          prompt_tokens_details: { cached_tokens: answer.usage?.cacheRead ?? 0 },
        },
      });
    }
    res.write('data: [DONE]\n\n');
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...answers) => queue.push(...answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
