// A TCP proxy on loopback for fault injection: tests point a client (a `nightshift serve` worker, a
// store) at the proxy's port instead of the real server's, then cut, refuse or stall the connections.
//
//   const proxy = await startTcpProxy(5432);
//   proxy.cut();      // destroys every open connection (clients see ECONNRESET)
//   proxy.refuse();   // new connections are reset as soon as they arrive
//   proxy.stall();    // connections stay open but nothing is forwarded, in either direction
//   proxy.restore();  // new connections are forwarded again
//   await proxy.close();
//
// A stall is a black hole: the connections open while it lasts (and the ones accepted during it) are
// never forwarded again, even after restore(), the way a dropped NAT mapping or a failed-over address
// behaves. Only the client's own timeouts or keepalives get it out; that is what a stall test checks.
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'forward' | 'refuse' | 'stall';

export interface TcpProxy {
  /** The port clients connect to (on 127.0.0.1). */
  port: number;
  /** Destroys every open connection now; what happens to new ones depends on the mode. */
  cut(): void;
  /** From now on, new connections are reset at once (existing ones are left alone: pair with cut()). */
  refuse(): void;
  /** From now on, nothing is forwarded on any connection, open or new (they hang; see the header). */
  stall(): void;
  /** New connections are forwarded again (stalled ones stay stalled). */
  restore(): void;
  /** Connections accepted so far (a reconnecting client makes this grow). */
  accepted(): number;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
  stalled: boolean;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward';
  let accepted = 0;
  const pairs = new Set<Pair>();

  const drop = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };
  const hang = (pair: Pair) => {
    // Reading stops on both sides and the pipes are cut: bytes already sent sit in kernel buffers.
    pair.stalled = true;
    pair.client.unpipe();
    pair.upstream?.unpipe();
    pair.client.pause();
    pair.upstream?.pause();
  };

  const server: Server = createServer((client) => {
    accepted++;
    client.on('error', () => {});
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: undefined, stalled: false };
    pairs.add(pair);
    client.on('close', () => drop(pair));
    if (mode === 'stall') {
      hang(pair);
      return;
    }
    const upstream = connect(targetPort, targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => drop(pair));
    upstream.on('close', () => drop(pair));
    upstream.on('connect', () => {
      if (pair.stalled) return;
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no port');

  return {
    port: address.port,
    cut() {
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.client.resetAndDestroy();
        pair.upstream?.destroy();
      }
    },
    refuse() {
      mode = 'refuse';
    },
    stall() {
      mode = 'stall';
      for (const pair of pairs) hang(pair);
    },
    restore() {
      mode = 'forward';
    },
    accepted: () => accepted,
    async close() {
      for (const pair of [...pairs]) drop(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
