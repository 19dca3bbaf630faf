// Slack's Events API: signed with v0 (../slack-signature.ts, shared with the interactions door); the
// `url_verification` challenge Slack sends when the request URL is set is answered without a run; an
// event's `event_id` names the delivery (Slack's retries carry the same one).
import { SLACK_WINDOW_SECONDS, verifySlackSignature } from '../slack-signature.js';
import { deliveryId, stringField, type WebhookScheme } from './scheme.js';

export const slack: WebhookScheme = {
  verify: (headers, body, { secret }, nowMs) => verifySlackSignature(headers, body, secret, nowMs),
  window: () => SLACK_WINDOW_SECONDS,
  identify(_headers, payload, signature) {
    // Payloads other than event callbacks (app rate limiting notices) have no event_id: one run each.
    const id = deliveryId(stringField(payload, 'event_id'), { field: 'event_id' });
    return {
      deliveryId: id ?? signature,
      dedupeKey: id ?? signature,
      event: stringField(payload, 'event', 'type'),
    };
  },
  handshake(_headers, payload) {
    if (stringField(payload, 'type') !== 'url_verification') return undefined;
    const challenge = stringField(payload, 'challenge');
    return challenge === undefined ? undefined : { challenge };
  },
};
