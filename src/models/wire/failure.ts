// What went wrong with a provider request, read from what post.ts or a protocol's reader threw: the HTTP
// status and the provider's own error type and message, whether another attempt may help, and what the
// server asked us to wait. Keeps the credential out of everything it returns, in each of its encoded forms
// too (a gateway echoing the Authorization header base64-encoded, a URL with the key percent-encoded).
import { APICallError } from '@ai-sdk/provider';
import { encodedForms } from '../../secret-forms.js';
import { isRetryableStatus } from '../http-retry.js';
import { INCOMPLETE_STREAM, StreamError } from './collect.js';
import { ResponseTooLarge } from './response-size.js';

export interface Failure {
  /** Says what happened, without the provider and model (the caller adds those). */
  summary: string;
  status: number | undefined;
  /** The provider's error type, e.g. `rate_limit_error`, `overloaded_error`, `server_error`. */
  providerType: string | undefined;
  retryable: boolean;
  headers: Record<string, string> | undefined;
  /** The error to chain as the cause: the original, or a copy without the credential if it held it. */
  cause: unknown;
  /** The error code when it is not MODEL_ERROR: an answer over maxResponseBytes has its own. */
  code?: 'MODEL_RESPONSE_TOO_LARGE';
}

/**
 * Error types inside a 200 stream that mean transient trouble: the providers' (Anthropic sends overloaded_error
 * mid-stream under load) and ours for a stream cut off before its end event.
 */
const TRANSIENT_STREAM_ERROR = new RegExp(
  `overloaded|api_error|server_error|rate_limit|${INCOMPLETE_STREAM}`,
);

function errorField(body: unknown): { type?: unknown; code?: unknown; message?: unknown } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const inner = (body as { error?: unknown }).error;
  return typeof inner === 'object' && inner !== null ? inner : (body as Record<string, unknown>);
}

function providerErrorType(responseBody: string | undefined): string | undefined {
  if (!responseBody) return undefined;
  try {
    const e = errorField(JSON.parse(responseBody));
    // A Responses API error event is `{ type: 'error', code, message }`: there the code says what happened.
    if (e?.type === 'error' && typeof e.code === 'string') return e.code;
    return typeof e?.type === 'string' ? e.type : typeof e?.code === 'string' ? e.code : undefined;
  } catch {
    return undefined;
  }
}

/** The texts to scrub for a credential: the key as written, then each encoded form (secret-forms.ts). */
const formsOfSecret = new Map<string, readonly string[]>();
function secretTexts(secret: string): readonly string[] {
  let texts = formsOfSecret.get(secret);
  if (!texts) {
    texts = [secret, ...encodedForms(secret).map((form) => form.text)];
    // One entry per configured key: a process uses a handful.
    if (formsOfSecret.size > 64) formsOfSecret.clear();
    formsOfSecret.set(secret, texts);
  }
  return texts;
}

function carriesSecret(text: string, secret: string): boolean {
  return secretTexts(secret).some((form) => text.includes(form));
}

const REDACTED = '[redacted]';

export function redact(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 4) return text;
  let out = text;
  for (const form of secretTexts(secret)) out = out.split(form).join(REDACTED);
  return out;
}

/**
 * How many characters past an excerpt's end must be read for redact() to see whole every form of the secret
 * that starts inside it: the longest form. A key straddling the excerpt's end is otherwise not recognised,
 * and its start is kept.
 */
export function secretReach(secret: string | undefined): number {
  if (!secret || secret.length < 4) return 0;
  return Math.max(...secretTexts(secret).map((form) => form.length));
}

/**
 * At most `max` characters of `text`, redacted before it is cut (cut first, a key straddling the cut was not
 * recognised and its start was kept). A cut inside a `[redacted]` marker keeps the marker whole (`[reda` reads
 * like something else), and one between a surrogate pair keeps the pair. With `total`, a cut excerpt says how
 * many characters the text had, so it is not taken for the whole.
 */
export function redactedExcerpt(
  text: string,
  secret: string | undefined,
  max: number,
  total?: 'say how much was cut',
): string {
  const clean = redact(text, secret);
  if (clean.length <= max) return clean;
  let end = max;
  const marker = clean.lastIndexOf(REDACTED, end - 1);
  if (marker >= 0 && marker + REDACTED.length > end) end = marker + REDACTED.length;
  const code = clean.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end++;
  return total
    ? `${clean.slice(0, end)}… (cut at ${end} of ${clean.length} characters)`
    : clean.slice(0, end);
}

/** The cause to chain, unless it carries the secret (a provider echoing the key back): then a clean copy. */
function safeCause(err: unknown, secret: string | undefined): unknown {
  if (!secret || secret.length < 4) return err;
  const e = err as {
    message?: unknown;
    responseBody?: unknown;
    responseHeaders?: unknown;
    payload?: unknown;
  };
  // The response's headers too (a gateway may echo the key back in a debug header), and a stream error
  // event's whole payload (the key may be in a field besides its message).
  const text = `${String(e?.message ?? '')}\n${String(e?.responseBody ?? '')}\n${JSON.stringify(e?.responseHeaders ?? {})}\n${JSON.stringify(e?.payload ?? null)}`;
  if (!carriesSecret(text, secret)) return err;
  const copy = new Error(redact(String(e?.message ?? err), secret));
  copy.name = (err as Error)?.name ?? 'Error';
  return copy;
}

/** The provider's error type goes into the message and the details too: scrubbed like the message. */
function redactType(type: string | undefined, secret: string | undefined): string | undefined {
  return type === undefined ? undefined : redact(type, secret);
}

/** The most characters of a provider's own error message that a failure quotes (a 5 MB one was stored whole). */
export const PROVIDER_MESSAGE_CHARS = 2_000;

export function describeFailure(
  err: unknown,
  context: { timedOut: boolean; cancelled: boolean; timeoutMs: number; secret: string | undefined },
): Failure {
  const base = { status: undefined, providerType: undefined, headers: undefined };
  const cause = safeCause(err, context.secret);
  // Judged by our own signals, not the error's shape: an abort surfaces as DOMException, TypeError or undici's
  // "terminated" depending on when it hit.
  if (context.cancelled) return { ...base, summary: 'the turn was cancelled', retryable: false, cause };
  if (context.timedOut)
    return {
      ...base,
      summary: `no complete answer within ${context.timeoutMs} ms (the request timeout)`,
      retryable: false,
      cause,
    };
  if (err instanceof ResponseTooLarge)
    // Not retried: the same request would be answered with the same flood.
    return { ...base, summary: err.message, retryable: false, cause, code: 'MODEL_RESPONSE_TOO_LARGE' };
  if (APICallError.isInstance(err)) {
    const message = redact(err.message, context.secret);
    if (err.statusCode === undefined) {
      // No HTTP answer, or the connection dropped mid-stream (refused, reset, "other side closed").
      return { ...base, summary: message, retryable: err.isRetryable, cause };
    }
    const providerType = redactType(providerErrorType(err.responseBody), context.secret);
    return {
      summary: `HTTP ${err.statusCode}${providerType ? ` ${providerType}` : ''}: ${message}`,
      status: err.statusCode,
      providerType,
      retryable: isRetryableStatus(err.statusCode),
      headers: err.responseHeaders,
      cause,
    };
  }
  if (err instanceof StreamError) {
    const e = errorField(err.payload);
    const providerType = redactType(
      typeof e?.type === 'string' ? e.type : typeof e?.code === 'string' ? e.code : undefined,
      context.secret,
    );
    // Capped like an error body's message (post.ts): an error event's message can be megabytes too.
    const message = redactedExcerpt(
      err.message,
      context.secret,
      PROVIDER_MESSAGE_CHARS,
      'say how much was cut',
    );
    return {
      ...base,
      summary:
        providerType === INCOMPLETE_STREAM
          ? message
          : `error event in the response stream${providerType ? ` ${providerType}` : ''}: ${message}`,
      providerType,
      retryable: providerType !== undefined && TRANSIENT_STREAM_ERROR.test(providerType),
      cause,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { ...base, summary: redact(message, context.secret), retryable: false, cause };
}
