// The body of the background checkpointer (see checkpointer.ts): a worker thread with its own connection
// to the database file that copies the WAL back into the database every few hundred milliseconds, and
// publishes the WAL's size (in pages) in shared memory for the committing thread to read.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS } from './open.js';

export interface CheckpointThreadData {
  path: string;
  intervalMs: number;
  /** [0]: WAL pages at the last pass; [1]: passes made. */
  shared: Int32Array;
}

const { path, intervalMs, shared } = workerData as CheckpointThreadData;
const port = parentPort!;
const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });

let timer: NodeJS.Timeout | undefined;
const tick = () => {
  try {
    // PASSIVE: never waits for a writer, never makes one wait.
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number }[];
    // -1 (with busy set): another connection was checkpointing, so this pass learnt nothing about the
    // WAL's size; keep the last figure rather than report an empty WAL.
    if (row!.log >= 0) Atomics.store(shared, 0, row!.log);
    Atomics.add(shared, 1, 1);
    timer = setTimeout(tick, intervalMs);
  } catch (err) {
    port.postMessage({ failed: (err as Error).message });
    db.close();
    port.close();
  }
};

port.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  db.close();
  port.close();
});
timer = setTimeout(tick, intervalMs);
