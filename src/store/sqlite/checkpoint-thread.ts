// The body of the background checkpointer (see checkpointer.ts): a worker thread with its own connection
// to the database file that copies the WAL back into the database every few hundred milliseconds, and
// publishes the WAL's size (in pages) in shared memory for the committing thread to read.
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS } from './open.js';

export interface CheckpointThreadData {
  path: string;
  intervalMs: number;
  /** [0]: WAL pages at the last pass; [1]: passes made; [2]: 1 when the parent asks for a TRUNCATE pass. */
  shared: Int32Array;
}

/** What the thread tells the parent: a failure (the first of a series), a recovery, a completed TRUNCATE. */
export interface ThreadMessage {
  failed?: string;
  code?: string;
  retryMs?: number;
  recovered?: boolean;
  /** When the TRUNCATE pass that just completed began (Date.now()). */
  truncated?: number;
}

const { path, intervalMs, shared } = workerData as CheckpointThreadData;
const port = parentPort!;
const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
const pageSize = db.pragma('page_size', { simple: true }) as number;

// Below this much free space (or four times the WAL's size) every pass truncates. A rewound WAL keeps its
// largest size on disk (that is what makes appending cheap), so on a small or nearly full disk the WAL's
// peak would stay taken for good, and the database file, which a checkpoint must grow into, would run out
// of room first. Truncating costs a file resize per pass and makes writers wait while the pass copies;
// on a disk with room to spare the passes stay PASSIVE.
const LOW_SPACE_BYTES = 64 * 1024 * 1024;
function lowOnSpace(walPages: number): boolean {
  try {
    const fs = statfsSync(dirname(path));
    const free = fs.bavail * fs.bsize;
    return free < LOW_SPACE_BYTES || free < 4 * walPages * pageSize;
  } catch {
    return false;
  }
}

/**
 * The longest pause between two passes while they fail. Short: while they fail for lack of space, writes
 * are held (wal-gate.ts) until one completes, so once space is back the next pass must come soon.
 */
const MAX_RETRY_MS = 1000;
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
    if (Atomics.exchange(shared, 2, 0) === 1 || lowOnSpace(Atomics.load(shared, 0))) truncate = true;
    const startedAt = Date.now();
    const [row] = db.pragma(`wal_checkpoint(${truncate ? 'TRUNCATE' : 'PASSIVE'})`) as {
      busy: number;
      log: number;
      checkpointed: number;
    }[];
    // -1 (with busy set): another connection was checkpointing, so this pass learnt nothing about the
    // WAL's size; keep the last figure rather than report an empty WAL.
    if (row!.log >= 0) Atomics.store(shared, 0, row!.log);
    Atomics.add(shared, 1, 1);
    const done = row!.busy === 0 || (row!.log >= 0 && row!.log === row!.checkpointed);
    if (truncate && done) port.postMessage({ truncated: startedAt } satisfies ThreadMessage);
    if (retryMs > 0) port.postMessage({ recovered: true } satisfies ThreadMessage);
    retryMs = 0;
    if (done) truncate = false;
  } catch (err) {
    // Kept alive: the pass is tried again, less and less often, and the parent hears of the first
    // failure (and of the recovery), so a full disk does not end checkpoints for good.
    const first = retryMs === 0;
    retryMs = Math.min(MAX_RETRY_MS, first ? intervalMs * 2 : retryMs * 2);
    truncate = true;
    const e = err as { code?: unknown; message: string };
    if (first)
      port.postMessage({
        failed: e.message,
        code: typeof e.code === 'string' ? e.code : undefined,
        retryMs,
      } satisfies ThreadMessage);
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
