// Browser sessions: a cookie holding a random secret (HttpOnly, SameSite=Strict, Secure over https), whose
// sha256 the store keeps with an expiry and the token it was opened with, so a session dies with its token.
// And one-time login links from the CLI, good once and for minutes, that open such a session.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { type Clock, systemClock } from '../clock.js';
import { NightshiftError } from '../errors.js';
import type { AccessTokenRecord, AccessTokens } from '../store/types.js';
import { hashSecret, isSecretShaped, newSecret } from './secret.js';

/** The cookie over plain http (loopback). */
export const SESSION_COOKIE = 'nightshift_session';
/** Over https: the `__Host-` prefix makes the browser refuse it unless Secure, path /, and no Domain. */
export const SECURE_SESSION_COOKIE = '__Host-nightshift_session';
/** How long a browser session lasts (capped by its token's own expiry). */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** How long a one-time login link can be used. */
export const LOGIN_LINK_TTL_MS = 15 * 60_000;

/** Whether the request came over https (directly, or through a proxy that says so). */
export function isHttps(req: IncomingMessage): boolean {
  if ((req.socket as TLSSocket).encrypted) return true;
  // Trusting this header only ever adds Secure to a cookie; it grants nothing.
  return (
    String(req.headers['x-forwarded-proto'] ?? '')
      .split(',')[0]
      ?.trim() === 'https'
  );
}

export interface OpenedSession {
  /** The cookie's value; never stored, never logged. */
  secret: string;
  expiresAt: number;
}

/** Opens a session for `token` (which the caller has verified is active). */
export async function openSession(
  store: Pick<AccessTokens, 'createSession'>,
  token: AccessTokenRecord,
  clock: Clock = systemClock,
  ttlMs = SESSION_TTL_MS,
): Promise<OpenedSession> {
  const now = clock.now();
  const expiresAt = Math.min(now + ttlMs, token.expiresAt ?? Number.POSITIVE_INFINITY);
  const secret = newSecret('session');
  await store.createSession({
    hash: hashSecret(secret),
    tokenId: token.id,
    createdAt: now,
    expiresAt,
    endedAt: null,
  });
  return { secret, expiresAt };
}

/** The Set-Cookie value that hands a session to the browser. */
export function sessionCookie(
  secret: string,
  o: { secure: boolean; expiresAt: number; now: number },
): string {
  const maxAge = Math.max(0, Math.floor((o.expiresAt - o.now) / 1000));
  const name = o.secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  return `${name}=${secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${o.secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that removes the session cookie (logout). */
export function clearedSessionCookie(secure: boolean): string {
  const name = secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  return `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** The session secret the request's cookies carry, if any has the right shape. */
export function readSessionCookie(req: IncomingMessage): string | undefined {
  const found = sessionCookieValues(req);
  const [only] = found;
  return found.length === 1 && only !== undefined && isSecretShaped('session', only) ? only : undefined;
}

/**
 * Whether the request carries a session cookie at all, usable or not (readSessionCookie refuses a value
 * that is no session secret, or two of them): its refusal then says the session is unknown, not that
 * nothing was sent.
 */
export function sessionCookieSent(req: IncomingMessage): boolean {
  return sessionCookieValues(req).length > 0;
}

function sessionCookieValues(req: IncomingMessage): string[] {
  const header = req.headers.cookie;
  if (!header) return [];
  // Over https only the __Host- cookie counts (a sibling host or a plain-http injection can set the
  // unprefixed one, never the prefixed); two candidates at once are refused, not the first one taken.
  const names = isHttps(req) ? [SECURE_SESSION_COOKIE] : [SESSION_COOKIE, SECURE_SESSION_COOKIE];
  const found: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (names.includes(name)) found.push(value);
  }
  return found;
}

/** Ends the session the secret names (logout). */
export async function endSession(
  store: Pick<AccessTokens, 'endSession'>,
  secret: string,
  clock: Clock = systemClock,
): Promise<boolean> {
  return store.endSession(hashSecret(secret), clock.now());
}

/** Records a one-time login link for `tokenId`; returns its secret (the last segment of the URL). */
export async function createLoginLink(
  store: Pick<AccessTokens, 'createLoginLink'>,
  tokenId: string,
  clock: Clock = systemClock,
  ttlMs = LOGIN_LINK_TTL_MS,
): Promise<{ secret: string; expiresAt: number }> {
  const now = clock.now();
  const secret = newSecret('link');
  await store.createLoginLink({
    hash: hashSecret(secret),
    tokenId,
    createdAt: now,
    expiresAt: now + ttlMs,
    usedAt: null,
  });
  return { secret, expiresAt: now + ttlMs };
}

/** Uses a login link (once): its token id, or AUTH_REQUIRED if it is unknown, used or expired. */
export async function useLoginLink(
  store: Pick<AccessTokens, 'useLoginLink'>,
  secret: string,
  clock: Clock = systemClock,
): Promise<string> {
  const tokenId = isSecretShaped('link', secret)
    ? await store.useLoginLink(hashSecret(secret), clock.now())
    : undefined;
  if (tokenId === undefined)
    throw new NightshiftError(
      'AUTH_REQUIRED',
      'this login link is unknown, already used or expired: ask for a new one with nightshift token login-link --as NAME',
    );
  return tokenId;
}
