// The webhook channel: the PendingDecision as a signed JSON POST (the scheme notify.webhook and inbound
// hooks use: `x-nightshift-signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`). The notification
// id travels as `x-nightshift-delivery` and in the signed body: a receiver that keeps the ids it processed
// handles a resend (after a crash between sending and marking it sent) once. A 429's or 503's Retry-After
// goes with the failure (details.retryAfterMs), as Slack's does, so the outbox waits at least that long.
import { NightshiftError } from '../errors.js';
import { retryAfterMs } from '../models/http-retry.js';
import { signWebhook } from '../tools/builtin/notify-webhook.js';
import type { Notification, NotificationChannel } from './types.js';

/** Environment variable holding the secret that signs decision webhooks and their answers back. */
export const DECISIONS_SECRET_ENV = 'NIGHTSHIFT_DECISIONS_SECRET';
/** As the email link secret's (decision-links.ts): a short HMAC key is a guessable one. */
export const MIN_DECISIONS_SECRET_LENGTH = 32;

/**
 * The decisions secret from the environment: undefined when unset; refused (CONFIG_INVALID, its length
 * said, never its value) when shorter than MIN_DECISIONS_SECRET_LENGTH. Checked at serve's and notify's
 * start, and again where an answer is verified.
 */
export function decisionsSecretFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const secret = env[DECISIONS_SECRET_ENV];
  if (!secret) return undefined;
  if (secret.length < MIN_DECISIONS_SECRET_LENGTH)
    throw new NightshiftError(
      'CONFIG_INVALID',
      `${DECISIONS_SECRET_ENV} is ${secret.length} characters long; it must be at least ${MIN_DECISIONS_SECRET_LENGTH} (for example: openssl rand -hex 32)`,
      {
        details: { env: DECISIONS_SECRET_ENV, length: secret.length, minLength: MIN_DECISIONS_SECRET_LENGTH },
      },
    );
  return secret;
}

export interface WebhookChannelOptions {
  secret: string;
  timeoutMs?: number;
  /** Unix seconds for the signature (tests); default: now. */
  now?: () => number;
}

/**
 * Where a failed POST went, as logs and the outbox's last error show it: the origin only. A webhook URL
 * often carries its credential in the path or query (`/services/T0/B0/XXXX`, `?token=`), and these
 * messages reach serve's log; the full URL stays in the outbox row's destination.
 */
function shown(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'a URL that does not parse';
  }
}

// No `cause`: fetch's own errors can quote the whole URL.
function failed(
  url: string,
  why: string,
  retryable: boolean,
  details?: Record<string, unknown>,
): NightshiftError {
  return new NightshiftError('NOTIFICATION_FAILED', `webhook to ${shown(url)}: ${why}`, {
    retryable,
    details,
  });
}

export function webhookChannel(o: WebhookChannelOptions): NotificationChannel {
  const timeoutMs = o.timeoutMs ?? 10_000;
  return {
    channel: 'webhook',
    async send(n: Notification): Promise<void> {
      const body = JSON.stringify({
        event: 'decision.requested',
        notificationId: n.id,
        people: n.people,
        attempt: n.attempt,
        decision: n.decision,
        // Where to answer: POST this path on `nightshift serve`, signed with the same secret.
        answerPath: `/decisions/${n.decision.kind}/${encodeURIComponent(n.decision.id)}`,
      });
      const t = Math.floor((o.now?.() ?? Date.now()) / 1000);
      let res: Response;
      try {
        res = await fetch(n.to, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-nightshift-signature': signWebhook(o.secret, t, body),
            'x-nightshift-delivery': n.id,
            'x-nightshift-event': 'decision.requested',
          },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        const why =
          e.name === 'TimeoutError'
            ? `no answer within ${timeoutMs} ms`
            : (e.cause?.code ?? e.message.replaceAll(n.to, shown(n.to)));
        throw failed(n.to, why, true);
      }
      if (!res.ok) {
        // A 4xx other than 408/429 will be refused again: failing at once says so sooner.
        const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
        // The two statuses whose Retry-After means "come back then" (RFC 9110 §10.2.3): retrying sooner
        // only earns another refusal and spends one of the notification's attempts. Seconds or an HTTP date.
        const asked =
          res.status === 429 || res.status === 503
            ? retryAfterMs({ 'retry-after': res.headers.get('retry-after') ?? '' }, Date.now())
            : undefined;
        throw failed(
          n.to,
          `HTTP ${res.status}`,
          retryable,
          asked === undefined ? undefined : { status: res.status, retryAfterMs: asked },
        );
      }
    },
  };
}
