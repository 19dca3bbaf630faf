// One streamed request to a provider: the POST, its HTTP failure read into an APICallError (status, headers,
// the provider's message and body, whether a retry may help), and the event stream fed to the protocol's
// reader. APICallError is @ai-sdk/provider's, so failure.ts classifies these exactly as it did the
// AI SDK providers' errors.
import { APICallError } from '@ai-sdk/provider';
import { isRetryableStatus } from '../http-retry.js';
import type { CollectedTurn } from './collect.js';
import type { WireProtocol, WireRequest } from './protocol.js';
import { eventParser } from './sse.js';

/** The provider's own message in an error body (`{ error: { message } }` on both APIs), else the body. */
function errorMessage(text: string, status: number, statusText: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown }; message?: unknown };
    const message = body.error?.message ?? body.message;
    if (typeof message === 'string') return message;
  } catch {
    // Not JSON (a proxy's HTML page): the text itself says most.
  }
  return text.trim() === '' ? statusText || `HTTP ${status}` : text.slice(0, 500);
}

/** undici's "fetch failed" hides why in its cause: ` (ECONNREFUSED)` and the like. */
function networkCode(err: unknown): string {
  const code = (err as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}

export async function streamTurn(
  protocol: WireProtocol,
  input: WireRequest,
  signal: AbortSignal,
  fetchImpl: typeof globalThis.fetch,
): Promise<CollectedTurn> {
  const body = JSON.stringify(protocol.body(input));
  let res: Response;
  try {
    res = await fetchImpl(protocol.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...protocol.headers },
      body,
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw err;
    // No HTTP answer at all (refused, reset, DNS): worth another attempt.
    throw new APICallError({
      message: `Cannot connect to API at ${protocol.url}: ${(err as Error)?.message ?? String(err)}${networkCode(err)}`,
      url: protocol.url,
      requestBodyValues: undefined,
      cause: err,
      isRetryable: true,
    });
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key] = value;
    });
    throw new APICallError({
      message: errorMessage(text, res.status, res.statusText),
      url: protocol.url,
      requestBodyValues: undefined,
      statusCode: res.status,
      responseHeaders: headers,
      responseBody: text,
      isRetryable: isRetryableStatus(res.status),
    });
  }
  if (!res.body)
    throw new APICallError({
      message: 'empty response body',
      url: protocol.url,
      requestBodyValues: undefined,
    });
  const reader = protocol.reader(input.names);
  const parser = eventParser((name, data) => reader.event(name, data));
  // The body's own reader, not its async iterator wrapped in a generator: two fewer promise hops per chunk
  // on every streamed turn. Only an error from reading the body is a dropped connection; one the parser or
  // the protocol's reader throws on a malformed event (a TypeError too, at times) is the answer's fault and
  // keeps its own classification.
  const chunks = res.body.getReader();
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof chunks.read>>;
      try {
        next = await chunks.read();
      } catch (err) {
        if (signal.aborted) throw err;
        // The connection dropped mid-stream (undici's "terminated", "other side closed"): the answer is
        // lost, another attempt may get it whole.
        throw new APICallError({
          message: `the connection dropped while the answer streamed: ${(err as Error)?.message ?? String(err)}`,
          url: protocol.url,
          requestBodyValues: undefined,
          cause: err,
          isRetryable: true,
        });
      }
      if (next.done) break;
      parser.push(next.value);
    }
    parser.end();
  } catch (err) {
    // As a for-await loop would on a throw: the rest of the body is not wanted, its connection is let go.
    chunks.cancel().catch(() => {});
    throw err;
  }
  return reader.finish();
}
