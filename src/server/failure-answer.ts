// How every door of `serve` answers a failure: `{error: {code, message}}` with the status a client can act
// on, the same shape /api/v1 documents (docs/api.md). One place, so the older doors (POST /events, the
// decision pages, /metrics, the Slack and email doors) cannot drift back to a bare `{error: "..."}`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { apiErrorAnswer } from './api/errors.js';
import { MAX_DISCARD, pathWithoutCredentials } from './http-body.js';
import { send } from './router.js';
import { storeFailureAnswer } from './store-outage.js';

export interface FailureAnswerOptions {
  log: Logger;
  /** Whether a store outage already logged once covers this error (server/store-outage.ts). */
  absorbs?: ((err: unknown) => boolean) | undefined;
}

/** Query parameters whose values are credentials (a decision link's token, a login code, a signature). */
const CREDENTIAL_PARAM = /token|key|secret|sig|code|password|auth/i;

/**
 * The request path as it may be logged: what a refusal would leave out of it (pathWithoutCredentials: a
 * decision link's token, a login link's secret, anything shaped like a token) and credential-like query
 * values replaced, since whoever reads the log could use them.
 */
export function loggablePath(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  const path = pathWithoutCredentials(q < 0 ? url : url.slice(0, q));
  if (q < 0) return path;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      return CREDENTIAL_PARAM.test(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=[redacted]` : pair;
    })
    .join('&');
  return `${path}?${query}`;
}

/** Answers `err`: a client's mistake or refusal (4xx), a store outage (503/507), else a 500 that says little. */
export function answerFailure(
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  o: FailureAnswerOptions,
): void {
  // An event stream already sent its head: nothing can be answered any more, only cut.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const known = apiErrorAnswer(err);
  if (known) {
    // Refused before its body was read: Node reads and drops a body up to MAX_DISCARD, so the client
    // finishes sending and reads the answer (as readBody does for a 413); a larger or unsized one is
    // not read at all, and the connection closes after the answer.
    const announced = Number(req.headers['content-length'] ?? 0);
    const unread =
      !req.readableEnded && (announced > MAX_DISCARD || req.headers['transfer-encoding'] !== undefined);
    for (const [k, v] of Object.entries(known.headers ?? {})) res.setHeader(k, v);
    send(res, known.status, known.body, known.close || unread);
    return;
  }
  const unavailable = storeFailureAnswer(err);
  if (unavailable) {
    if (!o.absorbs?.(err))
      o.log.error({ err: (err as Error).message, path: loggablePath(req.url) }, 'request failed: store');
    // A damaged store file stays so until its operator restores it: nothing to retry in a second.
    if (unavailable.body.error.code !== 'STORE_CORRUPT') res.setHeader('retry-after', '1');
    send(res, unavailable.status, unavailable.body);
    return;
  }
  o.log.error({ err: (err as Error).message, path: loggablePath(req.url) }, 'request failed');
  send(res, 500, { error: { code: 'INTERNAL', message: 'internal error (see the server log)' } });
}
