// Background checkpoints for long-running processes (`nightshift serve`).
//
// In WAL mode every commit appends to the WAL, and a checkpoint copies the WAL back into the database
// file and fsyncs it. SQLite's automatic checkpoint runs inside the commit that crosses the threshold, on
// the committing thread, which here is the event loop: while it copied tens of megabytes, every HTTP
// request and every run in the process waited. That was the whole tail of event-to-start latency
// (bench/substrate.ts, embedded: p99 17–22 ms with automatic checkpoints, 5–6 ms without). So a service
// turns automatic checkpoints off on its connection and a worker thread with its own connection does
// them instead. Short-lived CLI processes keep the automatic ones: nothing of theirs waits on a tail, and
// a WAL written only by them must still be checkpointed.
//
// The catch: SQLite rewinds the WAL only once a checkpoint has copied every frame, and a checkpoint on
// another connection cannot finish while writes keep arriving without a pause. Under sustained overload
// the WAL would grow without bound (measured: 600 MB in 10 s at 24,000 commits/s). So the committing
// thread watches the WAL size the checkpoint thread publishes and, past the automatic threshold, turns its
// own automatic checkpoint back on until the WAL has been rewound: overload brings back the old tail,
// never an unbounded file.
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { CheckpointThreadData, ThreadMessage } from './checkpoint-thread.js';
import { AUTOCHECKPOINT_PAGES } from './open.js';

export interface CheckpointerOptions {
  intervalMs?: number;
  /** WAL pages past which the committing thread checkpoints too (default: the automatic threshold). */
  limitPages?: number;
  /** Checkpoints fail (a full disk: `diskFull`); the thread retries them itself, every `retryMs` at most. */
  onFailing?: (reason: string, diskFull: boolean, retryMs: number) => void;
  /** A TRUNCATE pass begun at `startedAt` (Date.now()) completed: the WAL was all copied and cut back. */
  onTruncated?: (startedAt: number) => void;
  /** Checkpoints complete again. */
  onRecovered?: () => void;
  /** The thread died (restarted after `restartInMs`), or was restarted. */
  onThread?: (
    event: 'checkpoint thread died' | 'checkpoint thread restarted',
    detail: Record<string, unknown>,
  ) => void;
}

/** Longest wait before starting a thread that died again. */
const MAX_RESTART_MS = 60_000;

// A thread that fails a pass keeps running and retries (checkpoint-thread.ts). One that dies (an
// exception outside a pass, a crash) is started again after a doubling delay; meanwhile the committing
// connection checkpoints, so the WAL cannot grow without bound. Each death and restart is reported.
export class BackgroundCheckpointer {
  private worker: Worker | undefined;
  private readonly shared = new Int32Array(new SharedArrayBuffer(12));
  private readonly limitPages: number;
  private readonly data: CheckpointThreadData;
  private inline = false;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private deaths = 0;
  /** Why the thread last died, while it is down (the committing connection checkpoints meanwhile). */
  failure: string | undefined;
  /** Threads started after one died. */
  restarts = 0;

  constructor(
    private readonly db: Database.Database,
    path: string,
    private readonly options: CheckpointerOptions = {},
  ) {
    this.limitPages = options.limitPages ?? AUTOCHECKPOINT_PAGES;
    this.data = { path, intervalMs: options.intervalMs ?? 250, shared: this.shared };
    db.pragma('wal_autocheckpoint = 0');
    // The first pass truncates: a WAL left large by an earlier process (one killed on a full disk) gives
    // its space back at once, before this process's writes need it.
    this.giveSpaceBack();
    this.start();
  }

  private start(): void {
    const worker = new Worker(new URL('./checkpoint-thread.js', import.meta.url), { workerData: this.data });
    this.worker = worker;
    const startedAt = Date.now();
    // The thread must not keep a finished process alive.
    worker.unref();
    worker.on('message', (m: ThreadMessage) => {
      if (m.truncated !== undefined) this.options.onTruncated?.(m.truncated);
      if (m.recovered) this.options.onRecovered?.();
      else if (m.failed !== undefined)
        this.options.onFailing?.(
          m.failed,
          m.code === 'SQLITE_FULL' || /disk is full/i.test(m.failed),
          m.retryMs ?? 0,
        );
    });
    let died: string | undefined;
    worker.on('error', (err) => {
      died = err.message;
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (this.stopped) return;
      // A thread that lived a while had recovered: the next death starts the backoff again.
      if (Date.now() - startedAt > MAX_RESTART_MS) this.deaths = 0;
      this.deaths++;
      const delay = Math.min(MAX_RESTART_MS, 1000 * 2 ** (this.deaths - 1));
      this.fallBack(died ?? `checkpoint thread exited with code ${code}`, delay);
    });
  }

  /**
   * A write failed for lack of space: the next passes TRUNCATE the WAL (once they can copy it all), so the
   * space the WAL holds goes back to the disk instead of staying reserved for the WAL for good.
   */
  giveSpaceBack(): void {
    Atomics.store(this.shared, 2, 1);
  }

  /** WAL size at the thread's last pass, and how many passes it made. */
  get stats(): { walPages: number; passes: number } {
    return { walPages: Atomics.load(this.shared, 0), passes: Atomics.load(this.shared, 1) };
  }

  /** Called before each group commit: a shared-memory read, and a pragma only when crossing the limit. */
  beforeCommit(): void {
    if (this.failure !== undefined || !this.db.open) return;
    const pages = Atomics.load(this.shared, 0);
    if (!this.inline && pages >= this.limitPages) {
      this.inline = true;
      this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    } else if (this.inline && pages < this.limitPages / 2) {
      this.inline = false;
      this.db.pragma('wal_autocheckpoint = 0');
    }
  }

  /**
   * The thread is gone: the committing connection checkpoints again, so the WAL cannot grow forever,
   * until a new thread takes over after `delayMs`.
   */
  private fallBack(message: string, delayMs: number): void {
    this.failure = message;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    this.options.onThread?.('checkpoint thread died', { reason: message, restartInMs: delayMs });
    this.restartTimer = setTimeout(() => {
      if (this.stopped || !this.db.open) return;
      this.failure = undefined;
      this.inline = true;
      this.restarts++;
      this.start();
      this.options.onThread?.('checkpoint thread restarted', { restarts: this.restarts });
    }, delayMs);
    this.restartTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // Referenced again while it winds down: otherwise nothing keeps the event loop alive to see it exit.
    worker.ref();
    worker.postMessage('stop');
    await exited;
  }
}
