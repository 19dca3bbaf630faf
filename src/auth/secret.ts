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

/** Every secret of any kind in `text` replaced by its prefix and `…` (for anything that might be logged). */
export function redactSecrets(text: string): string {
  return text.replace(/\bns[tsl]_[A-Za-z0-9_-]{43}/g, (m) => `${m.slice(0, 4)}…`);
}
