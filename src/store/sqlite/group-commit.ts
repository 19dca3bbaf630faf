// Group commit: every write the store makes (a commit batch, a new run, a lease change) is queued, and the
// writes queued in the same tick run in ONE SQLite transaction, each inside its own SAVEPOINT. On this
// kind of disk a WAL commit costs ~100 µs of I/O whatever its size, so concurrent runs sharing one COMMIT
// is what lets durability keep up with the engine. Each write is still atomic on its own: a write whose
// checks fail rolls back to its savepoint and leaves the others alone. A caller's promise settles only
// after the shared COMMIT returned, so "persisted before the next step" holds for every write.
//
// The connection runs synchronous=NORMAL: a commit survives a process crash at once, but a power cut only
// from the next checkpoint. A write marked durable (the claim of a call that must not run twice) makes
// its whole group settle only after an fsync of the WAL that started after its COMMIT (wal-sync.ts, off
// the event loop, shared by every group committed meanwhile), so the claim is on disk before the side
// effect starts; the groups without one keep NORMAL's cost. A database not in WAL mode (no WAL file to
// sync) commits such groups at synchronous=FULL instead, as before.
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
  /** Group transactions begun, and how many of them were synced (FULL) because they carried a durable write. */
  readonly stats = { transactions: 0, synced: 0 };
  /** Runs before each group transaction (the background checkpointer's WAL-size check). */
  beforeFlush: (() => void) | undefined;
  /**
   * Runs before each group transaction: an error refuses the whole group (the WAL gate after a full
   * disk, wal-gate.ts) without touching the database.
   */
  admit: (() => Error | undefined) | undefined;
  /** Hears every failure (the store watches for a full disk) and, with no error, each COMMIT that succeeded. */
  onOutcome: ((err?: unknown) => void) | undefined;
  /** Syncs the WAL for durable groups; undefined when the database is not in WAL mode. */
  readonly walSync: WalSync | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    const wal = String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    this.walSync = wal ? new WalSync(`${db.name}-wal`) : undefined;
    // IMMEDIATE: take the write lock before the first read, so a write that reads then writes (an
    // idempotency-key check, a queue claim) cannot lose a race with another process half-way through.
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT nightshift_write');
    this.release = db.prepare('RELEASE nightshift_write');
    this.rollbackTo = db.prepare('ROLLBACK TO nightshift_write');
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
        queueMicrotask(this.flushSoon);
      }
    });
  }

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
    // Without a WAL to sync, the level is read at COMMIT; it is set outside the transaction and put back
    // after it.
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
    this.settleAfterSync(writes, () =>
      writes.forEach((w, i) => {
        const o = outcomes[i]!;
        if (o.ok) w.resolve(o.value);
        else w.reject(storeError(this.path, w.what, o.value));
      }),
    );
  }

  /**
   * Settles a committed group: at once, or, when it holds a durable write, once the WAL is synced. A
   * failed sync fails the group's writes: committed, but not known to survive a power cut, so the side
   * effect they claim must not start (a restart finds the claim and treats the call's outcome as unknown).
   */
  private settleAfterSync(writes: Write[], settle: () => void): void {
    if (this.walSync === undefined || !writes.some((w) => w.durable)) {
      settle();
      return;
    }
    this.walSync.after((err) => {
      if (err === undefined) settle();
      else for (const w of writes) w.reject(storeError(this.path, `${w.what} (syncing the WAL)`, err));
    });
  }

  /** Waits for the WAL syncs in progress, so no durable write is left unsettled when the database closes. */
  async drain(): Promise<void> {
    this.flush();
    await this.walSync?.drained();
    this.walSync?.close();
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
    this.settleAfterSync([w], () => w.resolve(value));
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
