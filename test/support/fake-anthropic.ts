// A local server that speaks the Anthropic Messages API wire protocol (SSE streaming and plain JSON), for
// testing the provider adapter and, later, the real `claude` CLI. Each test scripts its answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type FakeAnswer,
  type FakeRequest,
  type FakeServer,
  listen,
  pieces,
  type ReceivedTurn,
  readBody,
} from './fake-llm.js';

export type { FakeAnswer, FakeRequest, FakeServer } from './fake-llm.js';

type Block = {
  type: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
};

/** Reads a Messages API request body: tools offered, earlier tool_use blocks, tool_result blocks. */
function read(request: FakeRequest): ReceivedTurn {
  const body = request.body;
  const blocks = ((body.messages ?? []) as { role: string; content: string | Block[] }[]).flatMap((m) =>
    Array.isArray(m.content) ? m.content : [],
  );
  const text = (content: unknown): string =>
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? (content as { text?: string }[]).map((c) => c.text ?? '').join('')
        : JSON.stringify(content);
  return {
    apiKey: request.headers['x-api-key'] as string | undefined,
    toolNames: ((body.tools ?? []) as { name: string }[]).map((t) => t.name),
    toolCalls: blocks
      .filter((b) => b.type === 'tool_use')
      .map((b) => ({ id: b.id!, name: b.name!, input: b.input })),
    toolResults: blocks
      .filter((b) => b.type === 'tool_result')
      .map((b) => ({ callId: b.tool_use_id!, content: text(b.content), isError: b.is_error === true })),
  };
}

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

export async function startFakeAnthropic(): Promise<FakeServer> {
  const queue: FakeAnswer[] = [];
  const requests: FakeRequest[] = [];
  let counter = 0;
  const { origin, close } = await listen(async (req: IncomingMessage, res: ServerResponse) => {
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
          : answer.status === 529
            ? 'overloaded_error'
            : answer.status >= 500
              ? 'api_error'
              : answer.status === 401
                ? 'authentication_error'
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
    if (answer.streamError) {
      // Anthropic may send an error event inside a 200 stream (e.g. overloaded_error under load).
      sse(res, 'error', { type: 'error', error: answer.streamError });
      res.end();
      return;
    }
    sse(res, 'message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output },
    });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  });
  return {
    url: origin,
    requests,
    enqueue: (...answers) => queue.push(...answers),
    read,
    close,
  };
}
