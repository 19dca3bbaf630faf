// A route table for the daemon's few endpoints: method, path pattern, handler. Path segments captured by
// the pattern reach the handler URL-decoded; a request no route matches is a 404 HttpError.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { redactSecrets } from '../auth/secret.js';
import { decodeSegment, HttpError, pathForMessage, requestUrl } from './http-body.js';

export interface Route {
  /** `*`: every method (the API, which authenticates before it says whether a method is served). */
  method: 'GET' | 'POST' | '*';
  /** Matched against the whole path; each capture group is one decoded segment for the handler. */
  path: RegExp;
  handle(req: IncomingMessage, res: ServerResponse, segments: string[]): Promise<void> | void;
}

/**
 * Answers with a JSON body. `close`: the connection is closed after (the request was not read to its end).
 * A refusal's message (`{error: {message}}`, 4xx or 5xx) may quote what the client sent, an id or a value,
 * where a credential can be: every door's refusal is written here, so it is redacted here (redactSecrets).
 */
export function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(status >= 400 ? withoutCredentials(body) : body));
}

function withoutCredentials(body: unknown): unknown {
  const error = (body as { error?: unknown } | null)?.error;
  if (typeof error !== 'object' || error === null) return body;
  const { message } = error as { message?: unknown };
  if (typeof message !== 'string') return body;
  return { ...(body as object), error: { ...error, message: redactSecrets(message) } };
}

/** A request handler that runs the first route matching the method and path. */
export function router(routes: readonly Route[]) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    // HEAD is answered as GET (RFC 9110 §9.3.2): Node's response drops the body of an answer to HEAD.
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    for (const route of routes) {
      if (route.method !== '*' && method !== route.method) continue;
      const match = route.path.exec(url.pathname);
      if (match)
        return route.handle(
          req,
          res,
          match.slice(1).map((s) => decodeSegment(s, url.pathname)),
        );
    }
    // pathForMessage leaves out what the path carries as a credential (a decision link's token, a login
    // link's secret, anything shaped like a token): not repeated any more than it is logged.
    throw new HttpError(404, `no route ${req.method} ${pathForMessage(url.pathname)}`);
  };
}
