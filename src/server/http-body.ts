// Reading what an HTTP client sent: the body (bounded), its content type, and path segments. Every refusal
// is an HttpError with the status a client can act on: 400 malformed, 413 too large, 415 wrong media type.
import type { IncomingMessage } from 'node:http';
import { redactSecrets } from '../auth/secret.js';
import { syntaxErrorWithoutQuote } from '../json-syntax-error.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';

/** Largest body accepted. */
export const MAX_BODY = 1024 * 1024;
/**
 * Largest form accepted (login, logout, the console's and the email page's decisions). Forms are read
 * before their sender is known (the login token, the CSRF token and the link are in them), so anyone can
 * make the server hold this much per request; the largest real one (3,000 characters of answer, each
 * %-escaped, and a CSRF token) is under 30 KB.
 */
export const MAX_FORM = 64 * 1024;
/**
 * Past MAX_BODY the rest of a body is read and thrown away, so the client finishes sending and then reads
 * the 413 (a client still writing when the server closes sees a reset, not the answer, and an
 * at-least-once producer would retry forever). Past this much more, the connection is closed instead.
 */
export const MAX_DISCARD = 64 * 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Close the connection after answering (the request body was not read to its end). */
    readonly close = false,
  ) {
    super(message);
  }
}

/**
 * The body as bytes. Over `max` (MAX_BODY unless given): 413, after reading (and dropping) the rest up
 * to MAX_DISCARD; a body announced or found larger than that is answered 413 at once and the connection
 * closed.
 */
export function readBody(req: IncomingMessage, max = MAX_BODY): Promise<Buffer> {
  const tooLarge = `body larger than ${max} bytes`;
  const announced = Number(req.headers['content-length']);
  if (Number.isFinite(announced) && announced > MAX_DISCARD)
    return Promise.reject(new HttpError(413, tooLarge, true));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_DISCARD) {
        req.off('data', onData);
        req.pause();
        reject(new HttpError(413, tooLarge, true));
      } else if (size <= max) chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => (size > max ? reject(new HttpError(413, tooLarge)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/**
 * Refuses a body that is not declared JSON (415). A browser page can send `text/plain`, form and
 * multipart bodies to any address without asking (a "simple" cross-site request); a JSON content type
 * makes the browser ask first (CORS preflight), which this server never grants.
 */
export function requireJsonContentType(req: IncomingMessage): void {
  // Nothing here inflates a body: a gzip-encoded one was read as raw bytes, a plain body labelled gzip
  // was taken as if unlabelled. Either is the client's mistake, said as such rather than guessed at.
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity')
    throw new HttpError(
      415,
      `content-encoding ${req.headers['content-encoding']} is not accepted: send the JSON body uncompressed (no content-encoding)`,
    );
  const header = req.headers['content-type'];
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return;
  throw new HttpError(
    415,
    header
      ? `content-type ${header} is not accepted: send the body as JSON with content-type: application/json`
      : 'content-type is missing: send the body as JSON with content-type: application/json',
  );
}

/** The body as JSON (empty: `{}`); not JSON, or nested deeper than MAX_JSON_DEPTH (json-depth.ts): 400. */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  const text = body.toString('utf8');
  // The depth first: JSON.parse of a 1 MiB body of nested arrays takes 30 times as long as a flat one
  // (100-400 ms against 5-10 ms here), each a stall of the whole daemon, from any token; the scan takes
  // under a millisecond. Exact for JSON; text that is not JSON may be called too deep instead (400 either way).
  if (nestsDeeperThan(text))
    throw new HttpError(
      400,
      `body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep: send a flatter JSON value`,
    );
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 quotes the body around where parsing stopped, newlines and all: the position and the unexpected
    // character say enough (json-syntax-error.ts); that character is escaped when answered (api/errors.ts).
    throw new HttpError(400, `body is not JSON: ${syntaxErrorWithoutQuote(err as Error)}`);
  }
}

/**
 * A segment of `path` with its %-escapes decoded; a malformed escape is the client's error (400), which
 * names the segment as the whole path shows it (pathForMessage): it may be a link's token, redacted there.
 */
export function decodeSegment(segment: string, path: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `malformed %-escape in a segment of the path ${pathForMessage(path)}`);
  }
}

/** Where a request went: its path as sent (not normalised) and its query. */
export interface RequestTarget {
  pathname: string;
  searchParams: URLSearchParams;
}

/**
 * The request's path and query. The path is taken as the client sent it: `new URL(target, base)` read
 * `//api/v1/runs` as a host `api` and the path `/v1/runs`, and folded `/a/../b` into `/b`, so routes matched
 * and 404s named a path nobody asked for. An absolute-form target (`http://host/path`) is read as a URL;
 * anything else (`*`, garbage) is the client's error (400).
 */
export function requestUrl(req: IncomingMessage): RequestTarget {
  const raw = req.url ?? '/';
  if (raw.startsWith('/')) {
    const end = raw.search(/[?#]/);
    const pathname = end < 0 ? raw : raw.slice(0, end);
    const query = end >= 0 && raw[end] === '?' ? raw.slice(end + 1).replace(/#.*$/s, '') : '';
    return { pathname, searchParams: new URLSearchParams(query) };
  }
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new HttpError(400, `the request target ${pathForMessage(raw)} is not a path`);
  return { pathname: url.pathname, searchParams: url.searchParams };
}

/**
 * Paths whose next segment is a credential: a decision link's token (`/decide/<token>`) and a login link's
 * secret (`/login/link/<secret>`). Matched anywhere in the path and in any letter case: `/LOGIN/link/…`
 * is routed nowhere, but what it carries is the same secret, and behind a proxy that keeps its prefix the
 * route starts further in.
 */
const CREDENTIAL_ROUTE = /(\/(?:decide|login\/+link)\/+)[^/]+/gi;

/**
 * A request path as it may be repeated, in a refusal or in the log: the segment after a credential route
 * is `[redacted]`, and anything shaped like a secret elsewhere in it (`/x/nst_…`) is cut to its prefix.
 */
export function pathWithoutCredentials(path: string): string {
  return redactSecrets(path.replace(CREDENTIAL_ROUTE, '$1[redacted]'));
}

/**
 * A request path for an error message: as sent, with anything but printable ASCII %-escaped (a message is
 * one line, whatever bytes came in), without credentials (pathWithoutCredentials) and cut at 200
 * characters (a 16 KB path is not echoed whole).
 */
export function pathForMessage(path: string): string {
  // Redacted once escaped (a credential is ASCII, which escaping leaves as it is), so the `…` a secret is
  // cut to stays one, and before the cut, so no part of one is left at the end.
  const safe = pathWithoutCredentials(
    path.replace(
      /[^\x21-\x7e]/gu,
      (c) => `%${Buffer.from(c).toString('hex').toUpperCase().match(/../g)!.join('%')}`,
    ),
  );
  return safe.length > 200 ? `${safe.slice(0, 200)}…` : safe;
}
