// What the fake LLM servers (fake-anthropic.ts, fake-openai.ts, and later a Responses API fake) have in
// common: a loopback HTTP server, the per-test queue of answers, the record of what was received, and a
// protocol-neutral reading of a received request, so one contract suite (test/contract/model.ts) can check
// any provider's wire format. Each protocol file only turns an answer into its own bytes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A scripted model answer, in provider-neutral terms. */
export interface FakeReply {
  text?: string;
  /** Provider-side tool names (e.g. `fs_read`), as the model would emit them. Several = parallel calls. */
  calls?: {
    name: string;
    input?: unknown /** Sent instead of JSON.stringify(input), e.g. broken JSON. */;
    rawInput?: string;
  }[];
  /**
   * `input` is the whole prompt, cached part included; `cacheRead` is the cached part. Anthropic only:
   * `cacheWrite5m` and `cacheWrite1h` the parts written to the 5-minute and the 1-hour prompt cache.
   */
  usage?: {
    input?: number;
    output?: number;
    cacheRead?: number;
    cacheWrite5m?: number;
    cacheWrite1h?: number;
  };
  /** Stop because the output token limit was hit (Anthropic `max_tokens`, OpenAI `length`). */
  maxTokens?: boolean;
  /** Anthropic only: stop with the `refusal` stop reason (the model declined). */
  refusal?: boolean;
  /** Ends the stream with the provider's in-stream error event after `text`, instead of finishing. */
  streamError?: { type: string; message: string };
  /** Waits this long before answering at all. */
  delayMs?: number;
  /**
   * Takes this long to answer: the headers go at once, the body (SSE events or JSON) in five pieces, one
   * every fifth of the time, the last at `spreadMs`: a model that streams its answer over that time.
   */
  spreadMs?: number;
  /** Sends the first event of the stream, then nothing more (until the server closes). */
  stall?: boolean;
  /**
   * Breaks the stream off after the text (before any end event): `end` ends the HTTP response cleanly,
   * `reset` destroys the connection.
   */
  cut?: 'end' | 'reset';
  /** The model id reported back; default: the one requested. */
  model?: string;
  /**
   * Sends this text as the whole 200 event stream, then ends the response cleanly: a stream cut inside an
   * event, or the shapes a gateway sends that the fake does not make itself.
   */
  raw?: string;
}

/** A scripted HTTP error, in the provider's JSON error shape. */
export interface FakeError {
  status: number;
  /** `retry-after` header, in seconds. */
  retryAfter?: number;
  /** `retry-after-ms` header. */
  retryAfterMs?: number;
  message?: string;
  /** The provider's error type; default: the one the provider uses for this status. */
  type?: string;
}

export type FakeAnswer = FakeReply | FakeError;
/** An answer, or a function of the request that makes one (to answer depending on what was sent). */
export type FakeScript = FakeAnswer | ((request: FakeRequest) => FakeAnswer);

export interface FakeRequest {
  method: string;
  /** Path and query as received, e.g. `/v1/messages?beta=true`. */
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** A received request, read the same way whatever the provider. */
export interface ReceivedTurn {
  /** The credential the client sent (x-api-key or the bearer token). */
  apiKey: string | undefined;
  /** Tool names offered to the model. */
  toolNames: string[];
  /** Tool calls of earlier assistant turns, in order. */
  toolCalls: { id: string; name: string; input: unknown }[];
  /** Tool results sent back, in order; `isError` where the protocol has such a flag. */
  toolResults: { callId: string; content: string; isError?: boolean | undefined }[];
  /** The JSON Schema sent as the provider's structured-output setting, if any. */
  outputSchema: unknown;
}

export interface FakeServer {
  /** Base URL, as the provider's `*_BASE_URL` variable would hold it. */
  url: string;
  /** Every request the model endpoint received, in order. */
  requests: FakeRequest[];
  /** Queues answers for the next requests; with the queue empty, the server answers the text "ok". */
  enqueue(...answers: FakeScript[]): void;
  /** How many queued answers are still unused. */
  remaining(): number;
  read(request: FakeRequest): ReceivedTurn;
  close(): Promise<void>;
}

export interface FakeOptions {
  /**
   * Rejects requests the real API would reject (bad tool names, a tool call without its result, ...) with the
   * real API's 400. Default true.
   */
  validate?: boolean;
}

/** The parts a protocol supplies to startFakeServer. */
export interface FakeProtocol {
  /** Whether this pathname is the model endpoint (other paths get the provider's 404). */
  isEndpoint(pathname: string): boolean;
  /** The path appended to the origin to make `url`, e.g. `/v1` for OpenAI, nothing for Anthropic. */
  basePath: string;
  /** The provider's JSON error body. */
  errorBody(status: number, message: string, type: string | undefined): unknown;
  /** A 400 message when the request breaks a rule of the real API, else undefined. */
  invalid(body: Record<string, unknown>): string | undefined;
  /** Writes a whole successful answer (streamed or not, as the request asked). `n` numbers the answer. */
  reply(res: ServerResponse, answer: FakeReply, body: Record<string, unknown>, n: number): Promise<void>;
  read(request: FakeRequest): ReceivedTurn;
}

/** n copies of an answer: `enqueue(...times(3, { status: 429, retryAfter: 0 }), { text: 'ok' })`. */
export function times(n: number, answer: FakeAnswer): FakeAnswer[] {
  return Array.from({ length: n }, () => ({ ...answer }));
}

/** Splits a string into n roughly equal pieces, as a streaming API would. */
export function pieces(text: string, n: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

/** Never settles: a stalled stream stays open until the server closes its connections. */
export const forever = (): Promise<never> => new Promise<never>(() => {});

/** Breaks a response off as `cut` says; true when it did (the protocol then writes nothing more). */
export function breakOff(res: ServerResponse, cut: FakeReply['cut']): boolean {
  if (cut === 'end') res.end();
  else if (cut === 'reset') res.socket?.destroy();
  return cut !== undefined;
}

/**
 * What the real APIs say about a structured-output schema they cannot enforce: every object must be closed
 * (`additionalProperties: false`), and with `allRequired` (OpenAI's strict mode) list every property as
 * required. Undefined when the schema is acceptable.
 */
export function schemaProblem(schema: unknown, allRequired: boolean, where = '(root)'): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const s = schema as Record<string, unknown>;
  if (s.type === 'object') {
    if (s.additionalProperties !== false)
      return `${where}: 'additionalProperties' is required to be supplied and to be false`;
    const required = new Set((s.required ?? []) as string[]);
    const missing = Object.keys((s.properties ?? {}) as object).find((p) => !required.has(p));
    if (allRequired && missing)
      return `${where}: 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'`;
  }
  for (const [key, child] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
    const problem = schemaProblem(child, allRequired, `${where}.${key}`);
    if (problem) return problem;
  }
  if (s.items) return schemaProblem(s.items, allRequired, `${where}[]`);
  return undefined;
}

const SPREAD_PIECES = 5;

/**
 * Holds what the protocol writes to `res` and sends it in SPREAD_PIECES pieces over `ms` instead. The
 * pieces are cut by length, not at event boundaries, as a real network may cut them.
 */
function spread(res: ServerResponse, ms: number): void {
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  const held: string[] = [];
  const hold = (chunk: unknown) => {
    if (typeof chunk === 'string') held.push(chunk);
    else if (chunk instanceof Uint8Array) held.push(Buffer.from(chunk).toString('utf8'));
  };
  res.write = ((chunk: unknown) => {
    hold(chunk);
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown) => {
    hold(chunk);
    res.flushHeaders();
    const whole = held.join('');
    const size = Math.ceil(whole.length / SPREAD_PIECES);
    // Each piece schedules the next: timers of different lengths can fire out of order on a busy loop.
    const send = (i: number) => {
      if (res.destroyed) return;
      const piece = whole.slice(i * size, (i + 1) * size);
      if (i === SPREAD_PIECES - 1) end(piece);
      else {
        write(piece);
        setTimeout(() => send(i + 1), ms / SPREAD_PIECES);
      }
    };
    setTimeout(() => send(0), ms / SPREAD_PIECES);
    return res;
  }) as typeof res.end;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Starts a fake provider on a free loopback port. */
export async function startFakeServer(
  protocol: FakeProtocol,
  options: FakeOptions = {},
): Promise<FakeServer> {
  const validate = options.validate ?? true;
  const queue: FakeScript[] = [];
  const requests: FakeRequest[] = [];
  let answered = 0;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method !== 'POST' || !protocol.isEndpoint(url.pathname)) {
      sendJson(
        res,
        404,
        protocol.errorBody(404, `no route ${req.method} ${url.pathname}`, 'not_found_error'),
      );
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      sendJson(res, 400, protocol.errorBody(400, 'the request body is not valid JSON', undefined));
      return;
    }
    const request: FakeRequest = { method: req.method, path: req.url ?? '/', headers: req.headers, body };
    requests.push(request);
    const invalid = validate ? protocol.invalid(body) : undefined;
    if (invalid) {
      sendJson(res, 400, protocol.errorBody(400, invalid, undefined));
      return;
    }
    const next = queue.shift() ?? { text: 'ok' };
    const answer = typeof next === 'function' ? next(request) : next;
    if ('status' in answer) {
      const headers: Record<string, string> = {};
      if (answer.retryAfter !== undefined) headers['retry-after'] = String(answer.retryAfter);
      if (answer.retryAfterMs !== undefined) headers['retry-after-ms'] = String(answer.retryAfterMs);
      const message = answer.message ?? `fake ${answer.status}`;
      sendJson(res, answer.status, protocol.errorBody(answer.status, message, answer.type), headers);
      return;
    }
    if (answer.delayMs) await sleep(answer.delayMs);
    if (res.destroyed) return;
    if (answer.spreadMs) spread(res, answer.spreadMs);
    if (answer.raw !== undefined) {
      ++answered;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(answer.raw);
      return;
    }
    await protocol.reply(res, answer, body, ++answered);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${protocol.basePath}`,
    requests,
    enqueue: (...answers) => {
      queue.push(...answers);
    },
    remaining: () => queue.length,
    read: protocol.read,
    // Drops open (stalled) streams, so closing never waits for them.
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
