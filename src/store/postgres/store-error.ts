// How Postgres failures reach callers: our own NightshiftErrors pass through unchanged; anything from
// Postgres or the network becomes STORE_ERROR saying what was being done. A lost connection is marked
// `connectionLost`: an outage, not a faulty write, so callers wait and try again (see store/outage.ts).
// A busy database (a statement or lock timeout, the pool's connections all in use) is marked `storeBusy`:
// not the run's fault either, and not an outage (the database answers), so it is waited out the same way.
import { NightshiftError } from '../../errors.js';
import { isConnectionFailure, isStoreBusy } from './connection-health.js';

export function storeError(what: string, err: unknown): NightshiftError {
  if (NightshiftError.isInstance(err)) return err;
  const lost = isConnectionFailure(err);
  // 53100: the server's disk is full (a table or a temporary file could not grow). Marked as SQLite's full
  // disk is: an outage that lasts until space is freed (HTTP 507 DISK_FULL, runs wait without spending
  // attempts), not a busy database given up on after `storeBusyLimitMs`.
  const diskFull = !lost && sqlState(err) === '53100';
  const busy = !lost && !diskFull && isStoreBusy(err);
  const hint = lost
    ? ' (the database could not be reached: `serve` waits for it, a one-shot command exits 1; try again once it is up)'
    : diskFull
      ? " (the database server's disk is full: nothing was written; free space on it)"
      : busy
        ? ' (the database is busy: a statement or lock timeout, every pooled connection in use, or the server short of memory (SQLSTATE 53000, 53200, 53300); nothing was written, try again shortly)'
        : '';
  return new NightshiftError(
    'STORE_ERROR',
    `Postgres store: ${what} failed: ${(err as Error).message}${hint}`,
    {
      cause: err,
      ...(lost
        ? { details: { connectionLost: true } }
        : diskFull
          ? { details: { diskFull: true } }
          : busy
            ? { details: { storeBusy: true } }
            : {}),
    },
  );
}

/** The SQLSTATE of a Postgres error, or of the error it wraps. */
function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    if (typeof e.code === 'string' && /^[0-9][0-9A-Z]{4}$/.test(e.code)) return e.code;
  return undefined;
}

/**
 * Whether Postgres itself refused a statement (an SQLSTATE error, so it rolled back): not a lost
 * connection (class 08) or a server going away (57P0x), after which a commit may have happened.
 */
export function refusedByPostgres(err: unknown): boolean {
  const code = ((err as { cause?: { code?: unknown } }).cause ?? err) as { code?: unknown };
  const state = code.code;
  // SQLSTATEs of refused statements start with a digit (22 data, 23 constraint, 40 rollback, 42 ...);
  // Node's socket errors (EPIPE, ECONNRESET) do not.
  return typeof state === 'string' && /^[0-9][0-9A-Z]{4}$/.test(state) && !/^(08|57P)/.test(state);
}
