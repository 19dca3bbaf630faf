// The browser's way in (src/auth/session.ts): GET /login (a form for a token, or who is logged in and a
// logout button), POST /login (a token → a session cookie), GET /login/link/<secret> (a page with one
// button; opening a link spends nothing, so mail scanners and previews cannot use it up), POST /login/link
// (spends the one-time link → a session), POST /logout (CSRF-checked). Nothing else is served here: the
// console builds on these.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Authenticator,
  CSRF_FIELD,
  CSRF_HEADER,
  clearedSessionCookie,
  endSession,
  isHttps,
  openSession,
  readSessionCookie,
  requireFormCsrf,
  sendPage,
  sessionCookie,
  useLoginLink,
} from '../auth/index.js';
import { redactSecrets } from '../auth/secret.js';
import { isNightshiftError, NightshiftError } from '../errors.js';
import type { AccessTokenRecord, AccessTokens } from '../store/types.js';
import { apiErrorAnswer } from './api/errors.js';
import { escapeHtml } from './escape-html.js';
import { HttpError, MAX_FORM, readBody } from './http-body.js';
import type { Route } from './router.js';

/** Where a browser goes once logged in: the console's inbox (src/console/). */
export const AFTER_LOGIN = '/console/';

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`;
}

const loginForm = (message = '', code = '') =>
  page(
    'Log in to nightshift',
    `${message ? `<p id="message" role="alert"${code ? ` data-code="${escapeHtml(code)}"` : ''}>${escapeHtml(message)}</p>` : ''}
<form method="post" action="/login">
<p><label for="token">Access token</label><br>
<input id="token" name="token" type="password" autocomplete="off" required size="60"></p>
<p><button type="submit">Log in</button></p>
</form>
<p>Get a token with <code>nightshift token create --as NAME</code>, or a one-time link with
<code>nightshift token login-link --as NAME</code>.</p>`,
  );

/** An Origin header as a URL (lower case, a default port left out); undefined for `null` or a non-URL. */
function originOf(origin: string): URL | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `origin` names the host and port the request's Host header names. The Host is read as an address
 * of the Origin's scheme, so a default port spelt out (`agents.example.com:443`, as some proxies send) or
 * another letter case is the same host, while another host or port is not (`localhost` is not
 * `127.0.0.1`: a browser holds them apart too). The scheme is not compared: behind a proxy that ends TLS and
 * keeps Host, the daemon hears http while the page's Origin is https.
 */
function originIsHost(origin: URL, host: string | undefined): boolean {
  // A Host header is a host and an optional port: anything a URL would read as a path, a query or user
  // info (`good.example@evil.example`) is not one.
  if (!host || /[/?#@\\\s]/.test(host)) return false;
  try {
    return new URL(`${origin.protocol}//${host}`).host === origin.host;
  } catch {
    return false;
  }
}

export interface FormOptions {
  /** A body-less post (a script's logout) is an empty form. */
  allowEmpty?: boolean;
  /**
   * The origin people reach serve at (`serve.publicUrl`), accepted besides the one the Host header names:
   * behind a proxy that rewrites Host, the browser's Origin is this one, never the Host the daemon sees.
   */
  publicOrigin?: string | undefined;
}

/**
 * Refuses a post that is not from one of this server's own pages, on its headers alone (before any of the
 * body is read): what a browser marks cross-site, or an Origin that is neither the Host the request names
 * nor the configured public origin.
 */
export function requireOwnPage(req: IncomingMessage, o: FormOptions = {}): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    throw new HttpError(403, 'this form cannot be posted from another site');
  // `Origin: null` is what a sandboxed frame or a data: page sends: never one of this server's pages.
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const named = originOf(origin);
  if (!named || (named.origin !== o.publicOrigin && !originIsHost(named, req.headers.host)))
    throw new HttpError(403, `this form cannot be posted from ${origin}`);
}

/** A form post from one of this server's own pages (requireOwnPage), read (at most MAX_FORM bytes). */
export async function readForm(req: IncomingMessage, o: FormOptions = {}): Promise<URLSearchParams> {
  requireOwnPage(req, o);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const empty =
    req.headers['content-type'] === undefined &&
    req.headers['transfer-encoding'] === undefined &&
    Number(req.headers['content-length'] ?? 0) === 0;
  if (o.allowEmpty && empty) return new URLSearchParams();
  if (type !== 'application/x-www-form-urlencoded')
    throw new HttpError(415, 'post the form (application/x-www-form-urlencoded)');
  return new URLSearchParams((await readBody(req, MAX_FORM)).toString('utf8'));
}

/**
 * Whether a request is a browser's form post (what a page's `<form>` sends: a form body, or a navigation
 * that accepts HTML), not a script's (a logout with only the x-csrf-token header): a browser is answered
 * with a page it can show, a script with the JSON every door answers.
 */
function fromBrowserForm(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return (
    type === 'application/x-www-form-urlencoded' ||
    type === 'multipart/form-data' ||
    /\btext\/html\b/i.test(req.headers.accept ?? '')
  );
}

/**
 * A form door whose refusals (too large, not a form, cross-site, no session, no CSRF token) are pages when
 * a browser's form was refused, as the console's decision forms answer them: `refused` draws the page
 * from the status, the stable code and the message (redacted: it may quote what was sent). Anything else,
 * and every refusal of a script, is the daemon's JSON answer (failure-answer.ts).
 */
function formDoor(
  handle: Route['handle'],
  refused: (code: string, message: string) => string,
): Route['handle'] {
  return async (req, res, segments) => {
    try {
      await handle(req, res, segments);
    } catch (err) {
      const answer = fromBrowserForm(req) && !res.headersSent ? apiErrorAnswer(err) : undefined;
      if (!answer || answer.status >= 500) throw err;
      const { code, message } = answer.body.error;
      // The body was not read to its end (refused on its headers, or past MAX_DISCARD): the connection
      // closes after the page, as failure-answer.ts closes it after JSON.
      const extra: Record<string, string> = { ...answer.headers, 'cache-control': 'no-store' };
      if (!req.readableEnded || answer.close) extra.connection = 'close';
      sendPage(res, answer.status, refused(code, redactSecrets(message)), extra);
    }
  };
}

export function loginRoutes(o: {
  auth: Authenticator;
  store: AccessTokens;
  /** serve.publicUrl's origin (FormOptions.publicOrigin). */
  publicOrigin?: string | undefined;
}): Route[] {
  const formOptions = { publicOrigin: o.publicOrigin };
  /** Opens a session for the token and sends the browser on, the cookie set. */
  async function startSession(req: IncomingMessage, res: ServerResponse, token: AccessTokenRecord) {
    const now = Date.now();
    const s = await openSession(o.store, token);
    res.writeHead(303, {
      location: AFTER_LOGIN,
      'set-cookie': sessionCookie(s.secret, { secure: isHttps(req), expiresAt: s.expiresAt, now }),
      'cache-control': 'no-store',
    });
    res.end();
  }

  return [
    {
      method: 'GET',
      path: /^\/login$/,
      async handle(req, res) {
        if (!readSessionCookie(req)) return sendPage(res, 200, loginForm());
        try {
          const who = await o.auth.authenticate(req);
          sendPage(
            res,
            200,
            page(
              'nightshift',
              `<p>Logged in as <strong id="who">${escapeHtml(who.name)}</strong> (${escapeHtml(who.kind)}; ${escapeHtml(who.scopes.join(', '))}).</p>
<form method="post" action="/logout">
<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(who.csrf ?? '')}">
<p><button type="submit" id="logout">Log out</button></p>
</form>`,
            ),
          );
        } catch (err) {
          if (!isNightshiftError(err)) throw err;
          sendPage(res, 200, loginForm(err.message), { 'set-cookie': clearedSessionCookie(isHttps(req)) });
        }
      },
    },
    {
      method: 'POST',
      path: /^\/login$/,
      handle: formDoor(async (req, res) => {
        const secret = (await readForm(req, formOptions)).get('token')?.trim() ?? '';
        const token = await o.auth.activeToken({ secret });
        if (!token) return sendPage(res, 401, loginForm('That token is unknown, revoked or expired.'));
        await startSession(req, res, token);
      }, refusedLogin),
    },
    {
      method: 'GET',
      path: /^\/login\/link\/([^/]+)$/,
      handle(_req, res, [secret]) {
        sendPage(
          res,
          200,
          page(
            'Log in to nightshift',
            `<p>This one-time link opens a browser session. Nothing happens until you press the button.</p>
<form method="post" action="/login/link">
<input type="hidden" name="link" value="${escapeHtml(secret!)}">
<p><button type="submit" id="login">Log in</button></p>
</form>`,
          ),
        );
      },
    },
    {
      method: 'POST',
      path: /^\/login\/link$/,
      handle: formDoor(async (req, res) => {
        const secret = (await readForm(req, formOptions)).get('link') ?? '';
        let token: AccessTokenRecord | undefined;
        try {
          token = await o.auth.activeToken({ id: await useLoginLink(o.store, secret) });
          if (!token)
            throw new NightshiftError(
              'AUTH_REQUIRED',
              'the token behind this link was revoked or has expired',
            );
        } catch (err) {
          if (!isNightshiftError(err)) throw err;
          return sendPage(res, 401, loginForm(err.message));
        }
        await startSession(req, res, token);
      }, refusedLogin),
    },
    {
      method: 'POST',
      path: /^\/logout$/,
      handle: formDoor(async (req, res) => {
        // The session first (an anonymous post is refused before its body is read), then its CSRF token:
        // in the form field, or (a script's logout, no body) in the x-csrf-token header.
        requireOwnPage(req, formOptions);
        const who = await o.auth.authenticate(req, { csrfAfterForm: true });
        const form = await readForm(req, { ...formOptions, allowEmpty: true });
        const header = req.headers[CSRF_HEADER];
        requireFormCsrf(who, form.get(CSRF_FIELD) ?? (typeof header === 'string' ? header : undefined));
        const secret = readSessionCookie(req);
        if (secret) await endSession(o.store, secret);
        res.writeHead(303, {
          location: '/login',
          'set-cookie': clearedSessionCookie(isHttps(req)),
          'cache-control': 'no-store',
        });
        res.end();
      }, refusedLogout),
    },
  ];
}

/** A refused login form: the form again, saying why (its code in `data-code`). */
const refusedLogin = (code: string, message: string) => loginForm(message, code);

/** A refused logout: why, and the way back to the login page (which says whether a session is open). */
const refusedLogout = (code: string, message: string) =>
  page(
    'Not logged out',
    `<p id="message" role="alert" data-code="${escapeHtml(code)}">${escapeHtml(message)}</p>
<p><a href="/login">Back to the login page</a></p>`,
  );
