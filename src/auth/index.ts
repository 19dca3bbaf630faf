// Who may do what through serve's doors (docs/security-access.md, docs/decisions/030-access.md).
//
// THE CONTRACT (stable; the HTTP API, the MCP route and the console build on it):
//
//   const auth = createAuthenticator({ store, people });         // once, in the daemon (RouteContext.auth)
//   const who = await auth.authenticate(req, { scope: 'runs:read' }); // first thing in a route handler
//
// - `authenticate(req, {scope?, csrf?})` → `Principal` {kind: 'person'|'service', name, scopes, tokenId,
//   via: 'token'|'session', csrf?}. It reads `Authorization: Bearer nst_…` or, if absent, the session cookie.
//   Throws NightshiftError:
//     AUTH_REQUIRED  (401) no credentials; unknown, revoked or expired token or session; a person token
//                    whose person is no longer in people:
//     CSRF_INVALID   (403) a session's non-GET/HEAD/OPTIONS request without its CSRF token (the `csrf` form
//                    field passed as `options.csrf`, or the `x-csrf-token` header). A form route passes
//                    `options.csrfAfterForm` instead, reads the form only after the session is known, then
//                    calls `requireFormCsrf(principal, field)` (an anonymous client never makes it read a body)
//     AUTH_FORBIDDEN (403) `options.scope` given and not held
// - `requireScope(principal, scope)`: the same AUTH_FORBIDDEN check, for a route needing a second scope.
// - `mayDecideFor(principal, role, auth.people)` → boolean (show decide buttons or not);
//   `requireDecideFor(principal, role, auth.people)` throws AUTH_FORBIDDEN (no `decide`, or a service)
//   or PERSON_NOT_ALLOWED (people: does not let them decide that role). Call it before anything is written,
//   then pass `principal.name` as the deciding person (`by`).
// - `authErrorAnswer(err)` → {status, headers, body: {error: {code, message}}} for those codes, else
//   undefined; the daemon's error handler already uses it, so a route may simply let the error throw.
// - Scopes (scopes.ts): runs:read, events:send, decide, operate. No wildcard. `decide` only for persons.
// - Browser: openSession / sessionCookie / readSessionCookie / endSession, createLoginLink / useLoginLink
//   (session.ts); csrfTokenFor / checkCsrf / CSRF_FIELD / CSRF_HEADER (csrf.ts); pageHeaders / sendPage
//   with the Content-Security-Policy (headers.ts). Secrets never go to logs (`redactSecrets`).
export {
  type AuthenticateOptions,
  type Authenticator,
  createAuthenticator,
} from './authenticate.js';
export { CSRF_FIELD, CSRF_HEADER, checkCsrf, csrfTokenFor, isSafeMethod, requireFormCsrf } from './csrf.js';
export { CONTENT_SECURITY_POLICY, pageHeaders, sendPage } from './headers.js';
export { type AuthAnswer, authErrorAnswer } from './http.js';
export { mayDecideFor, type Principal, requireDecideFor, requireScope } from './principal.js';
export { parseScopes, SCOPES, type Scope, ScopeSchema } from './scopes.js';
export { hashSecret, redactSecrets } from './secret.js';
export {
  clearedSessionCookie,
  createLoginLink,
  endSession,
  isHttps,
  LOGIN_LINK_TTL_MS,
  openSession,
  readSessionCookie,
  SESSION_TTL_MS,
  sessionCookie,
  useLoginLink,
} from './session.js';
export {
  checkTokenRequest,
  DEFAULT_TOKEN_DAYS,
  type IssuedToken,
  issueToken,
  parseExpiry,
  revokeToken,
  type TokenRequest,
  tokenState,
} from './tokens.js';
