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

/** Set to `1` on `serve` to take decision answers signed `v1` (the body only) while senders move to v2. */
export const DECISIONS_ACCEPT_V1_ENV = 'NIGHTSHIFT_DECISIONS_ACCEPT_V1';

/**
 * The string a decision answer's `v2` signature covers: `<t>.<path>.<body>`, the path being the
 * notification's `answerPath` (`/decisions/<kind>/<id>`, as it is sent). Binding the path means a signed
 * answer to one matter cannot be replayed to another (a `v1` signature covers `<t>.<body>` only, and the
 * body does not name the matter). No ambiguity from the joins: nightshift's ids hold no `.`, and a body
 * starts with `{`, so no other (path, body) pair makes the same string with an id that exists.
 */
export function decisionSigningInput(t: number, path: string, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${t}.${path}.`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
}

/** `t=<t>,v2=<hex>`: the header a decision answer to `path` is sent with (tests, client examples). */
export function signDecision(secret: string, t: number, path: string, body: Buffer | string): string {
  const v2 = createHmac('sha256', secret)
    .update(decisionSigningInput(t, path, body))
    .digest('hex');
  return `t=${t},v2=${v2}`;
}

/**
 * A decision answer's signature: `v2` (over `<t>.<path>.<body>`) is required; a `v1` (over `<t>.<body>`)
 * is taken only when `acceptV1` (NIGHTSHIFT_DECISIONS_ACCEPT_V1=1, off by default, decision 047), since
 * it can be replayed to another matter of the same kind. The remembered signature is prefixed by its
 * version, so a v1 and a v2 never collide as replays of each other. A header with both, taken on its v2,
 * names its v1 in `alsoSpends`: remembered too, so with v1 accepted the same header less its v2 cannot
 * be replayed to another matter.
 */
export function verifyDecisionSignature(
  header: string | undefined,
  body: Buffer,
  secret: string,
  nowMs: number,
  path: string,
  acceptV1: boolean,
): SignatureCheck & { version?: 'v1' | 'v2'; alsoSpends?: string } {
  if (!header) return { ok: false, problem: 'missing', reason: 'missing x-nightshift-signature header' };
  const parts = Object.fromEntries(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  const hex = (v: string | undefined) => v !== undefined && /^[0-9a-f]{64}$/.test(v);
  if (!Number.isInteger(t) || !(hex(parts.v2) || hex(parts.v1)))
    return {
      ok: false,
      problem: 'malformed',
      reason: 'malformed x-nightshift-signature header (expected t=<unix>,v2=<hex>)',
    };
  if (!hex(parts.v2) && !acceptV1)
    return {
      ok: false,
      problem: 'malformed',
      reason: `a decision answer must be signed v2 (HMAC-SHA256 of "<t>.${path}.<body>"): v1 covers the body only and is not accepted unless ${DECISIONS_ACCEPT_V1_ENV}=1`,
    };
  const stale = staleTimestamp(t, nowMs, REPLAY_WINDOW_SECONDS, 'signature timestamp');
  if (stale) return stale;
  if (hex(parts.v2)) {
    const expected = createHmac('sha256', secret)
      .update(decisionSigningInput(t, path, body))
      .digest();
    if (!matchesAny(expected, [Buffer.from(parts.v2!, 'hex')]))
      return {
        ok: false,
        problem: 'mismatch',
        reason: `x-nightshift-signature v2 does not match (it covers "<t>.${path}.<body>")`,
      };
    return {
      ok: true,
      timestamp: t,
      signature: `v2:${parts.v2}`,
      version: 'v2',
      // Remembered as verifySignature names a v1 (no prefix).
      ...(hex(parts.v1) ? { alsoSpends: parts.v1 } : {}),
    };
  }
  const v1 = verifySignature(header, body, secret, nowMs);
  return v1.ok ? { ...v1, version: 'v1' } : v1;
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
