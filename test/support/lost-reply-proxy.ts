// A TCP proxy on loopback in front of Postgres that loses one reply: once armed with a marker (a string
// the client will send as a statement's parameter, such as an idempotency key), the first reply that
// comes back on a connection after the client sent the marker is dropped and that client's connection
// reset. The statement ran (and, outside a transaction, committed) in the database; the client only sees
// its connection cut, as when a reply is lost on the network or a query timeout fires after COMMIT.
// Every other byte is forwarded untouched.
//
//   const proxy = await startLostReplyProxy(5432);
//   proxy.loseReplyTo('webhook:hook:d-1');  // the next statement carrying it "fails" after it committed
//   proxy.lost();                           // how many replies were lost so far
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface LostReplyProxy {
  port: number;
  /** The next reply to a message carrying `marker` is lost (once). */
  loseReplyTo(marker: string): void;
  lost(): number;
  close(): Promise<void>;
}

export async function startLostReplyProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<LostReplyProxy> {
  let marker: Buffer | undefined;
  let lost = 0;
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    // Set when this connection sent the marker: its next reply is the one lost.
    let carrying = false;
    let cut = false;
    client.on('data', (chunk: Buffer) => {
      if (marker && chunk.includes(marker)) {
        marker = undefined;
        carrying = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cut) return;
      if (carrying) {
        // The database answered (so it ran the statement): the answer never reaches the client.
        cut = true;
        lost++;
        client.resetAndDestroy();
        return;
      }
      client.write(chunk);
    });
    client.on('close', () => {
      // The database side stays open a moment on a cut connection, so the statement it received is not
      // cancelled by the client going away; it ends with the proxy.
      if (!cut) upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('lost-reply proxy: no port');
  return {
    port: address.port,
    loseReplyTo(m) {
      marker = Buffer.from(m, 'utf8');
    },
    lost: () => lost,
    async close() {
      for (const s of [...sockets]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
