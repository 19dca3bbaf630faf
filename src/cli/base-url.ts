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
  // A path is appended (`/events/…`, `/login/link/…`): after a `?` or `#` it would not be a path.
  if (url.search || url.hash)
    throw new NightshiftError(
      'USAGE',
      `${from} '${value}' has a query or fragment: give ${what} alone, e.g. http://127.0.0.1:7070`,
    );
  return value.replace(/\/+$/, '');
}
