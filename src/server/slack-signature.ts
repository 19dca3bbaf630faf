// Slack's request signing (v0): `x-slack-signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">`
// keyed with the app's signing secret, and `x-slack-request-timestamp` within five minutes of now.
// Replays inside the window are refused by the caller, which remembers each accepted signature. Used by
// the interactions door and by webhook triggers with `scheme: slack` (webhooks/slack.ts).
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { matchesAny, type SignatureCheck, staleTimestamp } from './webhook-signature.js';

export const SLACK_WINDOW_SECONDS = 300;

export function verifySlackSignature(
  headers: IncomingHttpHeaders,
  body: Buffer,
  signingSecret: string,
  nowMs: number,
): SignatureCheck {
  const ts = headers['x-slack-request-timestamp'];
  const sig = headers['x-slack-signature'];
  for (const [name, value] of [
    ['x-slack-signature', sig],
    ['x-slack-request-timestamp', ts],
  ] as const)
    if (typeof value !== 'string' || value === '')
      return { ok: false, problem: 'missing', reason: `missing ${name} header` };
  const t = Number(ts);
  if (!/^\d+$/.test(ts as string) || !Number.isSafeInteger(t))
    return {
      ok: false,
      problem: 'malformed',
      reason: 'malformed x-slack-request-timestamp (expected unix seconds)',
    };
  const stale = staleTimestamp(t, nowMs, SLACK_WINDOW_SECONDS, 'x-slack-request-timestamp');
  if (stale) return stale;
  const m = /^v0=([0-9a-f]{64})$/.exec(sig as string);
  if (!m)
    return { ok: false, problem: 'malformed', reason: 'malformed x-slack-signature (expected v0=<hex>)' };
  const expected = createHmac('sha256', signingSecret).update(`v0:${ts}:`).update(body).digest();
  if (!matchesAny(expected, [Buffer.from(m[1]!, 'hex')]))
    return { ok: false, problem: 'mismatch', reason: 'x-slack-signature does not match' };
  return { ok: true, timestamp: t, signature: m[1]! };
}
