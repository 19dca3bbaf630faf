// A worker as `nightshift serve` runs it: `runtime.work` with every outcome in the log (runs settled,
// agents' lifecycle, errors), store outages logged once rather than once per failed claim, and a stop
// that waits a grace period for running steps.
import type { Logger } from 'pino';
import type { Role } from '../roles/schema.js';
import type { Runtime, WorkHandle } from '../runtime.js';
import { logLifecycleEvent, logRunOutcome, logWorkerError } from './run-log.js';
import { logStoreOutages, type StoreOutageLog } from './store-outage.js';

/** How long the runs stopped after the grace get to notice (their calls honour the abort signal). */
const STOP_DRIVING_MS = 2_000;

export interface LoggedWorker {
  handle: WorkHandle;
  outages: StoreOutageLog;
  /**
   * Stops taking work and resolves once the runs it started have finished or paused, or after `graceMs`:
   * then the runs still in flight are stopped where they are (their model or tool call aborted, nothing
   * more committed) and another worker (or this one, restarted) continues them from their last commit.
   */
  stop(graceMs: number): Promise<void>;
}

export function startLoggedWorker(
  runtime: Runtime,
  o: {
    roles: Role[];
    concurrency: number;
    pollMs?: number | undefined;
    storeBusyLimitMs?: number | undefined;
  },
  log: Logger,
): LoggedWorker {
  const abort = new AbortController();
  const stopDriving = new AbortController();
  const outages = logStoreOutages(runtime.store, log);
  const handle = runtime.work({
    roles: o.roles,
    concurrency: o.concurrency,
    pollMs: o.pollMs,
    ...(o.storeBusyLimitMs === undefined ? {} : { storeBusyLimitMs: o.storeBusyLimitMs }),
    signal: abort.signal,
    stopDriving: stopDriving.signal,
    onError: (err, runId, role) => outages.absorbs(err) || logWorkerError(log, err, runId, role),
    onLifecycleEvent: (event) => logLifecycleEvent(log, event),
    onRunSettled: (run) => logRunOutcome(log, run),
  });
  return {
    handle,
    outages,
    async stop(graceMs) {
      outages.stop();
      abort.abort();
      const graceOver = Symbol('grace over');
      const ended = await Promise.race([
        handle.done,
        new Promise((r) => setTimeout(() => r(graceOver), graceMs).unref()),
      ]);
      if (ended !== graceOver) return;
      // Without this a model or tool call in flight kept the process (and the run's lease) alive until it
      // returned, minutes past the grace, and its commit then failed on the closed store.
      stopDriving.abort();
      await Promise.race([handle.done, new Promise((r) => setTimeout(r, STOP_DRIVING_MS).unref())]);
    },
  };
}
