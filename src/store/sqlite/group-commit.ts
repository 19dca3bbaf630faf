// Group commit: every write the store makes (a commit batch, a new run, a lease change) is queued, and the
// writes queued in the same tick run in ONE SQLite transaction, each inside its own SAVEPOINT. On this
// kind of disk a WAL commit costs ~100 µs of I/O whatever its size, so concurrent runs sharing one COMMIT
// is what lets durability keep up with the engine. Each write is still atomic on its own: a write whose
// checks fail rolls back to its savepoint and leaves the others alone. A caller's promise settles only
// after the shared COMMIT returned, so "persisted before the next step" holds for every write.
//
// The connection runs synchronous=NORMAL: a commit survives a process crash at once, but a power cut only
// from the next checkpoint. A write marked durable (the claim of a call that must not run twice) settles
// only after the WAL holding its COMMIT has been fsynced (wal-sync.ts), so the claim is on disk before the
// side effect starts. That fsync runs off the event loop and is shared: every durable write committed
// while one is in flight waits for the next one, so at concurrency many runs' claims cost one fsync and
// the other runs keep committing meanwhile. Where the WAL file cannot be named (an in-memory database)
// the group commits at synchronous=FULL instead, which fsyncs inside COMMIT.
import type Database from 'better-sqlite3';
import { storeError } from './store-error.js';
import { WalSync } from './wal-sync.js';

interface Write {
  what: string;
  durable: boolean;
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Statement = Database.Statement<unknown[], unknown>;

/** How long flushes may chain in one turn of the event loop before the next waits for the next turn. */
const YIELD_AFTER_MS = 5;

export class GroupCommit {
  private pending: Write[] = [];
  private scheduled = false;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  private readonly savepoint: Statement;
  private readonly release: Statement;
  private readonly rollbackTo: Statement;
  private readonly flushSoon = () => this.flush();
  /** Group transactions begun, and how many of them carried a durable write (and were synced). */
  readonly stats = { transactions: 0, synced: 0 };
  /** Shares one fsync of the WAL among the durable writes committed while it runs; absent in memory. */
  private readonly walSync: WalSync | undefined;
  /** Runs before each group transaction (the background checkpointer's WAL-size check). */
  beforeFlush: (() => void) | undefined;
  /**
   * Runs before each group transaction: an error refuses the whole group (the WAL gate after a full
   * disk, wal-gate.ts) without touching the database.
   */
  admit: (() => Error | undefined) | undefined;
  /** Hears every failure (the store watches for a full disk) and, with no error, each COMMIT that succeeded. */
  onOutcome: ((err?: unknown) => void) | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    // IMMEDIATE: take the write lock before the first read, so a write that reads then writes (an
    // idempotency-key check, a queue claim) cannot lose a race with another process half-way through.
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT nightshift_write');
    this.release = db.prepare('RELEASE nightshift_write');
    this.rollbackTo = db.prepare('ROLLBACK TO nightshift_write');
    this.walSync = WalSync.forDatabase(db, path);
  }

  /** The fsyncs of the WAL, and how many durable writes they carried (more than one: shared). */
  get syncStats(): { fsyncs: number; writes: number } {
    const { fsyncs, writes } = this.walSync?.stats ?? { fsyncs: 0, writes: 0 };
    return { fsyncs, writes };
  }

  /** The WAL file durable writes sync, and how often its directory was synced (once, at open). */
  get walFile(): { path: string; directorySyncs: number } | undefined {
    return this.walSync && { path: this.walSync.walPath, directorySyncs: this.walSync.stats.directorySyncs };
  }

  /** Hears the first failed fsync of the WAL: durable writes fail from then on, until the store reopens. */
  set onWalSyncFailed(listener: (err: unknown) => void) {
    if (this.walSync) this.walSync.onFailed = listener;
  }

  /** Waits for the fsync in flight (close: no durable write is left unsettled, no fd left open). */
  async close(): Promise<void> {
    await this.walSync?.close();
  }

  /**
   * Runs `work` (synchronous SQL) in the next group transaction; settles after that transaction ends.
   * `durable`: that transaction's WAL is fsynced before it settles (survives a power cut).
   */
  write<T>(what: string, work: () => T, durable = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ what, work, durable, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.schedule();
      }
    });
  }

  /**
   * The next flush runs in this tick's microtasks, unless flushes have chained in them for longer than
   * YIELD_AFTER_MS: then it waits for the next turn of the event loop. With many runs in flight, a flush
   * settles many writes, each run goes straight on to its next write, which flushes in the same microtask
   * drain, and so on: timers and sockets waited 30–220 ms at 1,000 runs in flight (decision 040, evening).
   * Yielding only after a budget keeps a lone run's commits (sequential, no I/O between them) in one tick.
   */
  private schedule(): void {
    const now = performance.now();
    if (this.drainStartedAt === undefined) {
      this.drainStartedAt = now;
      setImmediate(this.endDrain);
    } else if (now - this.drainStartedAt > YIELD_AFTER_MS) {
      setImmediate(this.flushSoon);
      return;
    }
    queueMicrotask(this.flushSoon);
  }

  /** When the first write of this event-loop turn was scheduled; cleared at the turn's end. */
  private drainStartedAt: number | undefined;
  private readonly endDrain = () => {
    this.drainStartedAt = undefined;
  };

  /**
   * Runs every queued write now. Reads call this first, so a read sees every write issued before it;
   * `close` calls it so no write is left unsettled.
   */
  flush(): void {
    this.scheduled = false;
    const writes = this.pending;
    if (writes.length === 0) return;
    this.pending = [];
    this.beforeFlush?.();
    const refused = this.admit?.();
    if (refused) {
      this.failAll(writes, refused, 'held until the WAL is checkpointed');
      return;
    }
    // Without a WAL file to fsync, the level is read at COMMIT; it is set outside the transaction and
    // put back after it.
    const synced = this.walSync === undefined && writes.some((w) => w.durable);
    if (synced) {
      try {
        // Not a prepared statement: SQLite applies this pragma when the statement is prepared.
        this.db.pragma('synchronous = FULL');
      } catch (err) {
        this.failAll(writes, err, 'setting synchronous = FULL');
        return;
      }
    }
    this.transaction(writes);
    if (synced) {
      try {
        this.db.pragma('synchronous = NORMAL');
      } catch {
        // Left at FULL: every commit then syncs, slower but never less durable.
      }
    }
  }

  private transaction(writes: Write[]): void {
    try {
      this.begin.run();
    } catch (err) {
      this.failAll(writes, err, 'at BEGIN IMMEDIATE');
      return;
    }
    this.stats.transactions++;
    if (writes.some((w) => w.durable)) this.stats.synced++;
    if (writes.length === 1) {
      this.flushOne(writes[0]!);
      return;
    }
    const outcomes: { ok: boolean; value: unknown }[] = [];
    for (const w of writes) {
      this.savepoint.run();
      try {
        outcomes.push({ ok: true, value: w.work() });
        this.release.run();
      } catch (err) {
        if (!this.db.inTransaction) {
          // SQLite rolled the whole transaction back (disk full, I/O error): every write in the group
          // is gone, the ones that had succeeded included.
          this.failAll(writes, err, `while ${w.what}`, outcomes);
          return;
        }
        this.rollbackTo.run();
        this.release.run();
        this.onOutcome?.(err);
        outcomes.push({ ok: false, value: err });
      }
    }
    try {
      this.commit.run();
    } catch (err) {
      this.failAll(writes, err, 'at COMMIT', outcomes);
      return;
    }
    this.onOutcome?.();
    writes.forEach((w, i) => {
      const o = outcomes[i]!;
      if (o.ok) this.settle(w, o.value);
      else w.reject(storeError(this.path, w.what, o.value));
    });
  }

  /** A committed write settles now, or (durable, with a WAL file) once an fsync begun after its COMMIT ends. */
  private settle(w: Write, value: unknown): void {
    if (!w.durable || this.walSync === undefined) {
      w.resolve(value);
      return;
    }
    this.walSync.after(
      () => w.resolve(value),
      (err) => {
        this.onOutcome?.(err);
        w.reject(storeError(this.path, `${w.what} (syncing the WAL to disk after COMMIT)`, err));
      },
    );
  }

  /** No savepoint for a write alone in its transaction: the transaction is its savepoint. */
  private flushOne(w: Write): void {
    let value: unknown;
    try {
      value = w.work();
      this.commit.run();
    } catch (err) {
      this.abandon();
      this.onOutcome?.(err);
      w.reject(storeError(this.path, w.what, err));
      return;
    }
    this.onOutcome?.();
    this.settle(w, value);
  }

  private abandon(): void {
    if (!this.db.inTransaction) return;
    try {
      this.rollback.run();
    } catch {
      // Nothing more to undo: SQLite ends the transaction itself when ROLLBACK cannot run.
    }
  }

  /**
   * Rejects every write of a lost transaction, each error naming its own write and the stage that failed;
   * a write that had already failed its own checks keeps its own error.
   */
  private failAll(
    writes: Write[],
    err: unknown,
    stage: string,
    outcomes: { ok: boolean; value: unknown }[] = [],
  ): void {
    this.abandon();
    this.onOutcome?.(err);
    writes.forEach((w, i) => {
      const own = outcomes[i];
      w.reject(
        own && !own.ok
          ? storeError(this.path, w.what, own.value)
          : storeError(
              this.path,
              writes.length === 1
                ? `${w.what} (${stage})`
                : `${w.what} (${stage}, in a group of ${writes.length} writes)`,
              err,
            ),
      );
    });
  }
}
