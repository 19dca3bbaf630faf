// The /hooks route's refusals: a status a sender can act on and a stable code, answered as
// `{ error: { code, message } }`. Nothing is recorded for a refused delivery.
import type { SignatureProblem } from '../webhook-signature.js';

export type WebhookRefusalCode =
  | 'WEBHOOK_NOT_FOUND'
  | 'WEBHOOK_HEADER_MISSING'
  | 'WEBHOOK_HEADER_MALFORMED'
  | 'WEBHOOK_TIMESTAMP_OUTSIDE_WINDOW'
  | 'WEBHOOK_SIGNATURE_MISMATCH'
  | 'WEBHOOK_REPLAYED'
  | 'WEBHOOK_SECRET_UNAVAILABLE'
  | 'WEBHOOK_BODY_INVALID'
  | 'WEBHOOK_BODY_TOO_LARGE'
  | 'INPUT_INVALID';

export class WebhookRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: WebhookRefusalCode,
    message: string,
    /** Close the connection after answering (the body was not read to its end). */
    readonly close = false,
  ) {
    super(message);
  }
}

const BY_PROBLEM: Record<SignatureProblem, WebhookRefusalCode> = {
  missing: 'WEBHOOK_HEADER_MISSING',
  malformed: 'WEBHOOK_HEADER_MALFORMED',
  stale: 'WEBHOOK_TIMESTAMP_OUTSIDE_WINDOW',
  mismatch: 'WEBHOOK_SIGNATURE_MISMATCH',
};

/** A refused signature: 401, whatever the problem (the request is not authenticated), coded by it. */
export function signatureRefusal(problem: SignatureProblem, reason: string): WebhookRefusal {
  return new WebhookRefusal(401, BY_PROBLEM[problem], reason);
}
