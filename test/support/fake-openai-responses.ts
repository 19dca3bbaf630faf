// A local server speaking the OpenAI Responses API (`POST /v1/responses`), as the Codex CLI uses it through a
// custom `model_providers` entry (`wire_api = "responses"`): SSE with response.created,
// response.output_item.added, response.output_text.delta / response.function_call_arguments.delta,
// response.output_item.done and response.completed (with usage); plain JSON when `stream` is not set.
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
  startFakeServer,
} from './fake-llm.js';

export type { FakeAnswer, FakeReply, FakeRequest, FakeServer } from './fake-llm.js';

interface InputItem {
  type?: string;
  role?: string;
  call_id?: string;
  name?: string;
  arguments?: string;
  output?: unknown;
}

function parseArgs(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '{}');
  } catch {
    return text;
  }
}

/** Reads a Responses request body: tools offered, earlier function_call items, function_call_output items. */
function read(request: FakeRequest): ReceivedTurn {
  const body = request.body;
  const input = Array.isArray(body.input) ? (body.input as InputItem[]) : [];
  const auth = request.headers.authorization;
  return {
    apiKey: auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined,
    toolNames: ((body.tools ?? []) as { name?: string; type?: string }[]).map((t) => t.name ?? t.type ?? ''),
    toolCalls: input
      .filter((i) => i.type === 'function_call')
      .map((i) => ({ id: i.call_id ?? '', name: i.name ?? '', input: parseArgs(i.arguments) })),
    toolResults: input
      .filter((i) => i.type === 'function_call_output')
      .map((i) => ({
        callId: i.call_id ?? '',
        content: typeof i.output === 'string' ? i.output : JSON.stringify(i.output),
      })),
  };
}

/** The checks of the real API most likely to catch a client bug. */
function invalid(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== 'string') return "Missing required parameter: 'model'.";
  if (body.input === undefined) return "Missing required parameter: 'input'.";
  const input = Array.isArray(body.input) ? (body.input as InputItem[]) : [];
  const calls = new Set(input.filter((i) => i.type === 'function_call').map((i) => i.call_id));
  for (const i of input) {
    if (i.type === 'function_call_output' && !calls.has(i.call_id))
      return `No tool call found for function call output with call_id ${i.call_id}.`;
  }
  return undefined;
}

function errorType(status: number): string {
  if (status === 429) return 'rate_limit_exceeded';
  if (status >= 500) return 'server_error';
  if (status === 401) return 'invalid_api_key';
  return 'invalid_request_error';
}

function sse(res: ServerResponse, type: string, data: Record<string, unknown>, seq: { n: number }): void {
  res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq.n++, ...data })}\n\n`);
}

async function reply(res: ServerResponse, answer: FakeReply, body: Record<string, unknown>, n: number) {
  const id = `resp_fake_${n}`;
  const model = answer.model ?? String(body.model);
  const cached = answer.usage?.cacheRead ?? 0;
  const usage = {
    input_tokens: answer.usage?.input ?? 25,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: answer.usage?.output ?? 10,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: (answer.usage?.input ?? 25) + (answer.usage?.output ?? 10),
  };
  const message = answer.text
    ? {
        type: 'message',
        id: `msg_fake_${n}`,
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: answer.text, annotations: [] }],
      }
    : undefined;
  const calls = (answer.calls ?? []).map((c, i) => ({
    type: 'function_call',
    id: `fc_fake_${n}_${i}`,
    call_id: `call_${n}_${i}`,
    name: c.name,
    arguments: c.rawInput ?? JSON.stringify(c.input ?? {}),
    status: 'completed',
  }));
  const output = [...(message ? [message] : []), ...calls];
  const response = (status: string, out: unknown[]) => ({
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    model,
    output: out,
    ...(status === 'completed' ? { usage } : {}),
  });

  if (body.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(response('completed', output)));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const seq = { n: 0 };
  sse(res, 'response.created', { response: response('in_progress', []) }, seq);
  if (answer.stall) return forever();
  let index = 0;
  if (message) {
    sse(
      res,
      'response.output_item.added',
      {
        output_index: index,
        item: { ...message, status: 'in_progress', content: [] },
      },
      seq,
    );
    for (const p of pieces(answer.text ?? '', 3))
      sse(
        res,
        'response.output_text.delta',
        { item_id: message.id, output_index: index, content_index: 0, delta: p },
        seq,
      );
    sse(res, 'response.output_item.done', { output_index: index, item: message }, seq);
    index++;
  }
  if (breakOff(res, answer.cut)) return;
  for (const c of calls) {
    sse(
      res,
      'response.output_item.added',
      {
        output_index: index,
        item: { ...c, arguments: '', status: 'in_progress' },
      },
      seq,
    );
    for (const p of pieces(c.arguments, 3))
      sse(
        res,
        'response.function_call_arguments.delta',
        { item_id: c.id, output_index: index, delta: p },
        seq,
      );
    sse(res, 'response.output_item.done', { output_index: index, item: c }, seq);
    index++;
  }
  if (answer.streamError) {
    sse(
      res,
      'response.failed',
      {
        response: {
          ...response('failed', output),
          error: { code: answer.streamError.type, message: answer.streamError.message },
        },
      },
      seq,
    );
    res.end();
    return;
  }
  sse(res, 'response.completed', { response: response('completed', output) }, seq);
  res.end();
}

/**
 * Starts the fake on 127.0.0.1 (free port). `url` is what OPENAI_BASE_URL holds (ends in `/v1`).
 *
 * @example
 * const fake = await startFakeResponses();
 * fake.enqueue({ calls: [{ name: 'exec_command', input: { cmd: 'cat a.txt' } }] }, { text: 'done' });
 */
export function startFakeResponses(options?: FakeOptions): Promise<FakeServer> {
  return startFakeServer(
    {
      isEndpoint: (pathname) => pathname === '/v1/responses',
      basePath: '/v1',
      errorBody: (status, message, type) => ({
        error: { message, type: type ?? errorType(status), param: null, code: null },
      }),
      invalid,
      reply,
      read,
    },
    options,
  );
}
