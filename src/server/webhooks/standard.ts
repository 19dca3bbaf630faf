// Standard Webhooks (Svix and others): `webhook-id`, `webhook-timestamp` (unix seconds) and
// `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>">`, keyed
// with the secret's bytes (`whsec_<base64>`). The id is signed, so it is the dedupe key; retries are
// signed again with a new timestamp under the same id.
import { createHmac } from 'node:crypto';
import { matchesAny, REPLAY_WINDOW_SECONDS, staleTimestamp } from '../webhook-signature.js';
import { deliveryId, header, stringField, type WebhookScheme } from './scheme.js';

/** The HMAC key a `whsec_<base64>` secret stands for (the prefix is optional, as in the reference library). */
export function standardKey(secret: string): Buffer | undefined {
  const b64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  return Buffer.from(b64, 'base64');
}

export const standard: WebhookScheme = {
  secretProblem: (secret) =>
    standardKey(secret) ? undefined : 'is not a Standard Webhooks secret (whsec_ followed by base64)',
  verify(headers, body, s, nowMs) {
    const id = header(headers, 'webhook-id');
    const ts = header(headers, 'webhook-timestamp');
    const sig = header(headers, 'webhook-signature');
    for (const [name, value] of [
      ['webhook-id', id],
      ['webhook-timestamp', ts],
      ['webhook-signature', sig],
    ] as const)
      if (value === undefined) return { ok: false, problem: 'missing', reason: `missing ${name} header` };
    if (!/^\d+$/.test(ts!) || !Number.isSafeInteger(Number(ts)))
      return {
        ok: false,
        problem: 'malformed',
        reason: 'malformed webhook-timestamp (expected unix seconds)',
      };
    const t = Number(ts);
    const stale = staleTimestamp(t, nowMs, this.window(s)!, 'webhook-timestamp');
    if (stale) return stale;
    const given = sig!
      .split(' ')
      .map((entry) => entry.split(',', 2))
      .filter(([version, value]) => version === 'v1' && value)
      .map(([, value]) => Buffer.from(value!, 'base64'));
    if (given.length === 0)
      return {
        ok: false,
        problem: 'malformed',
        reason: 'malformed webhook-signature (expected v1,<base64>)',
      };
    const key = standardKey(s.secret);
    // The route refuses such a secret first (503); never verify with an empty or partial key.
    if (!key) return { ok: false, problem: 'mismatch', reason: 'webhook-signature cannot be checked' };
    const expected = createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest();
    if (!matchesAny(expected, given))
      return { ok: false, problem: 'mismatch', reason: 'no v1 signature in webhook-signature matches' };
    return { ok: true, timestamp: t, signature: expected.toString('base64') };
  },
  window: (s) => s.toleranceSeconds ?? REPLAY_WINDOW_SECONDS,
  identify(headers, payload) {
    const id = deliveryId(header(headers, 'webhook-id'), { header: 'webhook-id' })!;
    return { deliveryId: id, dedupeKey: id, event: stringField(payload, 'type') };
  },
};
