// A test's own HTTP server on a free loopback port for the length of a suite: listening before its first
// test, closed (open connections too) after its last.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';

/** Registers the suite's before/after hooks; `origin` (`http://127.0.0.1:<port>`) is set once listening. */
export function listenDuringSuite(server: Server): { readonly origin: string } {
  const at = { origin: '' };
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    at.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return at;
}
