// Calls to Slack: a Web API method with the bot token (chat.postMessage, views.open) or a POST to an
// incoming webhook. A failure is a NOTIFICATION_FAILED whose `retryable` says whether to try again:
// a dropped connection, a timeout, HTTP 408, 429 or 5xx are worth retrying; a refused token or channel
// (or another 4xx) is not.
// A 429's Retry-After goes with the failure (details.retryAfterMs), so the outbox waits at least that long.
import { NightshiftError } from '../../errors.js';
import { retryAfterMs } from '../../models/http-retry.js';

const TIMEOUT_MS = 10_000;
/** Slack's Web API errors that clear by themselves. */
const TRANSIENT = new Set([
  'ratelimited',
  'service_unavailable',
  'internal_error',
  'fatal_error',
  'request_timeout',
]);

function failed(
  what: string,
  message: string,
  retryable: boolean,
  cause?: unknown,
  details?: Record<string, unknown>,
): NightshiftError {
  return new NightshiftError('NOTIFICATION_FAILED', `${what}: ${message}`, { retryable, cause, details });
}

async function post(url: string, body: unknown, what: string, token?: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw failed(
      what,
      e.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS} ms` : (e.cause?.code ?? e.message),
      true,
      err,
    );
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    // What Slack asked for on a rate limit (seconds, as its docs say; the parser also takes an HTTP date):
    // retrying sooner only earns another 429 and spends one of the notification's attempts. Only a 429's:
    // on another status (a proxy's 500 or 502 in front of Slack) the header is not a rate limit, and
    // honouring it would hold the notification up to the longest backoff for nothing.
    const asked =
      res.status === 429
        ? retryAfterMs({ 'retry-after': res.headers.get('retry-after') ?? '' }, Date.now())
        : undefined;
    // As the outbox does for every channel: a 4xx other than 408/429 will be refused again.
    throw failed(
      what,
      `HTTP ${res.status} ${text.slice(0, 200)}`,
      res.status === 408 || res.status === 429 || res.status >= 500,
      undefined,
      asked === undefined ? undefined : { status: res.status, retryAfterMs: asked },
    );
  }
  return text;
}

/** Calls a Web API method; its `{ ok: false, error }` answer is a failure. Returns the answer. */
export async function callSlack(
  apiUrl: string,
  token: string,
  method: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const what = `Slack ${method}`;
  const text = await post(`${apiUrl.replace(/\/+$/, '')}/${method}`, body, what, token);
  let answer: Record<string, unknown>;
  try {
    answer = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Slack answered 200 but not with JSON: the message may be posted; retrying could post it twice.
    throw failed(what, `an answer that is not JSON (${text.slice(0, 200)})`, false);
  }
  if (answer.ok !== true) {
    const error = typeof answer.error === 'string' ? answer.error : 'unknown error';
    throw failed(what, `Slack refused: ${error}`, TRANSIENT.has(error));
  }
  return answer;
}

/** Posts to an incoming webhook, which answers `ok` as plain text. */
export async function postToWebhook(url: string, body: unknown): Promise<void> {
  await post(url, body, 'Slack incoming webhook');
}
