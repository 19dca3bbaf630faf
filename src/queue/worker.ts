// The worker loop: claims queued runs (and runs whose worker died) from the store and drives them, up to
// a concurrency limit. Woken at once by work enqueued in this process; polls for work from elsewhere.
// While claims fail (the database is unreachable, the disk is full) the worker keeps going: it waits
// longer after each failed claim, up to MAX_CLAIM_BACKOFF_MS, and reports only the first failure of a
// streak, so an outage costs one log line and a few statements, not one of each per poll.
import { isNightshiftError } from '../errors.js';
import { storeOutageOf } from '../store/outage.js';
import type { RunRecord, RunSnapshot } from '../store/types.js';

export interface WorkerOptions {
  /** Claims up to `max` runs (one round trip for all the free slots). */
  claim: (max: number) => Promise<RunSnapshot[]>;
  drive: (claimed: RunSnapshot) => Promise<void>;
  /**
   * Drives a run again from what the store holds, taking its lease back (this worker still holds it, or
   * it expired). Used when a drive failed because the store could not take writes (disk full, database
   * unreachable): the run keeps its slot and is driven again, with backoff, until the store takes it.
   */
  resume?: (run: RunRecord) => Promise<void>;
  /**
   * How long a run may stay busy (every drive of it stopped by a statement or lock timeout, or a full
   * pool) before its re-drives end and `giveUpBusy` records it: a lock that is never released, or a
   * statement that always outlasts `statement_timeout`, would otherwise re-drive it for ever, unseen.
   */
  busyLimitMs?: number;
  /**
   * Ends a run's busy re-drives after `busyLimitMs`: records the busy time as a failed attempt (a retry
   * with the role's backoff, or the run failed with STORE_BUSY after its last). A store outage it meets
   * (that write blocked too) is waited out and it is tried again; RUN_LEASED: taken over, nothing to do.
   */
  giveUpBusy?: (run: RunRecord, err: unknown, busy: { ms: number; drives: number }) => Promise<void>;
  /**
   * How far the run has got past what a re-drive repeats (engine/busy-progress.ts), read at each busy
   * error: a value that changed since the busy time began means a drive in between moved past the write
   * that was blocked (a tool call finished, say), and the busy time counts afresh from this error. The
   * run's commit count would not do: every re-drive commits `run_resumed` before meeting the same write.
   */
  progress?: (runId: string) => Promise<number | undefined>;
  /**
   * Whether to claim now. False while the store is in a state no retry ends (its WAL can no longer be
   * synced: every claim of a non-idempotent call would fail, burning the runs' retries); checked each poll.
   */
  mayClaim?: () => boolean;
  concurrency: number;
  /** How often to look for work enqueued by other processes. */
  pollMs: number;
  signal: AbortSignal;
  onError: (err: unknown, run: RunRecord | undefined) => void;
}

/** The longest wait between two claims while they keep failing. */
export const MAX_CLAIM_BACKOFF_MS = 5000;

/** How long a run's drives may keep meeting a busy database before the busy time costs it an attempt. */
export const DEFAULT_STORE_BUSY_LIMIT_MS = 10 * 60_000;

/** Wait after the n-th failed claim in a row: doubling from the poll interval (at least 100 ms), capped. */
export function claimBackoffMs(pollMs: number, failures: number): number {
  return Math.min(MAX_CLAIM_BACKOFF_MS, Math.max(pollMs, 100) * 2 ** Math.max(0, failures - 1));
}

export interface Worker {
  /** Look for work now (something was just enqueued here). */
  wake(): void;
  /** Resolves when the loop has stopped and every run it started has finished or paused. */
  done: Promise<void>;
  active(): number;
}

export function startWorker(o: WorkerOptions): Worker {
  const running = new Set<Promise<void>>();
  let wakeUp: (() => void) | undefined;
  let pending = false;
  let claimFailures = 0;
  const wake = () => {
    pending = true;
    wakeUp?.();
  };
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        o.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      o.signal.addEventListener('abort', done, { once: true });
    });
  // A run is not at fault when the store cannot take its commit: rather than leave it until its lease
  // runs out (or count the failure against its retries), drive it again once writes go through. The
  // first failure is reported (the outage log absorbs it); the retries are not.
  // A busy database (not an outage: it answers) is bounded: once the run's drives have met nothing but
  // busy for busyLimitMs, the time is recorded against the run (giveUpBusy) instead of driving it again.
  const driveThroughOutages = async (claimed: RunSnapshot): Promise<void> => {
    let busySince: number | undefined;
    let busyProgress: number | undefined;
    let busyDrives = 0;
    let last: unknown;
    const progressNow = async () => {
      try {
        return await o.progress?.(claimed.run.id);
      } catch {
        // Unread (the store is busy for reads too): no evidence of progress, the busy time goes on.
        return undefined;
      }
    };
    const noted = async (err: unknown) => {
      last = err;
      if (storeOutageOf(err) === 'busy') {
        const progress = await progressNow();
        const movedOn = progress !== undefined && busyProgress !== undefined && progress !== busyProgress;
        if (busySince === undefined || movedOn) {
          // On the monotonic clock: a wall-clock step must not make the busy time look an hour long.
          busySince = performance.now();
          busyDrives = 0;
        }
        if (progress !== undefined) busyProgress = progress;
        busyDrives++;
      } else {
        busySince = undefined;
        busyProgress = undefined;
        busyDrives = 0;
      }
    };
    try {
      return await o.drive(claimed);
    } catch (err) {
      if (!o.resume || storeOutageOf(err) === undefined) throw err;
      o.onError(err, claimed.run);
      await noted(err);
    }
    for (let failures = 1; !o.signal.aborted; failures++) {
      await pause(claimBackoffMs(o.pollMs, failures) * (0.75 + Math.random() * 0.25));
      if (o.signal.aborted) return;
      const busyMs = busySince === undefined ? 0 : performance.now() - busySince;
      const over =
        o.giveUpBusy && busySince !== undefined && busyMs >= (o.busyLimitMs ?? DEFAULT_STORE_BUSY_LIMIT_MS);
      try {
        if (over) return await o.giveUpBusy!(claimed.run, last, { ms: busyMs, drives: busyDrives });
        return await o.resume(claimed.run);
      } catch (err) {
        // Taken over meanwhile (its lease ran out and another worker has it): nothing left to do here.
        if (isNightshiftError(err) && err.code === 'RUN_LEASED') return;
        if (storeOutageOf(err) === undefined) throw err;
        // Once over the limit, only recording it is tried again: the busy time is not reset by its write.
        if (!over) await noted(err);
      }
    }
  };
  const loop = async () => {
    while (!o.signal.aborted) {
      pending = false;
      while (running.size < o.concurrency && !o.signal.aborted) {
        if (o.mayClaim?.() === false) break;
        let runs: RunSnapshot[];
        try {
          runs = await o.claim(o.concurrency - running.size);
          claimFailures = 0;
        } catch (err) {
          if (++claimFailures === 1) o.onError(err, undefined);
          break;
        }
        for (const claimed of runs) {
          const p: Promise<void> = driveThroughOutages(claimed)
            .catch((err) => o.onError(err, claimed.run))
            .finally(() => {
              running.delete(p);
              wake();
            });
          running.add(p);
        }
        if (runs.length === 0) break;
      }
      if (pending || o.signal.aborted) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          o.signal.removeEventListener('abort', done);
          resolve();
        };
        // Jittered while failing, so workers cut off together do not all retry in the same instant.
        const wait =
          claimFailures === 0
            ? o.pollMs
            : claimBackoffMs(o.pollMs, claimFailures) * (0.75 + Math.random() * 0.25);
        const timer = setTimeout(done, wait);
        wakeUp = done;
        o.signal.addEventListener('abort', done, { once: true });
      });
      wakeUp = undefined;
    }
    await Promise.allSettled(running);
  };
  return { wake, done: loop(), active: () => running.size };
}
