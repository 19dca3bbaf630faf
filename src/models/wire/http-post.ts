// The POST of a model turn over node:http(s), the default transport of the wire adapters (a `fetch` in the
// model's settings replaces it). Why not the global fetch: a worker keeps one turn in flight per run, and
// over the 2 s of a streamed answer undici's fetch holds a Request, a Response, web streams, abort signals
// and a pool client per turn. Measured with bench/in-flight.ts (`--loops task:raw-fetch,task:raw-http`,
// the wire alone, no loop): 47 KB of live heap and ~300 KB of RSS per turn in flight through fetch, 16 KB and
// ~120 KB through node:http, and less than half the CPU per request (decision 040).
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** An HTTP answer as post.ts reads it, whichever transport fetched it. */
export interface PostAnswer {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  /** The body's bytes as they arrive; iterating it throws if the connection drops. Null: no body (fetch). */
  body: AsyncIterable<Uint8Array> | null;
  /** The whole body as text (for an error answer). */
  text(): Promise<string>;
}

// Keep-alive and no limit per origin, as undici's global pool: every run in flight holds its own connection
// while its answer streams, and the next turn reuses one.
const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/** The body decoded if the server compressed it anyway (none is asked for: no accept-encoding is sent). */
function decoded(res: http.IncomingMessage): Readable {
  const encoding = res.headers['content-encoding']?.trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined;
  if (!decoder) return res;
  res.on('error', (err) => decoder.destroy(err));
  return res.pipe(decoder);
}

async function readText(body: Readable): Promise<string> {
  body.setEncoding('utf8');
  let text = '';
  for await (const chunk of body) text += chunk as string;
  return text;
}

/**
 * POSTs `body` to `url` and settles with the answer once its headers are in. Aborting `signal` destroys the
 * request with the signal's reason: before the answer, the promise rejects with it; after, reading the body
 * throws it.
 */
export function httpPost(
  url: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<PostAnswer> {
  if (signal.aborted) return Promise.reject(signal.reason);
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const req = client.request(target, {
    method: 'POST',
    headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    agent: target.protocol === 'https:' ? agents['https:'] : agents['http:'],
  });
  // No closure here refers to `body`: a closure would keep it (2-3 KB) alive until the answer ends.
  const answer = answerOf(req, signal);
  req.end(body);
  return answer;
}

function answerOf(req: http.ClientRequest, signal: AbortSignal): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const onAbort = () => req.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    // The listener goes when the exchange is over, however it ends (answer read, error, abort).
    req.once('close', () => signal.removeEventListener('abort', onAbort));
    // `on`, not `once`: a second error with no listener would be thrown (after the answer, reject is a no-op).
    req.on('error', reject);
    req.once('response', (res) => {
      const flat: Record<string, string> = {};
      for (const [key, value] of Object.entries(res.headers)) {
        if (value !== undefined) flat[key] = Array.isArray(value) ? value.join(', ') : value;
      }
      const stream = decoded(res);
      resolve({
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        headers: flat,
        body: stream,
        text: () => readText(stream),
      });
    });
  });
}
