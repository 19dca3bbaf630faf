// nightshift's own scheme (../webhook-signature.ts, what notify.webhook sends): `x-nightshift-delivery`
// names the delivery when given, else the signature does. The default scheme, unchanged.
import { REPLAY_WINDOW_SECONDS, verifySignature } from '../webhook-signature.js';
import { deliveryId, header, type WebhookScheme } from './scheme.js';

export const nightshift: WebhookScheme = {
  verify: (headers, body, { secret }, nowMs) =>
    verifySignature(header(headers, 'x-nightshift-signature'), body, secret, nowMs),
  window: () => REPLAY_WINDOW_SECONDS,
  identify(headers, _payload, signature) {
    const id =
      deliveryId(header(headers, 'x-nightshift-delivery'), { header: 'x-nightshift-delivery' }) ?? signature;
    return { deliveryId: id, dedupeKey: id, event: undefined };
  },
};
