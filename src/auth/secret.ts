// Secrets handed to people (tokens, session cookies, login links): 256 random bits, base64url, behind a
// prefix that says what they are (and lets secret scanners and log filters spot them). Only their sha256
// is stored; with 256 random bits, an unsalted fast hash is enough (nothing to guess by brute force).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type SecretKind = 'token' | 'session' | 'link';

export const SECRET_PREFIX: Record<SecretKind, string> = { token: 'nst_', session: 'nss_', link: 'nsl_' };

/** 32 random bytes as base64url is 43 characters. */
const SECRET_BODY = /^[A-Za-z0-9_-]{43}$/;

export function newSecret(kind: SecretKind): string {
  return SECRET_PREFIX[kind] + randomBytes(32).toString('base64url');
}

/** Whether `value` has the shape of a secret of this kind (checked before any lookup). */
export function isSecretShaped(kind: SecretKind, value: string): boolean {
  const prefix = SECRET_PREFIX[kind];
  return value.startsWith(prefix) && SECRET_BODY.test(value.slice(prefix.length));
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two strings in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A whole secret of any kind, wherever it stands (run into other text too). */
const WHOLE_SECRET = /ns[tsl]_[A-Za-z0-9_-]{43}/g;
/**
 * Anything shaped like one of them: cut short or run on, in any letter case, its `_` %-escaped (as a path
 * carries it), not inside a word (`transl_x` is a name). What a client sent is a credential to it even
 * when it is not a valid one (a token pasted one character short is still 42 characters of the secret).
 */
const SECRET_LIKE = /(?<![A-Za-z0-9])(ns[tsl](?:_|%5f))[A-Za-z0-9_-]+/gi;
/** A decision link's token (notifications/decision-links.ts): base64url payload, a dot, its 43-character MAC. */
const DECISION_LINK = /[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;

/**
 * Every secret in `text` replaced, for anything written where someone else may read it (the log, a
 * refusal's message): a token, session or login-link secret, or anything shaped like one, by its prefix and
 * `…`; a decision link's token by `[redacted]`.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(WHOLE_SECRET, (m) => `${m.slice(0, 4)}…`)
    .replace(SECRET_LIKE, (_m, prefix: string) => `${prefix}…`)
    .replace(DECISION_LINK, '[redacted]');
}
