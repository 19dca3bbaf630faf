// The bench's load generator: how it POSTs an event. The client shares the machine's 2 cores with the
// workers and Postgres, so what it spends per POST is taken from the system it measures.
//
// - `fetch` (the default, what every sitting before 2026-12-04 used): Node's undici fetch with its default
//   agent, which opens a new connection whenever every open one is busy: a burst of 2,000 concurrent POSTs
//   opens hundreds of connections per worker, and costs this process ≈ 0.9 ms of CPU per POST.
// - `http`: node:http with a keep-alive agent of at most `sockets` connections per worker, as a producer with
//   a connection pool sends: the requests beyond that wait in the client, not in the server's accept queue.

import http from 'node:http';

export type ClientKind = 'fetch' | 'http';

export interface Answer {
  status: number;
  text: string;
}

export type Post = (url: string, headers: Record<string, string>, body: string) => Promise<Answer>;

export function poster(kind: ClientKind, sockets: number): { post: Post; close: () => void } {
  if (kind === 'fetch')
    return {
      async post(url, headers, body) {
        const res = await fetch(url, { method: 'POST', headers, body });
        // Read to the end: an unread body holds its connection.
        return { status: res.status, text: await res.text() };
      },
      close() {},
    };
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  return {
    post: (url, headers, body) =>
      new Promise<Answer>((resolve, reject) => {
        const req = http.request(
          url,
          { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => {
              text += d;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** `--client fetch|http` and `--sockets N` (per worker, for `http`) from the command line. */
export function clientFromArgv(argv: string[]): { kind: ClientKind; sockets: number } {
  const at = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const kind = at('client') ?? 'fetch';
  if (kind !== 'fetch' && kind !== 'http') throw new Error(`--client: "${kind}" is not fetch or http`);
  const sockets = Number(at('sockets') ?? 32);
  if (!Number.isInteger(sockets) || sockets < 1)
    throw new Error(`--sockets: "${at('sockets')}" is not a positive integer`);
  return { kind, sockets };
}
