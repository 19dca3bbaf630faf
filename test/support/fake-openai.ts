// A local server that speaks OpenAI Chat Completions (streamed chunks, parallel tool calls, usage chunk,
// `data: [DONE]`), answering from a per-test script like fake-anthropic.ts.
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

interface ChatMessage {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
}

/** Reads a Chat Completions request body: tools offered, earlier assistant tool_calls, tool messages. */
function read(request: FakeRequest): ReceivedTurn {
  const body = request.body;
  const messages = (body.messages ?? []) as ChatMessage[];
  const auth = request.headers.authorization;
  return {
    apiKey: auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined,
    toolNames: ((body.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name),
    toolCalls: messages.flatMap((m) =>
      (m.tool_calls ?? []).map((c) => ({
        id: c.id,
        name: c.function.name,
        input: JSON.parse(c.function.arguments) as unknown,
      })),
    ),
    toolResults: messages
      .filter((m) => m.role === 'tool')
      .map((m) => ({
        callId: m.tool_call_id!,
        content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
      })),
  };
}

/** OpenAI's error `type` and `code` for a status, as the API reports them. */
function errorKind(status: number): { type: string; code: string | null } {
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

export async function startFakeOpenAI(): Promise<FakeServer> {
  const queue: FakeAnswer[] = [];
  const requests: FakeRequest[] = [];
  let counter = 0;
  const { origin, close } = await listen(async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/v1/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: `no route ${req.method} ${req.url}`,
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
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
      res.end(
        JSON.stringify({
          error: {
            message: answer.message ?? `fake ${answer.status}`,
            param: null,
            ...errorKind(answer.status),
          },
        }),
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
    if (answer.streamError) {
      res.write(`data: ${JSON.stringify({ error: { ...answer.streamError, param: null, code: null } })}\n\n`);
      res.end();
      return;
    }
    // Parallel calls: each opens with index, id and name; its arguments follow in several chunks.
    for (const [i, c] of calls.entries()) {
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
      for (const a of pieces(JSON.stringify(c.input), 3))
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
      // prompt_tokens counts the cached part too; cached_tokens says how much of it was cached.
      const input = answer.usage?.input ?? 25;
      const output = answer.usage?.output ?? 10;
      chunk([], {
        usage: {
          prompt_tokens: input,
          completion_tokens: output,
          total_tokens: input + output,
          prompt_tokens_details: { cached_tokens: answer.usage?.cacheRead ?? 0 },
        },
      });
    }
    res.write('data: [DONE]\n\n');
    res.end();
  });
  return {
    url: `${origin}/v1`,
    requests,
    enqueue: (...answers) => queue.push(...answers),
    read,
    close,
  };
}
