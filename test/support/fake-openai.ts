// A local server speaking OpenAI Chat Completions (`POST /v1/chat/completions`): streamed chunks with tool call
// arguments split across chunks and parallel calls, the usage chunk when stream_options.include_usage is set,
// `data: [DONE]`; plain JSON when `stream` is not set; errors in OpenAI's shape. Each test scripts its answers.
import type { ServerResponse } from 'node:http';
import {
  breakOff,
  type FakeOptions,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
  forever,
  pieces,
  type ReceivedTurn,
  schemaProblem,
  startFakeServer,
} from './fake-llm.js';

export type { FakeAnswer, FakeReply, FakeRequest, FakeServer } from './fake-llm.js';

interface ChatMessage {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

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
        callId: m.tool_call_id ?? '',
        content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
      })),
    outputSchema: (body.response_format as { json_schema?: { schema?: unknown } } | undefined)?.json_schema
      ?.schema,
  };
}

/** The checks of the real API that an adapter is most likely to get wrong, with its messages. */
function invalid(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== 'string') return 'you must provide a model parameter';
  const messages = body.messages as ChatMessage[] | undefined;
  if (!Array.isArray(messages) || messages.length === 0)
    return "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.";
  for (const [i, tool] of ((body.tools ?? []) as { function?: { name?: string } }[]).entries()) {
    if (!TOOL_NAME.test(tool.function?.name ?? ''))
      return `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`;
  }
  const format = body.response_format as
    | { type?: string; json_schema?: { name?: unknown; schema?: unknown; strict?: unknown } }
    | undefined;
  if (format?.type === 'json_schema') {
    if (typeof format.json_schema?.name !== 'string')
      return "Missing required parameter: 'response_format.json_schema.name'.";
    const problem =
      format.json_schema.strict === true ? schemaProblem(format.json_schema.schema, true) : undefined;
    if (problem) return `Invalid schema for response_format '${format.json_schema.name}': ${problem}`;
  }
  for (const [i, m] of messages.entries()) {
    for (const [j, c] of (m.tool_calls ?? []).entries()) {
      try {
        JSON.parse(c.function.arguments);
      } catch {
        return `Invalid 'messages[${i}].tool_calls[${j}].function.arguments': not valid JSON.`;
      }
    }
    if (!m.tool_calls?.length) continue;
    const answered = new Set<string | undefined>();
    for (const next of messages.slice(i + 1)) {
      if (next.role !== 'tool') break;
      answered.add(next.tool_call_id);
    }
    const missing = m.tool_calls.map((c) => c.id).filter((id) => !answered.has(id));
    if (missing.length > 0)
      return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${missing.join(', ')}`;
  }
  return undefined;
}

/** OpenAI's error `type` and `code` for a status, as the API reports them. */
function errorKind(status: number, type: string | undefined): { type: string; code: string | null } {
  if (status === 429) return { type: type ?? 'requests', code: 'rate_limit_exceeded' };
  if (status === 401) return { type: type ?? 'invalid_request_error', code: 'invalid_api_key' };
  if (status >= 500) return { type: type ?? 'server_error', code: null };
  return { type: type ?? 'invalid_request_error', code: null };
}

async function reply(res: ServerResponse, answer: FakeReply, body: Record<string, unknown>, n: number) {
  const id = `chatcmpl-fake${n}`;
  const model = answer.model ?? String(body.model);
  const created = Math.floor(Date.now() / 1000);
  const calls = (answer.calls ?? []).map((c, i) => ({
    id: `call_${n}_${i}`,
    name: c.name,
    json: c.rawInput ?? JSON.stringify(c.input ?? {}),
  }));
  const finishReason = answer.maxTokens ? 'length' : calls.length > 0 ? 'tool_calls' : 'stop';
  // prompt_tokens counts the cached part too; cached_tokens says how much of it was cached.
  const input = answer.usage?.input ?? 25;
  const output = answer.usage?.output ?? 10;
  const usage = {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: answer.usage?.cacheRead ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };

  if (body.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_fake_${n}` });
    res.end(
      JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: answer.text ?? null,
              refusal: null,
              ...(calls.length > 0
                ? {
                    tool_calls: calls.map((c) => ({
                      id: c.id,
                      type: 'function',
                      function: { name: c.name, arguments: c.json },
                    })),
                  }
                : {}),
            },
            finish_reason: finishReason,
          },
        ],
        usage,
      }),
    );
    return;
  }

  const includeUsage =
    (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const chunk = (choices: unknown[], last = false) =>
    res.write(
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_fake',
        choices,
        // With include_usage, every chunk carries `usage: null` and one last chunk (no choices) the numbers.
        ...(includeUsage ? { usage: last ? usage : null } : {}),
      })}\n\n`,
    );
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': `req_fake_${n}`,
  });
  chunk([
    {
      index: 0,
      delta: { role: 'assistant', content: answer.text ? '' : null, refusal: null },
      finish_reason: null,
    },
  ]);
  if (answer.stall) return forever();
  if (answer.text)
    for (const p of pieces(answer.text, 3)) chunk([{ index: 0, delta: { content: p }, finish_reason: null }]);
  if (breakOff(res, answer.cut)) return;
  if (answer.streamError) {
    res.write(`data: ${JSON.stringify({ error: { ...answer.streamError, param: null, code: null } })}\n\n`);
    res.end();
    return;
  }
  // Parallel calls: each opens with its index, id and name; its arguments follow in several chunks.
  for (const [i, c] of calls.entries()) {
    chunk([
      {
        index: 0,
        delta: {
          tool_calls: [{ index: i, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }],
        },
        finish_reason: null,
      },
    ]);
    for (const a of pieces(c.json, 3))
      chunk([
        { index: 0, delta: { tool_calls: [{ index: i, function: { arguments: a } }] }, finish_reason: null },
      ]);
  }
  chunk([{ index: 0, delta: {}, finish_reason: finishReason }]);
  if (includeUsage) chunk([], true);
  res.write('data: [DONE]\n\n');
  res.end();
}

/**
 * Starts the fake on 127.0.0.1 (free port). `url` is what OPENAI_BASE_URL holds (with `/v1`).
 *
 * @example
 * const fake = await startFakeOpenAI();
 * fake.enqueue({ status: 429, retryAfterMs: 10 }, { text: 'ok after a retry' });
 */
export function startFakeOpenAI(options?: FakeOptions): Promise<FakeServer> {
  return startFakeServer(
    {
      isEndpoint: (pathname) => pathname === '/v1/chat/completions',
      basePath: '/v1',
      errorBody: (status, message, type) => ({ error: { message, param: null, ...errorKind(status, type) } }),
      invalid,
      reply,
      read,
    },
    options,
  );
}
