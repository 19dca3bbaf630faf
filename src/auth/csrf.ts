// CSRF protection for browser sessions: a synchronizer token derived from the session's secret (an HMAC),
// so it needs no storage, differs per session, and cannot be computed without the cookie a cross-site page
// cannot read. Every state-changing request made with a session cookie must carry it, in the form field
// `csrf` or the header `x-csrf-token`; requests with a bearer token need none (a browser never attaches
// one by itself).
import { createHmac } from 'node:crypto';
import { NightshiftError } from '../errors.js';
import { sameSecret } from './secret.js';

/** The form field a page's forms carry the token in. */
export const CSRF_FIELD = 'csrf';
/** The header scripts send it in. */
export const CSRF_HEADER = 'x-csrf-token';

/** The CSRF token of the session whose cookie secret is `sessionSecret`. */
export function csrfTokenFor(sessionSecret: string): string {
  return createHmac('sha256', sessionSecret).update('nightshift csrf v1').digest('base64url');
}

/** Throws CSRF_INVALID (403) unless `given` is the session's token. */
export function checkCsrf(expected: string, given: string | undefined): void {
  if (given === undefined || given === '')
    throw new NightshiftError(
      'CSRF_INVALID',
      `this form was sent without its CSRF token (field ${CSRF_FIELD} or header ${CSRF_HEADER}): reload the page and try again; nothing was changed`,
    );
  if (!sameSecret(expected, given))
    throw new NightshiftError(
      'CSRF_INVALID',
      'the CSRF token does not belong to this session: reload the page and try again; nothing was changed',
    );
}

/** Methods that change nothing, so need no CSRF token. */
export function isSafeMethod(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/**
 * For a route that authenticated with `csrfAfterForm` and has now read the form: a session's request must
 * carry its CSRF token (`given`: the form field, else the header); a bearer token's needs none.
 */
export function requireFormCsrf(
  who: { via: 'token' | 'session'; csrf?: string },
  given: string | undefined,
): void {
  if (who.via === 'session') checkCsrf(who.csrf ?? '', given);
}
