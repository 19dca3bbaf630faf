// When to try a provider request again within one model turn, and how long to wait first (retrying a whole
// failed run later is engine/run-retry.ts). Pure: the caller passes the attempt number, the response headers
// and a random source, so the policy is testable without a clock.

export interface HttpRetryPolicy {
  /** Retries after the first attempt (so maxRetries + 1 attempts in all). */
  maxRetries: number;
  /** The first backoff step; each further retry doubles it, up to MAX_BACKOFF_MS. */
  baseMs: number;
}

export const DEFAULT_HTTP_RETRY: HttpRetryPolicy = { maxRetries: 2, baseMs: 500 };
export const MAX_BACKOFF_MS = 8_000;
/** The longest a provider's retry-after is honoured; asked to wait longer, the turn fails instead. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Rate limits, server errors (529 "overloaded" included) and 408 (the request did not reach the server in
 * time: a model turn has no side effect, so sending it again is safe, as the providers' own clients do) are
 * worth another try; other 4xx are not.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * What the server asked for in `retry-after-ms` (OpenAI) or `retry-after` (seconds or an HTTP date), in ms.
 * `headers` keys are lower-case, as the Fetch API gives them.
 */
export function retryAfterMs(headers: Record<string, string> | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers['retry-after-ms'] ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers['retry-after']?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number.parseFloat(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait before retry number `retry` (1 for the first retry): what the server asked for when it said, else
 * exponential backoff with jitter, between half and all of min(baseMs * 2^(retry-1), 8 s). `tooLong` when the
 * server asked for more than MAX_RETRY_AFTER_MS.
 */
export function retryDelay(
  retry: number,
  policy: HttpRetryPolicy,
  headers: Record<string, string> | undefined,
  now: number,
  random: () => number = Math.random,
): { waitMs: number } | { tooLong: number } {
  const asked = retryAfterMs(headers, now);
  if (asked !== undefined) return asked > MAX_RETRY_AFTER_MS ? { tooLong: asked } : { waitMs: asked };
  const step = Math.min(policy.baseMs * 2 ** (retry - 1), MAX_BACKOFF_MS);
  return { waitMs: step / 2 + random() * (step / 2) };
}
