// A local server speaking the Anthropic Messages API (`POST /v1/messages`): SSE streaming with the real event
// sequence, plain JSON when `stream` is not set, errors in Anthropic's JSON shape. For the provider adapter's
// tests and for pointing the real `claude` CLI at (ANTHROPIC_BASE_URL = `url`). Each test scripts its answers.
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

interface Block {
  type: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}
interface AnthropicMessage {
  role: string;
  content: string | Block[];
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function blocksOf(m: AnthropicMessage): Block[] {
  return Array.isArray(m.content) ? m.content : [];
}

/** Reads a Messages API request body: tools offered, earlier tool_use blocks, tool_result blocks. */
function read(request: FakeRequest): ReceivedTurn {
  const body = request.body;
  const blocks = ((body.messages ?? []) as AnthropicMessage[]).flatMap(blocksOf);
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
      .map((b) => ({ id: b.id ?? '', name: b.name ?? '', input: b.input })),
    toolResults: blocks
      .filter((b) => b.type === 'tool_result')
      .map((b) => ({ callId: b.tool_use_id ?? '', content: text(b.content), isError: b.is_error === true })),
    outputSchema: (body.output_config as { format?: { schema?: unknown } } | undefined)?.format?.schema,
  };
}

/** The checks of the real API that an adapter is most likely to get wrong, with its messages. */
function invalid(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== 'string') return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  const messages = body.messages as AnthropicMessage[] | undefined;
  if (!Array.isArray(messages) || messages.length === 0) return 'messages: at least one message is required';
  for (const [i, tool] of ((body.tools ?? []) as { name?: string }[]).entries()) {
    if (!TOOL_NAME.test(tool.name ?? ''))
      return `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`;
  }
  const format = (body.output_config as { format?: { type?: unknown; schema?: unknown } } | undefined)
    ?.format;
  if (format !== undefined) {
    if (format.type !== 'json_schema') return "output_config.format.type: Input should be 'json_schema'";
    const problem = schemaProblem(format.schema, false);
    if (problem) return `output_config.format.schema: ${problem}`;
  }
  for (const [i, m] of messages.entries()) {
    if (m.role === 'assistant' && Array.isArray(m.content) && m.content.length === 0)
      return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
    for (const [j, b] of blocksOf(m).entries()) {
      if (b.type === 'text' && (b as { text?: string }).text === '')
        return `messages.${i}.content.${j}.text: text content blocks must be non-empty`;
      if (
        b.type === 'tool_use' &&
        (typeof b.input !== 'object' || b.input === null || Array.isArray(b.input))
      )
        return `messages.${i}.content.${j}.tool_use.input: Input should be a valid dictionary`;
    }
    const uses = blocksOf(m)
      .filter((b) => b.type === 'tool_use')
      .map((b) => b.id);
    if (m.role !== 'assistant' || uses.length === 0) continue;
    const answered = new Set(
      blocksOf(messages[i + 1] ?? { role: 'user', content: [] })
        .filter((b) => b.type === 'tool_result')
        .map((b) => b.tool_use_id),
    );
    const missing = uses.filter((id) => !answered.has(id));
    if (missing.length > 0)
      return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
  }
  return undefined;
}

function errorType(status: number): string {
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  return 'invalid_request_error';
}

function sse(res: ServerResponse, event: string, data: Record<string, unknown>): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
}

async function reply(res: ServerResponse, answer: FakeReply, body: Record<string, unknown>, n: number) {
  const id = `msg_fake_${n}`;
  const model = answer.model ?? String(body.model);
  // `usage.input` is the whole prompt; Anthropic reports the cached parts (read, written) apart from
  // input_tokens, and splits the written part by the cache's lifetime in cache_creation.
  const cacheRead = answer.usage?.cacheRead ?? 0;
  const written5m = answer.usage?.cacheWrite5m ?? 0;
  const written1h = answer.usage?.cacheWrite1h ?? 0;
  const usage = {
    input_tokens: (answer.usage?.input ?? 25) - cacheRead - written5m - written1h,
    cache_creation_input_tokens: written5m + written1h,
    cache_read_input_tokens: cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: written5m, ephemeral_1h_input_tokens: written1h },
  };
  const output = answer.usage?.output ?? 10;
  const calls = (answer.calls ?? []).map((c, i) => ({
    id: `toolu_${n}_${i}`,
    name: c.name,
    input: c.input ?? {},
    json: c.rawInput ?? JSON.stringify(c.input ?? {}),
  }));
  const stopReason = answer.maxTokens
    ? 'max_tokens'
    : answer.refusal
      ? 'refusal'
      : calls.length > 0
        ? 'tool_use'
        : 'end_turn';

  if (body.stream !== true) {
    const content: unknown[] = [];
    if (answer.text) content.push({ type: 'text', text: answer.text });
    for (const c of calls) content.push({ type: 'tool_use', id: c.id, name: c.name, input: c.input });
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_fake_${n}` });
    res.end(
      JSON.stringify({
        id,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { ...usage, output_tokens: output },
      }),
    );
    return;
  }

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': `req_fake_${n}`,
  });
  sse(res, 'message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  if (answer.stall) return forever();
  sse(res, 'ping', {});
  let index = 0;
  if (answer.text) {
    sse(res, 'content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (const p of pieces(answer.text, 3))
      sse(res, 'content_block_delta', { index, delta: { type: 'text_delta', text: p } });
    sse(res, 'content_block_stop', { index });
    index++;
  }
  if (breakOff(res, answer.cut)) return;
  for (const c of calls) {
    sse(res, 'content_block_start', {
      index,
      content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} },
    });
    // The real API opens with an empty partial_json, then sends the arguments in several pieces.
    for (const p of ['', ...pieces(c.json, 4)])
      sse(res, 'content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: p } });
    sse(res, 'content_block_stop', { index });
    index++;
  }
  if (answer.streamError) {
    // Anthropic may send an error event inside a 200 stream (overloaded_error under load).
    sse(res, 'error', { error: answer.streamError });
    res.end();
    return;
  }
  sse(res, 'message_delta', {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: output },
  });
  sse(res, 'message_stop', {});
  res.end();
}

/**
 * Starts the fake on 127.0.0.1 (free port). `url` is what ANTHROPIC_BASE_URL holds (no `/v1`).
 *
 * @example
 * const fake = await startFakeAnthropic();
 * fake.enqueue({ calls: [{ name: 'fs_read', input: { path: 'a' } }] }, { text: 'done' });
 */
export function startFakeAnthropic(options?: FakeOptions): Promise<FakeServer> {
  return startFakeServer(
    {
      isEndpoint: (pathname) => pathname === '/v1/messages',
      basePath: '',
      errorBody: (status, message, type) => ({
        type: 'error',
        error: { type: type ?? errorType(status), message },
      }),
      invalid,
      reply,
      read,
    },
    options,
  );
}
