// Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` keyed with the
// endpoint secret as given (`whsec_...`, not decoded); several v1 entries while a secret is rolled, and
// v0 (test mode's old scheme) ignored. The event's `id` (evt_...) names the delivery: Stripe's retries
// are signed again with a new timestamp but carry the same event.
import { createHmac } from 'node:crypto';
import { matchesAny, REPLAY_WINDOW_SECONDS, staleTimestamp } from '../webhook-signature.js';
import { deliveryId, header, stringField, type WebhookScheme } from './scheme.js';

export const stripe: WebhookScheme = {
  verify(headers, body, s, nowMs) {
    const sig = header(headers, 'stripe-signature');
    if (!sig)
      return {
        ok: false,
        problem: 'missing',
        reason: 'missing Stripe-Signature header (is this endpoint a Stripe webhook?)',
      };
    let t: number | undefined;
    const v1: Buffer[] = [];
    for (const part of sig.split(',')) {
      const [k, v] = part.trim().split('=', 2) as [string, string | undefined];
      if (k === 't' && v && /^\d+$/.test(v)) t = Number(v);
      else if (k === 'v1' && v && /^[0-9a-f]{64}$/.test(v)) v1.push(Buffer.from(v, 'hex'));
    }
    if (t === undefined || !Number.isSafeInteger(t) || v1.length === 0)
      return {
        ok: false,
        problem: 'malformed',
        reason: 'malformed Stripe-Signature (expected t=<unix>,v1=<hex>[,v1=<hex>...])',
      };
    const stale = staleTimestamp(t, nowMs, this.window(s)!, 'Stripe-Signature timestamp');
    if (stale) return stale;
    const expected = createHmac('sha256', s.secret).update(`${t}.`).update(body).digest();
    if (!matchesAny(expected, v1))
      return { ok: false, problem: 'mismatch', reason: 'no v1 signature in Stripe-Signature matches' };
    return { ok: true, timestamp: t, signature: expected.toString('hex') };
  },
  window: (s) => s.toleranceSeconds ?? REPLAY_WINDOW_SECONDS,
  identify(_headers, payload) {
    const id = deliveryId(stringField(payload, 'id'), { field: 'id' });
    if (!id) return 'a Stripe event has an "id" (evt_...): the body has none';
    return { deliveryId: id, dedupeKey: id, event: stringField(payload, 'type') };
  },
};
