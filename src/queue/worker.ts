// The worker loop: claims queued runs (and runs whose worker died) from the store and drives them, up to
// a concurrency limit. Woken at once by work enqueued in this process; polls for work from elsewhere.
import type { RunRecord, RunSnapshot } from '../store/types.js';

export interface WorkerOptions {
  /** Claims up to `max` runs (one round trip for all the free slots). */
  claim: (max: number) => Promise<RunSnapshot[]>;
  drive: (claimed: RunSnapshot) => Promise<void>;
  concurrency: number;
  /** How often to look for work enqueued by other processes. */
  pollMs: number;
  signal: AbortSignal;
  onError: (err: unknown, run: RunRecord | undefined) => void;
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
  const wake = () => {
    pending = true;
    wakeUp?.();
  };
  const loop = async () => {
    while (!o.signal.aborted) {
      pending = false;
      while (running.size < o.concurrency && !o.signal.aborted) {
        let runs: RunSnapshot[];
        try {
          runs = await o.claim(o.concurrency - running.size);
        } catch (err) {
          o.onError(err, undefined);
          break;
        }
        for (const claimed of runs) {
          const p: Promise<void> = o
            .drive(claimed)
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
        const timer = setTimeout(done, o.pollMs);
        wakeUp = done;
        o.signal.addEventListener('abort', done, { once: true });
      });
      wakeUp = undefined;
    }
    await Promise.allSettled(running);
  };
  return { wake, done: loop(), active: () => running.size };
}
