// Inbound webhook signatures: `x-nightshift-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<raw body>">` with the trigger's secret (the same scheme notify.webhook sends). Stale timestamps
// and signatures seen before are refused. The other senders' schemes are in webhooks/.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const REPLAY_WINDOW_SECONDS = 300;

/** Why a signature was refused, so the answer can say it with a stable code. */
export type SignatureProblem = 'missing' | 'malformed' | 'stale' | 'mismatch';

export type SignatureCheck =
  | { ok: true; timestamp: number; signature: string }
  | { ok: false; problem: SignatureProblem; reason: string };

export function verifySignature(
  header: string | undefined,
  body: Buffer,
  secret: string,
  nowMs: number,
): SignatureCheck {
  if (!header) return { ok: false, problem: 'missing', reason: 'missing x-nightshift-signature header' };
  const parts = Object.fromEntries(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  const v1 = parts.v1;
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1))
    return {
      ok: false,
      problem: 'malformed',
      reason: 'malformed x-nightshift-signature header (expected t=<unix>,v1=<hex>)',
    };
  const stale = staleTimestamp(t, nowMs, REPLAY_WINDOW_SECONDS, 'signature timestamp');
  if (stale) return stale;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  if (!matchesAny(expected, [Buffer.from(v1, 'hex')]))
    return { ok: false, problem: 'mismatch', reason: 'x-nightshift-signature does not match' };
  return { ok: true, timestamp: t, signature: v1 };
}

/** The refusal for a signed timestamp more than `windowSeconds` from now, or undefined when it is inside. */
export function staleTimestamp(
  t: number,
  nowMs: number,
  windowSeconds: number,
  what: string,
): Extract<SignatureCheck, { ok: false }> | undefined {
  if (Math.abs(nowMs / 1000 - t) <= windowSeconds) return undefined;
  return { ok: false, problem: 'stale', reason: `${what} is outside the ${windowSeconds} s window` };
}

/**
 * Whether any given signature equals the expected one. Each comparison is constant-time (a timing
 * difference would let a caller find a valid signature byte by byte); a length mismatch says nothing
 * about the secret.
 */
export function matchesAny(expected: Buffer, given: readonly Buffer[]): boolean {
  let found = false;
  for (const g of given) if (g.length === expected.length && timingSafeEqual(g, expected)) found = true;
  return found;
}
