// The held LISTEN connection that wakes a worker when another process queues work, kept alive across
// outages. A LISTEN lives on one connection: when that connection breaks (reset, server restart) or
// hangs (a stalled network: no error ever arrives, so a heartbeat query with a timeout finds it), the
// listener reconnects with capped exponential backoff and LISTENs again, then wakes the worker once,
// because notifications sent while it was away are lost. Until then the store reports itself not
// ready; polling keeps finding work meanwhile.
import type pg from 'pg';
import type { ConnectionHealth } from './connection-health.js';

export interface WorkListenerOptions {
  client: () => pg.Client;
  channel: string;
  onWork: () => void;
  health: ConnectionHealth;
  /** How often the held connection is checked with a query (a hung connection never errors). */
  heartbeatMs?: number;
  /** Reconnect backoff: first delay and cap. */
  backoffMs?: { first: number; max: number };
}

export class WorkListener {
  private client: pg.Client | undefined;
  private closed = false;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly heartbeatMs: number;
  private readonly backoff: { first: number; max: number };

  constructor(private readonly o: WorkListenerOptions) {
    this.heartbeatMs = o.heartbeatMs ?? 5000;
    this.backoff = o.backoffMs ?? { first: 100, max: 5000 };
  }

  /** The first connection: its failure is the caller's (serve then reports the subscription failed). */
  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearTimeout(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = this.o.client();
    // Errors after the connection is up (reset, timeout) come as events; the first one ends this client.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('Connection terminated')));
    client.on('notification', () => this.o.onWork());
    try {
      await client.connect();
      await client.query(`LISTEN ${this.o.channel}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.failures = 0;
    this.o.health.listener(undefined);
    this.scheduleHeartbeat(client);
  }

  private scheduleHeartbeat(client: pg.Client): void {
    this.heartbeat = setTimeout(() => {
      client.query('SELECT 1').then(
        () => {
          if (this.client === client && !this.closed) this.scheduleHeartbeat(client);
        },
        (err: unknown) => this.lost(client, err),
      );
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private lost(client: pg.Client, err: unknown): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    clearTimeout(this.heartbeat);
    client.removeAllListeners('end');
    // A hung connection would keep its socket forever: end it without waiting for the server.
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    void client.end().catch(() => {});
    this.o.health.listener((err as Error).message);
    this.reconnectLater();
  }

  private reconnectLater(): void {
    if (this.closed) return;
    const delay = Math.min(this.backoff.max, this.backoff.first * 2 ** this.failures);
    this.failures++;
    // Jitter: workers cut off together do not all come back in the same millisecond.
    this.retry = setTimeout(
      () => {
        this.connect().then(
          // Notifications sent while the connection was down are lost: look for work once now.
          () => this.o.onWork(),
          (err: unknown) => {
            this.o.health.listener((err as Error).message);
            this.reconnectLater();
          },
        );
      },
      delay / 2 + Math.random() * (delay / 2),
    );
    this.retry.unref();
  }
}
