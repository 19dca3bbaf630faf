// The body of the background checkpointer (see checkpointer.ts): a worker thread with its own connection
// to the database file that copies the WAL back into the database every few hundred milliseconds, and
// publishes the WAL's size (in pages) in shared memory for the committing thread to read.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS } from './open.js';

export interface CheckpointThreadData {
  path: string;
  intervalMs: number;
  /** [0]: WAL pages at the last pass; [1]: passes made; [2]: 1 when the parent asks for a TRUNCATE pass. */
  shared: Int32Array;
}

const { path, intervalMs, shared } = workerData as CheckpointThreadData;
const port = parentPort!;
const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });

/** The longest pause between two passes while they fail. */
const MAX_RETRY_MS = 5000;
let timer: NodeJS.Timeout | undefined;
let retryMs = 0;
// After a failed pass or a write that failed on a full disk (the parent sets shared[2]), the next passes TRUNCATE: they copy every frame and cut the WAL file
// back to nothing, so the space the WAL took is given back to the database file. A PASSIVE pass rewinds
// the WAL without shrinking it, and the WAL (journal_size_limit is far above a small disk) would keep
// that space for good while the database file needed it to take the next checkpoint.
let truncate = false;
const tick = () => {
  try {
    // PASSIVE: never waits for a writer, never makes one wait. TRUNCATE waits (busy timeout), once.
    if (Atomics.exchange(shared, 2, 0) === 1) truncate = true;
    const [row] = db.pragma(`wal_checkpoint(${truncate ? 'TRUNCATE' : 'PASSIVE'})`) as {
      busy: number;
      log: number;
    }[];
    // -1 (with busy set): another connection was checkpointing, so this pass learnt nothing about the
    // WAL's size; keep the last figure rather than report an empty WAL.
    if (row!.log >= 0) Atomics.store(shared, 0, row!.log);
    Atomics.add(shared, 1, 1);
    if (retryMs > 0) port.postMessage({ recovered: true });
    retryMs = 0;
    if (row!.busy === 0) truncate = false;
  } catch (err) {
    // Kept alive: the pass is tried again, less and less often, and the parent hears of the first
    // failure (and of the recovery), so a full disk does not end checkpoints for good.
    const first = retryMs === 0;
    retryMs = Math.min(MAX_RETRY_MS, first ? intervalMs * 2 : retryMs * 2);
    truncate = true;
    const e = err as { code?: unknown; message: string };
    if (first)
      port.postMessage({ failed: e.message, code: typeof e.code === 'string' ? e.code : undefined, retryMs });
  }
  timer = setTimeout(tick, retryMs || intervalMs);
};

port.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  db.close();
  port.close();
});
timer = setTimeout(tick, intervalMs);
