// The address of a daemon given to a command (`emit --url`, `token login-link --url`, $NIGHTSHIFT_URL):
// an http(s) URL, checked before anything is sent or written, and named by where it came from.
import { NightshiftError } from '../errors.js';

/**
 * `value` without trailing slashes when it is an http(s) URL with no query or fragment (paths are
 * appended to it); else a USAGE error naming `from` (`--url`, `NIGHTSHIFT_URL`) and what to give.
 */
export function httpBaseUrl(value: string, from: string, what: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new NightshiftError(
      'USAGE',
      `${from} '${value}' is not an http(s) URL: give ${what}, e.g. http://127.0.0.1:7070`,
    );
  // A path is appended (`/events/…`, `/login/link/…`): after a `?` or `#` it would not be a path. An
  // empty one (`http://h/?`) parses to '' in url.search, so the text is looked at. The query is not
  // repeated in the message: it is where a token would sit.
  if (url.search || url.hash || /[?#]/.test(value))
    throw new NightshiftError(
      'USAGE',
      `${from} '${url.origin}${url.pathname}…' has a query or fragment: give ${what} alone, e.g. http://127.0.0.1:7070`,
    );
  // Credentials in the address would be printed in links and in "no daemon answers at …" messages.
  if (url.username || url.password)
    throw new NightshiftError(
      'USAGE',
      `${from} '${url.protocol}//${url.host}${url.pathname}' carries a user name or password: give ${what} without them`,
    );
  // The parsed form, not the text: `new URL` forgives surrounding spaces that fetch and a link would not.
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}
