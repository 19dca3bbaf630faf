// The daemon's route table (src/server/router.ts): a route matches on method and whole path, hands its
// handler the captured segments decoded, and a request no route takes is a 404 naming it (answered by the
// daemon's failure answer, server/failure-answer.ts).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { answerFailure } from '../../src/server/failure-answer.js';
import { router, send } from '../../src/server/router.js';

describe('router', () => {
  let server: Server;
  let base: string;
  before(async () => {
    const route = router([
      { method: 'GET', path: /^\/healthz$/, handle: (_req, res) => send(res, 200, { ok: true }) },
      {
        method: 'POST',
        path: /^\/events\/([^/]+)$/,
        handle: (_req, res, segments) => send(res, 202, { segments }),
      },
    ]);
    server = createServer((req, res) => {
      route(req, res).catch((err) => answerFailure(req, res, err, { log: pino({ level: 'silent' }) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('runs the route matching method and path, with its segments decoded', async () => {
    const res = await fetch(`${base}/events/order%2Fpaid`, { method: 'POST' });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { segments: ['order/paid'] });
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });

  it('answers 404 naming the request when the method or the whole path does not match', async () => {
    for (const [method, path] of [
      ['GET', '/events/x'],
      ['POST', '/events/x/y'],
      ['GET', '/healthz/more'],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.deepEqual(await res.json(), {
        error: { code: 'NOT_FOUND', message: `no route ${method} ${path}` },
      });
    }
  });

  it('refuses a malformed %-escape in a segment with 400', async () => {
    const res = await fetch(`${base}/events/%E0%A4%A`, { method: 'POST' });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /malformed %-escape/);
  });
});
