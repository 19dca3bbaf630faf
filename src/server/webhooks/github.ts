// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` keyed with the webhook's secret;
// `X-GitHub-Delivery` names the delivery, `X-GitHub-Event` what happened. GitHub signs no timestamp and
// sends a redelivery byte for byte (the same signature): the signature is the dedupe key (decision 031).
import { createHmac } from 'node:crypto';
import { matchesAny } from '../webhook-signature.js';
import { deliveryId, header, type WebhookScheme } from './scheme.js';

export const github: WebhookScheme = {
  verify(headers, body, { secret }) {
    const sig = header(headers, 'x-hub-signature-256');
    if (!sig)
      return {
        ok: false,
        problem: 'missing',
        reason: 'missing X-Hub-Signature-256 header (set a secret on the GitHub webhook)',
      };
    const m = /^sha256=([0-9a-f]{64})$/.exec(sig);
    if (!m)
      return {
        ok: false,
        problem: 'malformed',
        reason: 'malformed X-Hub-Signature-256 (expected sha256=<hex>)',
      };
    const expected = createHmac('sha256', secret).update(body).digest();
    if (!matchesAny(expected, [Buffer.from(m[1]!, 'hex')]))
      return { ok: false, problem: 'mismatch', reason: 'X-Hub-Signature-256 does not match' };
    return { ok: true, timestamp: 0, signature: m[1]! };
  },
  window: () => undefined,
  identify(headers, _payload, signature) {
    return {
      // Not signed: reported, never trusted to tell deliveries apart.
      deliveryId:
        deliveryId(header(headers, 'x-github-delivery'), { header: 'X-GitHub-Delivery' }) ?? signature,
      dedupeKey: signature,
      event: header(headers, 'x-github-event'),
    };
  },
  handshake(headers, payload) {
    // Sent once when the hook is created: answered, so GitHub shows the hook as working, without a run.
    if (header(headers, 'x-github-event') === 'ping')
      return { pong: true, zen: (payload as { zen?: unknown }).zen };
    return undefined;
  },
};
