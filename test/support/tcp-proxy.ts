// A TCP proxy on loopback that a test puts between nightshift and Postgres to break the connection on
// purpose: cut (reset every open connection), refuse (reset new ones at once), stall (stop moving bytes
// both ways, connections left open), restore (back to normal, stalled bytes flow again).
import { type AddressInfo, createServer, Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Resets every open connection (new ones are still accepted unless refuse() is on). */
  cut(): void;
  /** Resets every new connection as soon as it is accepted, until restore(). */
  refuse(): void;
  /** Stops forwarding in both directions on open and new connections, until restore(). */
  stall(): void;
  /** Ends refuse() and stall(); stalled connections carry on. */
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let refusing = false;
  let stalled = false;

  const pause = (p: Pair) => {
    p.client.pause();
    p.upstream.pause();
  };
  const resume = (p: Pair) => {
    p.client.resume();
    p.upstream.resume();
  };
  const reset = (p: Pair) => {
    p.client.resetAndDestroy();
    p.upstream.resetAndDestroy();
    pairs.delete(p);
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    const pair = { client, upstream };
    pairs.add(pair);
    upstream.connect(targetPort, targetHost);
    // Data is written by hand rather than piped, so a stall stops it at once (pause() stops reading).
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => client.write(d));
    const end = () => reset(pair);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    if (!stalled) client.resume();
    else pause(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    port,
    cut() {
      for (const p of [...pairs]) reset(p);
    },
    refuse() {
      refusing = true;
    },
    stall() {
      stalled = true;
      for (const p of pairs) pause(p);
    },
    restore() {
      refusing = false;
      stalled = false;
      for (const p of pairs) resume(p);
    },
    async close() {
      for (const p of [...pairs]) reset(p);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
