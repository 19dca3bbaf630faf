// The HTTP server's limits on slow and numerous clients (docs/deployment.md): how long a client may take
// to send a request's headers, and the whole request, how long an idle keep-alive connection stays, and how
// many connections are open at once. Node's own defaults (60 s for headers, checked only every 30 s, 5 min
// for a request, no connection limit) let a few clients that dribble their headers hold sockets for
// minutes each, without end in number.
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { httpErrorCode } from './api/errors.js';

export interface HttpLimits {
  /** A request whose headers are not all in by then is answered 408 and its connection closed. */
  headersTimeoutMs: number;
  /**
   * The whole request, body included. Only the request: an answer that streams (the run event stream)
   * runs on after the request is in, however long.
   */
  requestTimeoutMs: number;
  /**
   * An idle keep-alive connection is closed after this. Node's 5 s by default: a long idle time lets one
   * client hold many connections open with a request every minute; behind a load balancer set it above
   * the balancer's idle timeout (docs/deployment.md).
   */
  keepAliveTimeoutMs: number;
  /** Connections open at once, event streams included; past it a new connection is closed as it arrives. */
  maxConnections: number;
}

/** The limits when nothing sets them (config/serve-settings.ts has the same defaults). */
export const HTTP_LIMITS: Readonly<HttpLimits> = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  // A bound on file descriptors, not a fair share: far above what one daemon serves at once (webhook
  // senders, API clients, event streams), so a client filling it has to hold thousands of sockets.
  maxConnections: 10_000,
};

/** Options for createServer: the timeouts, checked often enough that a limit is kept to within a second. */
export function httpServerOptions(l: HttpLimits): ServerOptions {
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    // Node looks for requests past their timeouts every 30 s by default: a 20 s headers timeout would be
    // kept only to within 50 s. A quarter of the shortest timeout, at most 1 s (a cheap sweep).
    connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(l.headersTimeoutMs / 4))),
  };
}

/** What createServer's options cannot set. */
export function applyHttpLimits(server: Server, l: HttpLimits): void {
  server.maxConnections = l.maxConnections;
  server.on('clientError', answerClientError);
}

/**
 * A request Node's own parser refuses before any route sees it (a control character in a header, headers
 * over its 16 KiB, a malformed request line, a timeout): Node's default answer is a bare status line with
 * no body, against docs/api.md's "every failure is {"error": …}". Answered here in that shape, then the
 * connection is closed, as Node does (the stream may be out of step with HTTP's framing). What the client
 * sent is not quoted: the parser's message is about bytes it could not read.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // Gone, nothing to answer (a connection reset mid-request), or an answer already begun on this
  // connection (a status line now would land inside it): as Node does, just close.
  if (err.code === 'ECONNRESET' || !socket.writable || (socket as Socket).bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'the request headers are over 16 KiB']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request was not received in time']
        : [400, 'Bad Request', `the request is not valid HTTP (${err.code ?? 'unreadable'})`];
  const body = JSON.stringify({ error: { code: httpErrorCode(status), message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
