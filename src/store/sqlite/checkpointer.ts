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
import type { CheckpointThreadData } from './checkpoint-thread.js';
import { AUTOCHECKPOINT_PAGES } from './open.js';

export interface CheckpointerOptions {
  intervalMs?: number;
  /** WAL pages past which the committing thread checkpoints too (default: the automatic threshold). */
  limitPages?: number;
}

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private readonly shared = new Int32Array(new SharedArrayBuffer(8));
  private readonly limitPages: number;
  private inline = false;
  private stopped = false;
  private exited = false;
  /** Why the thread stopped, if it failed; automatic checkpoints are then back on for good. */
  failure: string | undefined;

  constructor(
    private readonly db: Database.Database,
    path: string,
    options: CheckpointerOptions = {},
  ) {
    this.limitPages = options.limitPages ?? AUTOCHECKPOINT_PAGES;
    const data: CheckpointThreadData = { path, intervalMs: options.intervalMs ?? 250, shared: this.shared };
    db.pragma('wal_autocheckpoint = 0');
    this.worker = new Worker(new URL('./checkpoint-thread.js', import.meta.url), { workerData: data });
    // The thread must not keep a finished process alive.
    this.worker.unref();
    this.worker.on('message', (m: { failed?: string }) => this.fallBack(m.failed ?? 'unknown failure'));
    this.worker.on('error', (err) => this.fallBack(err.message));
    this.worker.on('exit', (code) => {
      this.exited = true;
      if (!this.stopped) this.fallBack(`checkpoint thread exited with code ${code}`);
    });
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

  /** The thread is gone: the committing connection checkpoints again, so the WAL cannot grow forever. */
  private fallBack(message: string): void {
    if (this.failure !== undefined) return;
    this.failure = message;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.exited) return;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    // Referenced again while it winds down: otherwise nothing keeps the event loop alive to see it exit.
    this.worker.ref();
    this.worker.postMessage('stop');
    await exited;
  }
}
