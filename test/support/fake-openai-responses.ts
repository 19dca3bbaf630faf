// A local server speaking the OpenAI Responses API (`POST /v1/responses`): SSE streaming with the real event
// sequence (response.created, output_item.added, output_text.delta, function_call_arguments.delta,
// output_item.done, response.completed / response.incomplete with usage), plain JSON when `stream` is not
// set, errors in OpenAI's shape. Each test scripts its answers.
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

/** An item of the request's `input` list: a message (role + content) or a function call / its output. */
interface InputItem {
  type?: string;
  role?: string;
  content?: unknown;
  call_id?: string;
  name?: string;
  arguments?: unknown;
  output?: unknown;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return (value as { text?: string }[]).map((p) => p.text ?? '').join('');
  return JSON.stringify(value);
}

/** Reads a Responses request body: tools offered, earlier function_call items, function_call_output items. */
function read(request: FakeRequest): ReceivedTurn {
  const input = (Array.isArray(request.body.input) ? request.body.input : []) as InputItem[];
  const auth = request.headers.authorization;
  return {
    apiKey: auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined,
    toolNames: ((request.body.tools ?? []) as { name: string }[]).map((t) => t.name),
    toolCalls: input
      .filter((i) => i.type === 'function_call')
      .map((i) => ({ id: i.call_id ?? '', name: i.name ?? '', input: JSON.parse(String(i.arguments)) })),
    toolResults: input
      .filter((i) => i.type === 'function_call_output')
      .map((i) => ({ callId: i.call_id ?? '', content: textOf(i.output) })),
    outputSchema: (request.body.text as { format?: { schema?: unknown } } | undefined)?.format?.schema,
  };
}

/** The checks of the real API that an adapter is most likely to get wrong, with its messages. */
function invalid(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== 'string') return "Missing required parameter: 'model'.";
  const input = body.input;
  if (typeof input !== 'string' && (!Array.isArray(input) || input.length === 0))
    return "Invalid 'input': expected a string or a non-empty array of input items.";
  for (const [i, tool] of ((body.tools ?? []) as { type?: string; name?: string }[]).entries()) {
    if (tool.type === 'function' && !TOOL_NAME.test(tool.name ?? ''))
      return `Invalid 'tools[${i}].name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`;
  }
  const format = (body.text as { format?: Record<string, unknown> } | undefined)?.format;
  if (format?.type === 'json_schema') {
    if (typeof format.name !== 'string') return "Missing required parameter: 'text.format.name'.";
    if (typeof format.schema !== 'object' || format.schema === null)
      return "Missing required parameter: 'text.format.schema'.";
    const problem = format.strict === true ? schemaProblem(format.schema, true) : undefined;
    if (problem) return `Invalid schema for response_format '${format.name}': ${problem}`;
  }
  if (!Array.isArray(input)) return undefined;
  const items = input as InputItem[];
  const calls = new Set<string>();
  for (const [i, item] of items.entries()) {
    if (item.type === 'function_call') {
      if (typeof item.arguments !== 'string')
        return `Invalid type for 'input[${i}].arguments': expected a string, but got ${typeof item.arguments} instead.`;
      calls.add(item.call_id ?? '');
    }
    if (item.type === 'function_call_output') {
      if (!calls.has(item.call_id ?? ''))
        return `No tool call found for function call output with call_id ${item.call_id}.`;
    }
    if (item.role === 'assistant' && Array.isArray(item.content) && item.content.length === 0)
      return `Invalid 'input[${i}].content': empty array. Expected an array with minimum length 1.`;
  }
  const answered = new Set(items.filter((i) => i.type === 'function_call_output').map((i) => i.call_id));
  const unanswered = [...calls].find((id) => !answered.has(id));
  if (unanswered !== undefined) return `No tool output found for function call ${unanswered}.`;
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
  const id = `resp_fake${n}`;
  const model = answer.model ?? String(body.model);
  const created = Math.floor(Date.now() / 1000);
  // input_tokens counts the cached part too; input_tokens_details.cached_tokens says how much was cached.
  const input = answer.usage?.input ?? 25;
  const outputTokens = answer.usage?.output ?? 10;
  const usage = {
    input_tokens: input,
    input_tokens_details: { cached_tokens: answer.usage?.cacheRead ?? 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + outputTokens,
  };
  const message = answer.text
    ? {
        id: `msg_fake${n}`,
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: answer.text, annotations: [] }],
      }
    : undefined;
  const calls = (answer.calls ?? []).map((c, i) => ({
    id: `fc_fake${n}_${i}`,
    type: 'function_call',
    status: 'completed',
    call_id: `call_${n}_${i}`,
    name: c.name,
    arguments: c.rawInput ?? JSON.stringify(c.input ?? {}),
  }));
  const output = [...(message ? [message] : []), ...calls];
  const incomplete = answer.maxTokens === true;
  const response = (status: string, out: unknown[], u: unknown) => ({
    id,
    object: 'response',
    created_at: created,
    status,
    model,
    output: out,
    usage: u,
    incomplete_details: incomplete && status !== 'in_progress' ? { reason: 'max_output_tokens' } : null,
    error: null,
    parallel_tool_calls: true,
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    store: body.store ?? true,
  });

  if (body.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_fake_${n}` });
    res.end(JSON.stringify(response(incomplete ? 'incomplete' : 'completed', output, usage)));
    return;
  }

  let seq = 0;
  const event = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': `req_fake_${n}`,
  });
  event('response.created', { response: response('in_progress', [], null) });
  if (answer.stall) return forever();
  event('response.in_progress', { response: response('in_progress', [], null) });
  let index = 0;
  if (message) {
    const item = { id: message.id, output_index: index, content_index: 0 };
    event('response.output_item.added', {
      output_index: index,
      item: { ...message, status: 'in_progress', content: [] },
    });
    event('response.content_part.added', {
      ...item,
      part: { type: 'output_text', text: '', annotations: [] },
    });
    for (const p of pieces(answer.text ?? '', 3))
      event('response.output_text.delta', { ...item, item_id: message.id, delta: p, logprobs: [] });
    if (breakOff(res, answer.cut)) return;
    event('response.output_text.done', { ...item, item_id: message.id, text: answer.text, logprobs: [] });
    event('response.content_part.done', { ...item, part: message.content[0] });
    event('response.output_item.done', { output_index: index, item: message });
    index++;
  } else if (breakOff(res, answer.cut)) return;
  if (answer.streamError) {
    // The Responses API's in-stream error event: code and message at the top level.
    event('error', { code: answer.streamError.type, message: answer.streamError.message, param: null });
    res.end();
    return;
  }
  // Parallel calls: each is its own output item; its arguments follow in several deltas.
  for (const c of calls) {
    event('response.output_item.added', {
      output_index: index,
      item: { ...c, status: 'in_progress', arguments: '' },
    });
    for (const a of pieces(c.arguments, 3))
      event('response.function_call_arguments.delta', { item_id: c.id, output_index: index, delta: a });
    event('response.function_call_arguments.done', {
      item_id: c.id,
      output_index: index,
      arguments: c.arguments,
    });
    event('response.output_item.done', { output_index: index, item: c });
    index++;
  }
  const final = incomplete ? 'incomplete' : 'completed';
  event(`response.${final}`, { response: response(final, output, usage) });
  res.end();
}

/**
 * Starts the fake on 127.0.0.1 (free port). `url` is what OPENAI_BASE_URL holds (with `/v1`).
 *
 * @example
 * const fake = await startFakeOpenAIResponses();
 * fake.enqueue({ calls: [{ name: 'fs_read', input: { path: 'a' } }] }, { text: 'done' });
 */
export function startFakeOpenAIResponses(options?: FakeOptions): Promise<FakeServer> {
  return startFakeServer(
    {
      isEndpoint: (pathname) => pathname === '/v1/responses',
      basePath: '/v1',
      errorBody: (status, message, type) => ({ error: { message, param: null, ...errorKind(status, type) } }),
      invalid,
      reply,
      read,
    },
    options,
  );
}
