// What a webhook sender's signing scheme is to the /hooks route: a check of the raw bytes before anything
// is parsed, and, once it holds, what the sender says the delivery is (its id, its event).
import type { IncomingHttpHeaders } from 'node:http';
import type { SignatureCheck } from '../webhook-signature.js';
import { WebhookRefusal } from './refusal.js';

/** The longest delivery id a sender may give (the rule the idempotency keys it becomes part of follow). */
export const MAX_DELIVERY_ID_LENGTH = 200;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

export interface SchemeSettings {
  secret: string;
  /** `toleranceSeconds` from the trigger, for the schemes that take it (stripe, standard). */
  toleranceSeconds: number | undefined;
}

/** Who the delivery is, read from the verified request. */
export interface DeliveryIdentity {
  /** The sender's id for the delivery (reported back and kept with the run). */
  deliveryId: string;
  /**
   * What a delivery is deduplicated on: the same key is the same run. Signed content (or, for nightshift's
   * own unsigned delivery header, guarded by the replay memory), so a caller cannot make a captured
   * request start a second run by changing an unsigned header.
   */
  dedupeKey: string;
  /** What the sender says happened (pull_request, payment_intent.succeeded, message), when it says. */
  event: string | undefined;
}

export interface WebhookScheme {
  /** Why this secret value cannot verify anything (it is not in the scheme's format), or undefined. */
  secretProblem?(secret: string): string | undefined;
  /** Checks the signature (and its timestamp) over the raw body; the refusal names the header. */
  verify(headers: IncomingHttpHeaders, body: Buffer, s: SchemeSettings, nowMs: number): SignatureCheck;
  /**
   * Seconds a signed timestamp may be from now, which is also how long an accepted signature must be
   * remembered to refuse its replay. Undefined: the scheme signs no timestamp (GitHub), so a replayed
   * request can only be deduplicated onto the run it started.
   */
  window(s: SchemeSettings): number | undefined;
  /** The delivery's identity, or a message saying what the body lacks. */
  identify(headers: IncomingHttpHeaders, payload: unknown, signature: string): DeliveryIdentity | string;
  /** A handshake the sender expects answered (200, this body) instead of a run: Slack's challenge, GitHub's ping. */
  handshake?(headers: IncomingHttpHeaders, payload: unknown): unknown;
}

/** A header's value when it was sent once and is not empty. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A string field of a JSON object, if it is one. */
export function stringField(payload: unknown, ...path: string[]): string | undefined {
  let v: unknown = payload;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * A sender's delivery id, once it fits: 1 to 200 visible ASCII characters. The id is kept with the run,
 * echoed in the answer and the log, and is part of the run's idempotency key, so an unbounded one (a
 * 15 KB header) would grow every row and line it touches, and a control character could forge a log line.
 * Refused (400, nothing recorded) naming where it came from: a header, or a field of the body.
 */
export function deliveryId(
  value: string | undefined,
  where: { header: string } | { field: string },
): string | undefined {
  if (value === undefined) return undefined;
  if (value.length <= MAX_DELIVERY_ID_LENGTH && VISIBLE_ASCII.test(value)) return value;
  const what =
    value.length > MAX_DELIVERY_ID_LENGTH
      ? `is ${value.length} characters long`
      : 'holds a space, a control or a non-ASCII character';
  const named = 'header' in where ? `the ${where.header} header` : `the body's "${where.field}"`;
  throw new WebhookRefusal(
    400,
    'header' in where ? 'WEBHOOK_HEADER_MALFORMED' : 'WEBHOOK_BODY_INVALID',
    `${named} ${what}: a delivery id must be 1 to ${MAX_DELIVERY_ID_LENGTH} visible ASCII characters (letters, digits and punctuation); nothing was recorded`,
  );
}
