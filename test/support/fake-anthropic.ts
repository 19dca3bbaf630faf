// A local server that speaks the Anthropic Messages API wire protocol (SSE streaming and plain JSON), for
// testing the provider adapter and, later, the real `claude` CLI. Each test scripts its answers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeAnswer =
  | {
      text?: string;
      calls?: { name: string; input: unknown }[];
      usage?: { input?: number; output?: number; cacheRead?: number };
    }
  | { status: number; retryAfter?: number; message?: string };

export interface FakeRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeServer {
  url: string;
  requests: FakeRequest[];
  enqueue(...answers: FakeAnswer[]): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

/** Splits a string into n roughly equal pieces, as a streaming API would. */
export function pieces(text: string, n: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

export async function startFakeAnthropic(): Promise<FakeServer> {
  const queue: FakeAnswer[] = [];
  const requests: FakeRequest[] = [];
  let counter = 0;
  const server = createServer(async (req, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          type: 'error',
          error: { type: 'not_found_error', message: `no route ${req.method} ${req.url}` },
        }),
      );
      return;
    }
    const body = await readBody(req);
    requests.push({ path: req.url, headers: req.headers, body });
    const answer = queue.shift() ?? { text: 'ok' };
    if ('status' in answer) {
      const type =
        answer.status === 429
          ? 'rate_limit_error'
          : answer.status >= 500
            ? 'api_error'
            : 'invalid_request_error';
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        ...(answer.retryAfter !== undefined ? { 'retry-after': String(answer.retryAfter) } : {}),
      });
      res.end(
        JSON.stringify({
          type: 'error',
          error: { type, message: answer.message ?? `fake ${answer.status}` },
        }),
      );
      return;
    }
    const id = `msg_fake_${++counter}`;
    const model = String(body.model ?? 'unknown');
    // `usage.input` is the total prompt; Anthropic reports cached tokens apart from input_tokens.
    const cacheRead = answer.usage?.cacheRead ?? 0;
    const usage = {
      input: (answer.usage?.input ?? 25) - cacheRead,
      output: answer.usage?.output ?? 10,
      cacheRead,
    };
    const calls = answer.calls ?? [];
    const stopReason = calls.length > 0 ? 'tool_use' : 'end_turn';
    if (body.stream !== true) {
      const content: unknown[] = [];
      if (answer.text) content.push({ type: 'text', text: answer.text });
      for (const [i, c] of calls.entries()) {
        content.push({ type: 'tool_use', id: `toolu_${counter}_${i}`, name: c.name, input: c.input });
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          type: 'message',
          role: 'assistant',
          model,
          content,
          stop_reason: stopReason,
          stop_sequence: null,
          usage: {
            input_tokens: usage.input,
            output_tokens: usage.output,
            cache_read_input_tokens: usage.cacheRead,
            cache_creation_input_tokens: 0,
          },
        }),
      );
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    sse(res, 'message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input,
          output_tokens: 1,
          cache_read_input_tokens: usage.cacheRead,
          cache_creation_input_tokens: 0,
        },
      },
    });
    sse(res, 'ping', { type: 'ping' });
    let index = 0;
    if (answer.text) {
      sse(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '' },
      });
      for (const p of pieces(answer.text, 3))
        sse(res, 'content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'text_delta', text: p },
        });
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
      index++;
    }
    for (const [i, c] of calls.entries()) {
      sse(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: `toolu_${counter}_${i}`, name: c.name, input: {} },
      });
      for (const p of pieces(JSON.stringify(c.input), 4)) {
        sse(res, 'content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: p },
        });
      }
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
      index++;
    }
    sse(res, 'message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output },
    });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...answers) => queue.push(...answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
