// One streamed request to a provider: the POST, its HTTP failure read into an APICallError (status, headers,
// the provider's message and body, whether a retry may help), and the event stream fed to the protocol's
// reader. APICallError is @ai-sdk/provider's, so failure.ts classifies these exactly as it did the
// AI SDK providers' errors.
import { APICallError } from '@ai-sdk/provider';
import { syntaxErrorWithoutQuote } from '../../json-syntax-error.js';
import { isRetryableStatus } from '../http-retry.js';
import type { CollectedTurn } from './collect.js';
import { shownUrl } from './endpoint.js';
import { PROVIDER_MESSAGE_CHARS, redactedExcerpt, secretReach } from './failure.js';
import { httpPost, type PostAnswer } from './http-post.js';
import type { WireProtocol, WireRequest } from './protocol.js';
import { byteBudget, ResponseTooLarge } from './response-size.js';
import { eventParser } from './sse.js';

/** How much of an error body that is not JSON (a proxy's HTML page) a failure quotes. */
const BODY_CHARS = 500;

/**
 * The provider's own message in an error body (`{ error: { message } }` on both APIs), else the body's start:
 * redacted before it is cut (failure.ts), so a key straddling the cut is not half kept.
 */
function errorMessage(
  text: string,
  status: number,
  statusText: string,
  secret: string | undefined,
  maxChars: number,
): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown }; message?: unknown };
    const message = body.error?.message ?? body.message;
    if (typeof message === 'string')
      return redactedExcerpt(message, secret, PROVIDER_MESSAGE_CHARS, 'say how much was cut');
  } catch {
    // Not JSON (a proxy's HTML page): the text itself says most.
  }
  return text.trim() === '' ? statusText || `HTTP ${status}` : redactedExcerpt(text, secret, maxChars);
}

/** How much of a body's start is shown when it turns out not to be an event stream. */
const HEAD_CHARS = 300;

/**
 * Whether a body in which no event was found is something else than an event stream: its first line is not
 * an SSE field or comment. An empty body, or one of keep-alive comments only, is a stream cut off instead.
 */
function notAnEventStream(head: string): boolean {
  return head.trim() !== '' && !/^\s*(:|(data|event|id|retry)(:|\s*$))/.test(head);
}

/** undici's "fetch failed" hides why in its cause: ` (ECONNREFUSED)` and the like (node:http's says it). */
function networkCode(err: unknown): string {
  const code = (err as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}

/** The answer of a `fetch` from the model's settings, in the shape post.ts reads. */
async function viaFetch(
  fetchImpl: typeof globalThis.fetch,
  url: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<PostAnswer> {
  const res = await fetchImpl(url, { method: 'POST', headers, body, signal });
  const flat: Record<string, string> = {};
  res.headers.forEach((value, key) => {
    flat[key] = value;
  });
  const stream = res.body;
  return {
    status: res.status,
    statusText: res.statusText,
    headers: flat,
    body: stream as unknown as AsyncIterable<Uint8Array> | null,
    text: () => res.text(),
  };
}

/**
 * An error answer's body as text, its bytes counted against the turn's budget (which throws past it, the
 * connection let go). A body whose connection drops meanwhile is read as far as it came.
 */
async function cappedText(res: PostAnswer, budget: { add(bytes: number): void }): Promise<string> {
  if (!res.body) return res.text().catch(() => '');
  const parts: Buffer[] = [];
  const chunks = res.body[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done) break;
      budget.add(next.value.byteLength);
      parts.push(Buffer.from(next.value));
    }
  } catch (err) {
    chunks.return?.()?.catch(() => {});
    if (err instanceof ResponseTooLarge) throw err;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The request sent; its body string lives in this frame only, not across the turn's awaits. */
function post(
  protocol: WireProtocol,
  input: WireRequest,
  signal: AbortSignal,
  fetchImpl: typeof globalThis.fetch | undefined,
): Promise<PostAnswer> {
  const body = JSON.stringify(protocol.body(input));
  const headers = { 'content-type': 'application/json', ...protocol.headers };
  return fetchImpl
    ? viaFetch(fetchImpl, protocol.url, headers, body, signal)
    : httpPost(protocol.url, headers, body, signal);
}

export async function streamTurn(
  protocol: WireProtocol,
  input: WireRequest,
  signal: AbortSignal,
  /** A fetch from the model's settings (a proxy agent, a test's recorder); without one, node:http(s). */
  fetchImpl: typeof globalThis.fetch | undefined,
  /** The most bytes the answer may have (response-size.ts); past it, ResponseTooLarge. */
  maxBytes: number,
  /** The API key, redacted from a quoted body before it is cut (failure.ts redacts the rest). */
  secret?: string | undefined,
): Promise<CollectedTurn> {
  // Outside the try: a request that cannot be built is not a connection failure.
  const sent = post(protocol, input, signal, fetchImpl);
  // What errors show: a base URL's `user:password@` stays out of them.
  const url = shownUrl(protocol.url);
  let res: PostAnswer;
  try {
    res = await sent;
  } catch (err) {
    if (signal.aborted) throw err;
    // No HTTP answer at all (refused, reset, DNS): worth another attempt.
    throw new APICallError({
      message: `Cannot connect to API at ${url}: ${(err as Error)?.message ?? String(err)}${networkCode(err)}`,
      url,
      requestBodyValues: undefined,
      cause: err,
      isRetryable: true,
    });
  }
  // Every byte of the answer counts, an error body's too: read whole, a giant one grew memory without bound.
  const budget = byteBudget(maxBytes);
  if (res.status < 200 || res.status > 299) {
    const text = await cappedText(res, budget);
    throw new APICallError({
      message: errorMessage(text, res.status, res.statusText, secret, BODY_CHARS),
      url,
      requestBodyValues: undefined,
      statusCode: res.status,
      responseHeaders: res.headers,
      responseBody: text,
      isRetryable: isRetryableStatus(res.status),
    });
  }
  if (!res.body)
    throw new APICallError({
      message: 'empty response body',
      url,
      requestBodyValues: undefined,
    });
  const source = res.body;
  const reader = protocol.reader(input.names);
  // The body's start, kept until the first event: a 200 that is no event stream at all (a gateway's HTML login
  // page, a JSON error or a whole answer from a server that ignored `stream`) is told apart from a cut-off one.
  // Kept as bytes, as they came, and decoded once: past the HEAD_CHARS shown, far enough for the longest
  // form of the key that starts inside them to be seen whole by redaction (4 bytes a character at most).
  const headBytes = 4 * (HEAD_CHARS + secretReach(secret));
  const headParts: Uint8Array[] = [];
  let headLength = 0;
  let events = 0;
  const parser = eventParser((name, data) => {
    events++;
    try {
      reader.event(name, data);
    } catch (err) {
      // JSON.parse's own message ("Expected property name … at position 1") does not say what was being
      // parsed: the failed run's error then read like nightshift's bug rather than the provider's answer.
      // The event itself is not quoted: it holds model-written text (an answer, a call's arguments), and a
      // cut excerpt of it can hold a piece of a secret that redaction, which knows whole values, misses.
      if (err instanceof SyntaxError)
        throw new SyntaxError(
          `the provider sent a stream event that is not JSON (${syntaxErrorWithoutQuote(err)}; ${data.length} characters)`,
        );
      // JSON of another shape (`null`, a field of the wrong type): "Cannot read properties of null" alone
      // read like nightshift's bug too. Still a TypeError: a malformed answer, not a dropped connection.
      if (err instanceof TypeError)
        throw new TypeError(
          `the provider sent a stream event of an unexpected shape (${err.message}; ${data.length} characters)`,
        );
      throw err;
    }
  });
  // The body's chunks pulled one by one and pushed into the parser, not a generator over them: fewer
  // promise hops per chunk on every streamed turn. Only an error from reading the body is a dropped
  // connection; one the parser or the protocol's reader throws on a malformed event (a TypeError too, at
  // times) is the answer's fault and keeps its own classification.
  const chunks = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await chunks.next();
      } catch (err) {
        if (signal.aborted) throw err;
        // The connection dropped mid-stream (undici's "terminated", "other side closed"): the answer is
        // lost, another attempt may get it whole.
        throw new APICallError({
          message: `the connection dropped while the answer streamed: ${(err as Error)?.message ?? String(err)}`,
          url,
          requestBodyValues: undefined,
          cause: err,
          isRetryable: true,
        });
      }
      if (next.done) break;
      budget.add(next.value.byteLength);
      if (events === 0 && headLength < headBytes) {
        const part = next.value.subarray(0, headBytes - headLength);
        headParts.push(Buffer.from(part));
        headLength += part.byteLength;
      }
      parser.push(next.value);
    }
    parser.end();
    const head = events === 0 ? Buffer.concat(headParts).toString('utf8') : '';
    if (events === 0 && notAnEventStream(head)) {
      const type = res.headers['content-type'] ?? 'none';
      throw new APICallError({
        message: `the answer is not a server-sent event stream (content-type ${type}): ${errorMessage(head, res.status, res.statusText, secret, HEAD_CHARS)}`,
        url,
        requestBodyValues: undefined,
        statusCode: res.status,
        responseHeaders: res.headers,
        responseBody: head,
        isRetryable: false,
      });
    }
  } catch (err) {
    // As a for-await loop would on a throw: the rest of the body is not wanted, its connection is let go.
    chunks.return?.()?.catch(() => {});
    throw err;
  }
  return reader.finish();
}
