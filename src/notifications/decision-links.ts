// One-time, expiring, signed decision links for email. A link names one decision, one action and one
// person, until an expiry, with a random nonce; all of it is signed (HMAC-SHA256 with the configured link
// secret), so none of it can be changed. Following it shows a confirm page; only the page's POST decides,
// and it spends the link: the hash of the token is remembered durably until the link expires, so the same
// link is refused afterwards (docs/decisions/026-slack-and-email-channels.md).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { NightshiftError } from '../errors.js';
import type { DecisionAction } from './apply-decision.js';
import type { DecisionKind } from './types.js';

export interface DecisionLink {
  kind: DecisionKind;
  id: string;
  action: DecisionAction;
  /** The person's name (as in `people:`). */
  person: string;
  /** Unix milliseconds after which the link is refused. */
  expiresAt: number;
  /** Approvals: the change set hash the email showed. */
  hash?: string | undefined;
}

const Payload = z.strictObject({
  k: z.enum(['approval', 'escalation']),
  d: z.string().min(1),
  a: z.enum(['approve', 'reject', 'answer']),
  p: z.string().min(1),
  e: z.number().int(),
  n: z.string().min(16),
  h: z.string().optional(),
});

const MIN_SECRET_LENGTH = 32;

/**
 * What is wrong with a link secret's value, or undefined when it will do. Checked where the value is first
 * read (serve's start, the email channel, the confirm page), so a short secret is said as what it is, a
 * setting to fix, rather than surfacing as a send to retry or a page that failed.
 */
export function linkSecretProblem(name: string, value: string): string | undefined {
  return value.length < MIN_SECRET_LENGTH
    ? `the link secret ${name} is ${value.length} characters long; notifications.email.linkSecret must name a secret of at least ${MIN_SECRET_LENGTH}`
    : undefined;
}

function key(secret: string): string {
  if (secret.length < MIN_SECRET_LENGTH)
    throw new NightshiftError(
      'CONFIG_INVALID',
      `notifications.email.linkSecret: the secret must be at least ${MIN_SECRET_LENGTH} characters`,
    );
  return secret;
}

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', key(secret)).update(`nightshift-decision-link.${payload}`).digest();
}

/** A token for the link's URL (base64url payload, a dot, base64url signature). */
export function signDecisionLink(link: DecisionLink, secret: string): string {
  const payload = Buffer.from(
    JSON.stringify({
      k: link.kind,
      d: link.id,
      a: link.action,
      p: link.person,
      e: link.expiresAt,
      n: randomBytes(18).toString('base64url'),
      ...(link.hash ? { h: link.hash } : {}),
    } satisfies z.infer<typeof Payload>),
  ).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The link a token stands for; DECISION_REFUSED when it is malformed, forged or expired. */
export function verifyDecisionLink(token: string, secret: string, nowMs: number): DecisionLink {
  const refuse = (why: string) => new NightshiftError('DECISION_REFUSED', `this link ${why}`);
  const m = /^([A-Za-z0-9_-]{1,4000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) throw refuse('is malformed');
  const given = Buffer.from(m[2]!, 'base64url');
  const expected = mac(secret, m[1]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse('is not valid');
  const parsed = Payload.safeParse(JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')));
  if (!parsed.success) throw refuse('is not valid');
  const p = parsed.data;
  if (nowMs > p.e) throw refuse(`expired at ${new Date(p.e).toISOString()}`);
  return { kind: p.k, id: p.d, action: p.a, person: p.p, expiresAt: p.e, hash: p.h };
}

/** What is remembered once a link is spent: a hash, so the store never holds a usable token. */
export function spentLinkKey(token: string): string {
  return `link:${createHash('sha256').update(token).digest('hex')}`;
}
