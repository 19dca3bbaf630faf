// Inbound webhook signatures: `x-nightshift-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<raw body>">` with the trigger's secret (the same scheme notify.webhook sends). Stale timestamps
// and signatures seen before are refused.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const REPLAY_WINDOW_SECONDS = 300;

export type SignatureCheck =
  | { ok: true; timestamp: number; signature: string }
  | { ok: false; reason: string };

export function verifySignature(
  header: string | undefined,
  body: Buffer,
  secret: string,
  nowMs: number,
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing x-nightshift-signature header' };
  const parts = Object.fromEntries(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  const v1 = parts.v1;
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1))
    return { ok: false, reason: 'malformed signature header (expected t=<unix>,v1=<hex>)' };
  if (Math.abs(nowMs / 1000 - t) > REPLAY_WINDOW_SECONDS)
    return { ok: false, reason: `signature timestamp is outside the ${REPLAY_WINDOW_SECONDS} s window` };
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  const given = Buffer.from(v1, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'signature does not match' };
  return { ok: true, timestamp: t, signature: v1 };
}
