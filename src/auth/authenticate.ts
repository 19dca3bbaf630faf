// The one check every authenticated door of `serve` makes first: who is asking (a bearer token, or a
// browser session cookie with its CSRF token on state-changing requests), and, if the route names one,
// whether they hold the scope. Refusals are NightshiftErrors the daemon answers as 401/403 (http.ts).

import type { IncomingMessage } from 'node:http';
import { type Clock, systemClock } from '../clock.js';
import { NightshiftError } from '../errors.js';
import type { PeopleDirectory } from '../people/config.js';
import { findPerson } from '../people/may-decide.js';
import { sharedFreshRead } from '../store/shared-read.js';
import type { AccessTokenRecord, AccessTokens } from '../store/types.js';
import { CSRF_HEADER, checkCsrf, csrfTokenFor, isSafeMethod } from './csrf.js';
import { type Principal, requireScope } from './principal.js';
import { knownScopes, type Scope } from './scopes.js';
import { hashSecret, isSecretShaped } from './secret.js';
import { readSessionCookie, sessionCookieSent } from './session.js';
import { TokenHashes } from './token-hashes.js';
import { tokenState } from './tokens.js';

export interface AuthenticateOptions {
  /** The scope this door needs: refused with AUTH_FORBIDDEN (403) without it. */
  scope?: Scope;
  /**
   * The CSRF token a form body carried (its `csrf` field), for a route that parsed the form before
   * authenticating. Without it, a session's state-changing request must carry the x-csrf-token header.
   */
  csrf?: string | undefined;
  /**
   * The route checks a session's CSRF token itself once it has read the form (requireFormCsrf): the
   * session is authenticated first, so an anonymous client cannot make the daemon read a form body.
   */
  csrfAfterForm?: boolean | undefined;
}

export interface Authenticator {
  /**
   * The principal the request speaks for. Throws AUTH_REQUIRED (401) with no credentials or an unknown,
   * revoked or expired token or session; CSRF_INVALID (403) for a session's state-changing request without
   * its CSRF token; AUTH_FORBIDDEN (403) without `options.scope`.
   */
  authenticate(req: IncomingMessage, options?: AuthenticateOptions): Promise<Principal>;
  /** The configured people (for mayDecideFor / requireDecideFor). */
  readonly people: PeopleDirectory | undefined;
  /** The token a login link or the login form named, if it is active (for opening a session). */
  activeToken(by: { secret: string } | { id: string }): Promise<AccessTokenRecord | undefined>;
}

export function createAuthenticator(o: {
  store: AccessTokens;
  people: PeopleDirectory | undefined;
  clock?: Clock;
  /** The remembered hashes of bearer tokens (a test passes its own to look inside). */
  tokenHashes?: TokenHashes;
}): Authenticator {
  const clock = o.clock ?? systemClock;
  const hashes = o.tokenHashes ?? new TokenHashes();
  // A burst's requests carry the same token: their reads of it share one statement (store/shared-read.ts),
  // sent after the last of them asked, so a token revoked before a request asked is refused all the same.
  const tokenByHash = sharedFreshRead((hash: string) => o.store.tokenByHash(hash));

  /** The token if it may be used now: not revoked, not expired, its person still configured. */
  function usable(t: AccessTokenRecord | undefined): AccessTokenRecord | undefined {
    if (!t || tokenState(t, clock.now()) !== 'active') return undefined;
    if (t.kind === 'person' && !(o.people && findPerson(o.people, t.name))) return undefined;
    return t;
  }

  const principal = (t: AccessTokenRecord, via: Principal['via'], csrf?: string): Principal => ({
    kind: t.kind,
    name: t.name,
    scopes: knownScopes(t.scopes),
    tokenId: t.id,
    via,
    ...(csrf ? { csrf } : {}),
  });

  async function fromBearer(header: string, scope: Scope | undefined): Promise<Principal> {
    const m = /^Bearer +(\S+)\s*$/i.exec(header);
    if (!m) throw refusal('the Authorization header must be "Bearer <token>"', scope);
    const secret = m[1]!;
    let token: AccessTokenRecord | undefined;
    if (isSecretShaped('token', secret)) {
      const hash = hashes.hash(secret);
      token = await tokenByHash(hash);
      // Only a token that may be used is remembered: a revoked or expired one's secret is not kept.
      if (usable(token)) hashes.remember(secret, hash);
    }
    const ok = usable(token);
    if (!ok)
      throw refusal(
        token
          ? `token ${token.id} is ${tokenState(token, clock.now()) === 'active' ? 'of a person no longer in people (nightshift.config.yaml)' : tokenState(token, clock.now())}`
          : 'the token is not known here',
        scope,
      );
    return principal(ok, 'token');
  }

  async function fromSession(req: IncomingMessage, secret: string, opts: AuthenticateOptions) {
    const found = await o.store.sessionByHash(hashSecret(secret));
    const now = clock.now();
    if (!found || found.session.endedAt !== null || found.session.expiresAt <= now || !usable(found.token))
      throw refusal(SESSION_GONE, opts.scope);
    const csrf = csrfTokenFor(secret);
    if (!isSafeMethod(req.method) && !opts.csrfAfterForm) {
      const header = req.headers[CSRF_HEADER];
      checkCsrf(csrf, opts.csrf ?? (typeof header === 'string' ? header : undefined));
    }
    return principal(found.token, 'session', csrf);
  }

  return {
    people: o.people,
    async authenticate(req, opts = {}) {
      const header = req.headers.authorization;
      const cookie = header === undefined ? readSessionCookie(req) : undefined;
      let p: Principal;
      if (header !== undefined) p = await fromBearer(header, opts.scope);
      else if (cookie !== undefined) p = await fromSession(req, cookie, opts);
      else if (sessionCookieSent(req)) throw refusal(SESSION_GONE, opts.scope);
      else throw refusal('no access token was sent', opts.scope);
      if (opts.scope) requireScope(p, opts.scope);
      return p;
    },
    async activeToken(by) {
      if ('id' in by) return usable(await o.store.getToken(by.id));
      if (!isSecretShaped('token', by.secret)) return undefined;
      return usable(await o.store.tokenByHash(hashSecret(by.secret)));
    },
  };
}

/** A session cookie that opens no session: its value is no session secret, or the session is gone. */
const SESSION_GONE = 'the browser session is unknown, has ended or has expired: log in again';

/** A 401 that says what to do; it never repeats what the client sent (that may be a secret). */
function refusal(why: string, scope: Scope | undefined): NightshiftError {
  const create = `nightshift token create --as NAME${scope ? ` --scope ${scope}` : ''}`;
  return new NightshiftError(
    'AUTH_REQUIRED',
    `${why}: send "Authorization: Bearer <token>" with a token${scope ? ` that has the scope ${scope}` : ''} (create one with: ${create}; add --service for a service)`,
    { details: scope ? { scope } : {} },
  );
}
