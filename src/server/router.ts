// A route table for the daemon's few endpoints: method, path pattern, handler. Path segments captured by
// the pattern reach the handler URL-decoded; a request no route matches is a 404 HttpError.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeSegment, HttpError, pathForMessage, requestUrl } from './http-body.js';

export interface Route {
  /** `*`: every method (the API, which authenticates before it says whether a method is served). */
  method: 'GET' | 'POST' | '*';
  /** Matched against the whole path; each capture group is one decoded segment for the handler. */
  path: RegExp;
  handle(req: IncomingMessage, res: ServerResponse, segments: string[]): Promise<void> | void;
}

/** Answers with a JSON body. `close`: the connection is closed after (the request was not read to its end). */
export function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(body));
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
          match.slice(1).map((s) => decodeSegment(s)),
        );
    }
    // A decision link's token is a capability to decide: not repeated (where email links are off, or the
    // path is wrong) any more than it is logged (failure-answer.ts).
    const path = url.pathname.replace(/^(\/decide\/)[^/]+/, '$1[redacted]');
    throw new HttpError(404, `no route ${req.method} ${pathForMessage(path)}`);
  };
}
