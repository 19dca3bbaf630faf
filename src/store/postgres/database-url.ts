// A Postgres URL checked before anything connects with it. node-postgres takes almost any string: `garbage`
// became host `base` (getaddrinfo ENOTFOUND), `mysql://…` was connected to as Postgres, and
// `?query_timeout=abc` made every query time out at once ("Query read timeout"). All of those are
// connection failures to `serve`, which then waited for ever for a database that a setting, not an
// outage, kept away. A bad URL is a bad setting: CONFIG_INVALID (exit 2), naming where it came from and
// what is wrong, with its password never shown.
import { MAX_TIMER_MS } from '../../config/timer-limit.js';
import { NightshiftError } from '../../errors.js';

/** The forms pg-connection-string reads: a URL of these schemes, or a socket folder (`/run/postgresql db`). */
const SCHEMES = new Set(['postgres:', 'postgresql:', 'socket:']);

/** Postgres' own bound for its timeout settings (an int, in milliseconds). */
const PG_INT_MAX = 2_147_483_647;

/**
 * The URL's parameters node-postgres reads as numbers, with the values it can use. Anything else it turns
 * into nonsense silently: `parseInt` reads `5s` as 5 ms, and a timer of `abc` or `-5` fires at once.
 * `empty`: an empty value is accepted (it sends none of that setting, docs/deployment.md).
 */
const NUMERIC: Record<string, { min: number; max: number; empty: boolean }> = {
  port: { min: 1, max: 65_535, empty: false },
  query_timeout: { min: 1, max: MAX_TIMER_MS, empty: false },
  statement_timeout: { min: 0, max: PG_INT_MAX, empty: true },
  lock_timeout: { min: 0, max: PG_INT_MAX, empty: true },
  idle_in_transaction_session_timeout: { min: 0, max: PG_INT_MAX, empty: true },
};

const EXAMPLE = 'postgres://user:password@host:5432/database';

/** `url` with its password (in the userinfo or a `password=` parameter) replaced by `***`. */
export function redactedUrl(url: string): string {
  // The userinfo ends at the authority's last `@` (a password may hold a raw `@`).
  const withoutPassword = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i, (_, head, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${head}${colon < 0 ? userinfo : `${userinfo.slice(0, colon)}:***`}@`;
  });
  return withoutPassword.replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** As an error message shows a value: control characters escaped, cut past 200 characters. */
function shown(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text).slice(1, -1);
}

/**
 * Throws CONFIG_INVALID, naming `source` (NIGHTSHIFT_DATABASE_URL, the option it came from), unless `url`
 * is one node-postgres reads as meant: a postgres:// or postgresql:// URL (with no host, node-postgres'
 * default: PGHOST, else localhost) and well-formed numeric parameters, or one of pg's socket forms.
 */
export function checkDatabaseUrl(url: string, source: string): void {
  function bad(what: string, show = true): never {
    throw new NightshiftError(
      'CONFIG_INVALID',
      `${source} ${what}${show ? `, got '${shown(redactedUrl(url))}'` : ''}`,
    );
  }
  // pg's unix socket form: a folder, then the database name after a space.
  if (url.startsWith('/')) return;
  const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(url)?.[1]?.toLowerCase();
  // Not shown: a string with no scheme may be anything, a password pasted in the wrong place among them.
  if (scheme === undefined)
    bad(`is not a Postgres URL: it has no postgres:// scheme (expected ${EXAMPLE})`, false);
  else if (!SCHEMES.has(scheme))
    bad(`must be a postgres:// or postgresql:// URL (${EXAMPLE}), not ${scheme}//`, false);
  let parsed: URL;
  try {
    // As pg-connection-string parses it: spaces encoded, and an empty host after the userinfo allowed.
    const text = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(url)
      ? encodeURI(url).replace(/%25(\d\d)/g, '%$1')
      : url;
    try {
      parsed = new URL(text);
    } catch {
      parsed = new URL(text.replace('@/', '@___DUMMY___/'));
    }
  } catch {
    bad(`is not a valid URL (expected ${EXAMPLE})`);
  }
  if (scheme === 'socket:') return;
  // No host (`postgres:///db`) is node-postgres' default host: PGHOST, else localhost. A common form (a
  // local socket through PGHOST), so it is taken as written.
  for (const [name, bound] of Object.entries(NUMERIC)) {
    const value = parsed.searchParams.get(name);
    if (value === null || (value === '' && bound.empty)) continue;
    const n = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
    if (!(n >= bound.min && n <= bound.max))
      bad(
        `has ${name}=${shown(value)}: it must be a whole number from ${bound.min} to ${bound.max} (digits only${name === 'port' ? '' : ', in milliseconds'})`,
      );
  }
}
