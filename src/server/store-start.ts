// `serve` started while its database is unreachable: a service started with its database (a reboot, a
// deploy, a database restarting) waits for it instead of exiting, as a running worker rides out an outage
// (decision 013). A busy store is waited out the same way: another process holding the SQLite file's write
// lock past its busy timeout, or a Postgres statement or lock timeout (another session holding a lock the
// migrations need), as a running worker waits out a busy store, and for as long (`storeBusyLimitMs`): a
// statement timeout set shorter than a migration repeats at every attempt, so an unbounded wait would
// never end. Only those are waited out: a refused
// login, a missing database or a schema that cannot be migrated fails the start at once (exit 1), since
// waiting would not change it.
import type { Logger } from 'pino';
import { isNightshiftError } from '../errors.js';

/** Backoff between attempts: 0.1 s doubling to 5 s, jittered, as the LISTEN connection reconnects. */
const FIRST_WAIT_MS = 100;
const MAX_WAIT_MS = 5_000;
/** While it waits, a reminder line this often, so a wrong host in the URL is not silent for long. */
const REMINDER_MS = 60_000;

/**
 * Why the start failed, when waiting can change it: the database could not be reached, or it was busy
 * (store-error.ts of either store marks both); undefined for anything else.
 */
function waitable(err: unknown): 'STORE_UNAVAILABLE' | 'STORE_BUSY' | undefined {
  if (!isNightshiftError(err) || err.code !== 'STORE_ERROR') return undefined;
  const d = err.details as
    | { connectionLost?: unknown; storeBusy?: unknown; sqliteCode?: unknown }
    | undefined;
  if (d?.connectionLost === true) return 'STORE_UNAVAILABLE';
  if (d?.storeBusy === true) return 'STORE_BUSY';
  // SQLITE_BUSY only: SQLITE_LOCKED is a conflict within one connection, which repeats at every attempt.
  if (typeof d?.sqliteCode === 'string' && /^SQLITE_BUSY/.test(d.sqliteCode)) return 'STORE_BUSY';
  return undefined;
}

/**
 * Opens with `open` until it succeeds, waiting out an unreachable or busy database; resolves undefined when
 * `stopped` fires first (SIGTERM, SIGINT, the parent of a `--worker-only` child gone), having opened nothing.
 */
export async function openWhenReachable<T>(
  open: () => Promise<T>,
  log: Logger,
  stopped: AbortSignal,
  /** Also a stop, checked before each attempt (a `--worker-only` child's parent that died during startup). */
  gone: () => boolean = () => false,
  /** How long a busy store is waited out before its error fails the start (`storeBusyLimitMs`). */
  busyLimitMs = 10 * 60_000,
): Promise<T | undefined> {
  let since: number | undefined;
  let busySince: number | undefined;
  let failures = 0;
  let lastReminder = 0;
  for (let waitMs = FIRST_WAIT_MS; ; waitMs = Math.min(waitMs * 2, MAX_WAIT_MS)) {
    if (stopped.aborted || gone()) return undefined;
    try {
      const opened = await open();
      if (since !== undefined)
        log.info({ outageMs: Date.now() - since, failures }, 'store available again: starting');
      return opened;
    } catch (err) {
      const code = waitable(err);
      if (code === undefined) throw err;
      failures++;
      const now = Date.now();
      if (code === 'STORE_BUSY') {
        busySince ??= now;
        if (now - busySince >= busyLimitMs) throw err;
      } else busySince = undefined;
      if (since === undefined || now - lastReminder >= REMINDER_MS) {
        const message = (err as Error).message;
        log.error(
          {
            code,
            reason: message,
            failures,
            waitingMs: since === undefined ? 0 : now - since,
          },
          code === 'STORE_BUSY'
            ? 'store busy at start: waiting for its lock (retrying with backoff up to 5 s)'
            : 'store unavailable at start: waiting for the database (retrying with backoff up to 5 s)',
        );
        since ??= now;
        lastReminder = now;
      }
    }
    if (stopped.aborted) return undefined;
    const delay = waitMs / 2 + Math.random() * (waitMs / 2);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delay);
      function done() {
        clearTimeout(timer);
        stopped.removeEventListener('abort', done);
        resolve();
      }
      stopped.addEventListener('abort', done, { once: true });
    });
  }
}
