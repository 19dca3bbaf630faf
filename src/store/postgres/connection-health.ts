// Whether the Postgres store can currently reach its database: an outage starts at the first query, pool
// client or LISTEN connection that fails for lack of a connection (refused, reset, timed out) and ends at
// the next success. Listeners hear each transition once, so a worker logs an outage once (with how long
// it lasted and how many failures it absorbed), not once per claim tick; `/readyz` reads `current()`.
import type { StoreHealth } from '../types.js';

/**
 * Failures that say the database could not be reached or the connection broke (the statement may or may
 * not have run), as opposed to Postgres refusing a statement: Node's socket errors, pg's own connection
 * errors and timeouts, and the server's connection-class SQLSTATEs (08xxx, 57P01-57P03 shutdown).
 * Not a full pool (see isStoreBusy): every connection in use says the database is slow or busy, not gone.
 */
export function isConnectionFailure(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined; e; ) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (/^(E[A-Z]+|08...|57P0[1-3])$/.test(code) && code !== 'ENOENT') return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (
      /Connection terminated|Query read timeout|Client has encountered a connection error|Client was closed|connection timeout/i.test(
        message,
      )
    )
      return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * Failures that say the database is there but busy, so the same statement goes through a little later:
 * Postgres cancelled it for `statement_timeout` (57014) or gave up waiting for a lock (`lock_timeout`,
 * 55P03), both rolled back; or every pooled connection stayed in use for `connectTimeoutMs`
 * (pg-pool's "timeout exceeded when trying to connect" is only that wait: a new connection that cannot be
 * opened fails as "Connection terminated due to connection timeout", a lost connection); or Postgres
 * refused a new connection for its connection limit (53300 too_many_connections: `max_connections`, a
 * role's or a database's `CONNECTION LIMIT`), so nothing was sent. That one used to be an unknown error:
 * a request got 500 INTERNAL, which no producer retries, and its event was never recorded (2026-12-02:
 * the substrate bench's "stuck at N/2000" on a shared server other processes' pools had filled).
 * 53000 insufficient_resources and 53200 out_of_memory (also "out of shared memory": the lock table full,
 * which other sessions' locks can cause) the same way: Postgres refused the statement and rolled it back, and
 * the same statement may go through once the memory is free; a run waits that out as it waits out a lock
 * timeout (bounded by `storeBusyLimitMs`). They were unknown errors: 500 INTERNAL to a producer, a run failed
 * for a server short of memory for a moment. Not the rest of class 53: 53100 disk_full is a full disk
 * (store-error.ts, waited out as SQLite's is), and 53400 configuration_limit_exceeded (`temp_file_limit`)
 * comes back for the same statement on the same data every time, so waiting and sending again cannot help.
 */
export const BUSY_RESOURCE_STATES = new Set(['53000', '53200', '53300']);

export function isStoreBusy(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined; e; ) {
    if (
      e.code === '57014' ||
      e.code === '55P03' ||
      (typeof e.code === 'string' && BUSY_RESOURCE_STATES.has(e.code))
    )
      return true;
    if (typeof e.message === 'string' && /^timeout exceeded when trying to connect$/.test(e.message))
      return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** Outages less than this apart are one, for lastOutage() (a restart's aftershocks, a flapping network). */
export const OUTAGE_MERGE_MS = 10_000;

/**
 * A statement unanswered this long counts, for lastOutage(), as an outage going on: a stalled (black-holed)
 * connection sends no error until its query timeout (30 s), and a takeover claimed meanwhile on another,
 * fresh connection must see that this process was cut off too (decision 054).
 */
export const STALL_MS = 1_000;

/** A statement in flight: when it was sent, and the latest success this process had seen by then. */
export interface Sent {
  at: number;
  goodBefore: number;
}

export class ConnectionHealth {
  /** `from`: the start of the outage this one continues (see `ended`). */
  /**
   * `since`: the first failure (what the log and `/readyz` say); `start`: the last success before the
   * earliest failed statement was sent (where, for takeovers, the outage may have begun).
   */
  private down:
    | { since: number; start: number; reason: string; failures: number; from?: number | undefined }
    | undefined;
  /**
   * The latest outage that ended (Date.now() times). One that starts again within OUTAGE_MERGE_MS of its
   * end (a pooled connection broken by a restart failing only when next used, a flapping network) is the
   * same outage: it keeps its start.
   */
  private ended: { since: number; until: number } | undefined;
  private listenerDown: string | undefined = undefined;
  /** When health last flipped to not ok: an outage's length is told when it ends, whichever way it ends. */
  private unhealthySince: number | undefined;
  private readonly listeners = new Set<(health: StoreHealth, detail: Record<string, unknown>) => void>();
  /** When a statement last succeeded: the last moment this process knew the database reachable. */
  private lastGood = Date.now();
  private readonly inFlight = new Set<Sent>();

  current(): StoreHealth {
    if (this.down) {
      return {
        ok: false,
        code: 'STORE_UNAVAILABLE',
        reason: `Postgres unreachable since ${new Date(this.down.since).toISOString()}: ${this.down.reason}`,
      };
    }
    if (this.listenerDown !== undefined) {
      return { ok: false, code: 'STORE_UNAVAILABLE', reason: `LISTEN connection lost: ${this.listenerDown}` };
    }
    return { ok: true };
  }

  /**
   * This process's latest outage: the one going on (until now) or the last that ended. A takeover of a
   * lease that ran out in it is not counted as a crash of the holder (queue.ts).
   */
  lastOutage(): { since: number; until: number } | undefined {
    const now = Date.now();
    // A statement unanswered for STALL_MS: cut off since the last success before it was sent.
    let stalled: number | undefined;
    for (const s of this.inFlight)
      if (now - s.at >= STALL_MS) stalled = Math.min(stalled ?? s.goodBefore, s.goodBefore);
    const recent =
      this.ended !== undefined && now - this.ended.until <= OUTAGE_MERGE_MS ? this.ended : undefined;
    if (this.down) {
      const since = Math.min(this.down.from ?? this.down.start, stalled ?? Number.POSITIVE_INFINITY);
      return { since, until: now };
    }
    if (stalled !== undefined) return { since: Math.min(stalled, recent?.since ?? stalled), until: now };
    return this.ended;
  }

  /** A statement goes out now; pass what this returns to done() once it is answered (or has failed). */
  sending(): Sent {
    const s = { at: Date.now(), goodBefore: this.lastGood };
    this.inFlight.add(s);
    return s;
  }

  done(s: Sent): void {
    this.inFlight.delete(s);
    // A stall that ended in an answer (a network that held the packets and let them through) still left
    // this process cut off meanwhile: it is an outage for lastOutage(), as one that ended in an error.
    const now = Date.now();
    if (this.down || now - s.at < STALL_MS) return;
    const again = this.ended !== undefined && now - this.ended.until <= OUTAGE_MERGE_MS;
    const since = again ? Math.min(this.ended!.since, s.goodBefore) : s.goodBefore;
    this.ended = { since, until: Math.max(now, this.ended?.until ?? now) };
  }

  /**
   * Returns whether the failure was a lost connection (and so part of an outage). `sent`: the failed
   * statement's; without it (an idle pooled connection broke), the last success.
   */
  failed(err: unknown, sent?: Sent): boolean {
    if (!isConnectionFailure(err)) return false;
    // The outage began, as far as this process can tell, right after the last success it had seen when
    // the failed statement went out, not when the failure arrived: a black-holed statement fails only at
    // its timeout, and an idle process learns of a cut only at its next statement.
    const start = Math.min(sent?.goodBefore ?? this.lastGood, this.lastGood);
    if (this.down) {
      this.down.failures++;
      this.down.start = Math.min(this.down.start, start);
    } else
      this.change(() => {
        const now = Date.now();
        const again = this.ended !== undefined && now - this.ended.until <= OUTAGE_MERGE_MS;
        this.down = { since: now, start, reason: (err as Error).message, failures: 1 };
        if (again) this.down.from = Math.min(this.ended?.since ?? start, start);
      }, {});
    return true;
  }

  succeeded(): void {
    this.lastGood = Date.now();
    const down = this.down;
    if (!down) return;
    this.change(
      () => {
        this.down = undefined;
        this.ended = { since: down.from ?? down.start, until: Date.now() };
      },
      { outageMs: Date.now() - down.since, failures: down.failures },
    );
  }

  /** The LISTEN connection is lost (with why) or back (undefined). */
  listener(lost: string | undefined): void {
    if (this.listenerDown === lost) return;
    this.change(() => {
      this.listenerDown = lost;
    }, {});
  }

  watch(listener: (health: StoreHealth, detail: Record<string, unknown>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Listeners hear only flips between reachable and not. A flip back carries the outage's length
   * (`outageMs`) also when the LISTEN connection's return ended it (that one used to carry none).
   */
  private change(fn: () => void, detail: Record<string, unknown>): void {
    const before = this.current().ok;
    fn();
    const health = this.current();
    if (health.ok === before) return;
    const now = Date.now();
    if (!health.ok) this.unhealthySince = now;
    else if (this.unhealthySince !== undefined) detail = { ...detail, outageMs: now - this.unhealthySince };
    for (const l of this.listeners) l(health, detail);
  }
}
