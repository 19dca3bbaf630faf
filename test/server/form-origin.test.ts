// The same-origin rule of the console's and login forms (requireOwnPage), on a real HTTP server on
// loopback: a post whose Origin names the host and port its Host header names is the server's own, however
// either spells a default port or letter case (`example.com:443` from a proxy is `https://example.com`);
// another host, another port, `null`, or a Host that is not a bare host[:port] is refused.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { describe, it } from 'node:test';
import { HttpError } from '../../src/server/http-body.js';
import { requireOwnPage } from '../../src/server/login-routes.js';
import { listenDuringSuite } from '../support/loopback.js';

const PUBLIC = 'https://agents.example.com';

describe('a form post Origin against the Host header', () => {
  const server = createServer((req, res) => {
    req.resume();
    try {
      requireOwnPage(req, { publicOrigin: PUBLIC });
      res.writeHead(204).end();
    } catch (err) {
      res.writeHead(err instanceof HttpError ? err.status : 500).end();
    }
  });
  const loopback = listenDuringSuite(server);

  /** The status of a post with exactly this Host and Origin (fetch cannot set Host). */
  const post = (host: string, origin: string) =>
    new Promise<number>((resolve, reject) => {
      const { port } = new URL(loopback.origin);
      const req = request(
        { host: '127.0.0.1', port: Number(port), method: 'POST', path: '/', headers: { host, origin } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end();
    });

  it('takes a Host that spells out the default port, or another case, as the same host', async () => {
    for (const [host, origin] of [
      ['agents.internal:443', 'https://agents.internal'],
      ['agents.internal:80', 'http://agents.internal'],
      ['Agents.Internal', 'https://agents.internal'],
      ['agents.internal', 'https://agents.internal'],
      ['127.0.0.1:7070', 'http://127.0.0.1:7070'],
      ['[::1]:7070', 'http://[::1]:7070'],
      // The public origin, whatever Host the proxy sent; spelt with its default port too.
      ['127.0.0.1:7070', PUBLIC],
      ['127.0.0.1:7070', `${PUBLIC}:443`],
    ] as [string, string][])
      assert.equal(await post(host, origin), 204, `${host} from ${origin}`);
  });

  it('refuses another host or port, an opaque origin, or a Host that is more than host and port', async () => {
    for (const [host, origin] of [
      ['agents.internal:8443', 'https://agents.internal'],
      ['agents.internal:443', 'http://agents.internal'],
      ['127.0.0.1:7070', 'http://localhost:7070'],
      ['localhost', 'http://127.0.0.1:7070'],
      ['127.0.0.1:7070', 'http://127.0.0.1:7071'],
      ['evil.example@agents.internal', 'https://evil.example'],
      ['evil.example/x', 'https://evil.example'],
      ['agents.internal', 'null'],
      ['agents.internal', 'https://agents.example.com.evil.example'],
    ] as [string, string][])
      assert.equal(await post(host, origin), 403, `${host} from ${origin}`);
  });
});
