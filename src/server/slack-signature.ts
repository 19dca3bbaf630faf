// Slack's request signing (v0): `x-slack-signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">`
// keyed with the app's signing secret, and `x-slack-request-timestamp` within five minutes of now.
// Replays inside the window are refused by the caller, which remembers each accepted signature.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SignatureCheck } from './webhook-signature.js';

export const SLACK_WINDOW_SECONDS = 300;

export function verifySlackSignature(
  headers: IncomingHttpHeaders,
  body: Buffer,
  signingSecret: string,
  nowMs: number,
): SignatureCheck {
  const ts = headers['x-slack-request-timestamp'];
  const sig = headers['x-slack-signature'];
  if (typeof ts !== 'string' || typeof sig !== 'string')
    return { ok: false, reason: 'missing x-slack-request-timestamp or x-slack-signature header' };
  const t = Number(ts);
  if (!/^\d+$/.test(ts) || !Number.isSafeInteger(t))
    return { ok: false, reason: 'malformed x-slack-request-timestamp (expected unix seconds)' };
  if (Math.abs(nowMs / 1000 - t) > SLACK_WINDOW_SECONDS)
    return { ok: false, reason: `request timestamp is outside the ${SLACK_WINDOW_SECONDS} s window` };
  const m = /^v0=([0-9a-f]{64})$/.exec(sig);
  if (!m) return { ok: false, reason: 'malformed x-slack-signature (expected v0=<hex>)' };
  const expected = createHmac('sha256', signingSecret).update(`v0:${ts}:`).update(body).digest();
  const given = Buffer.from(m[1]!, 'hex');
  if (!timingSafeEqual(given, expected)) return { ok: false, reason: 'signature does not match' };
  return { ok: true, timestamp: t, signature: m[1]! };
}
