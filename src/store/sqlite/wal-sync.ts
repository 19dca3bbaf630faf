// Syncing the WAL to disk for the writes that must survive a power cut, off the event loop. A durable
// write's COMMIT has put its frames in the WAL (in the page cache); an fdatasync of the WAL file begun
// after that COMMIT puts them on disk, which is what synchronous=FULL does inside COMMIT, blocking the
// thread. Here the fsync runs on libuv's pool, and it is shared: the writes committed while one is in
// flight wait for the next, so N concurrent claims cost one or two fsyncs, not N.
//
// Checkpoints need nothing from us: at synchronous=NORMAL SQLite syncs the WAL before it checkpoints and
// the database file after, and a WAL that starts over keeps its inode, so the fd opened here stays valid.
import { close as closeFd, fdatasync, open } from 'node:fs';
import type Database from 'better-sqlite3';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class WalSync {
  /** fsyncs done, and the durable writes they carried (writes > fsyncs: shared). */
  readonly stats = { fsyncs: 0, writes: 0 };
  private fd: number | undefined;
  private inFlight = false;
  private scheduled = false;
  /** Committed after the fsync in flight began: they wait for the next one. */
  private next: Waiter[] = [];
  private idle: (() => void)[] = [];
  /**
   * An fsync failed. After a failed fsync the kernel may have dropped the dirty pages and a later fsync
   * can report success for data that never reached the disk, so every later durable write fails too,
   * until the store is opened again (as Postgres does: it stops rather than trust a retry).
   */
  private failed: unknown;
  private closed = false;

  private constructor(private readonly walPath: string) {}

  /** For a file database in WAL mode; undefined otherwise (the caller falls back to synchronous=FULL). */
  static forDatabase(db: Database.Database, path: string): WalSync | undefined {
    if (db.memory || path === '' || path === ':memory:' || path.startsWith('file:')) return undefined;
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return undefined;
    return new WalSync(`${path}-wal`);
  }

  /** Calls `resolve` once an fsync of the WAL begun after this call has finished (or `reject`). */
  after(resolve: () => void, reject: (err: unknown) => void): void {
    if (this.failed !== undefined || this.closed) {
      reject(this.failed ?? new Error('the store is closing: the WAL is no longer synced'));
      return;
    }
    this.next.push({ resolve, reject });
    // Begun in a microtask, so every durable write of the group that just committed rides the same fsync.
    if (!this.inFlight && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        if (!this.inFlight && this.next.length > 0) this.start();
      });
    }
  }

  /** Settles once no fsync is in flight, then closes the WAL file descriptor. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.inFlight || this.scheduled) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      await new Promise<void>((resolve) => closeFd(fd, () => resolve()));
    }
  }

  private start(): void {
    const waiters = this.next;
    this.next = [];
    this.inFlight = true;
    const done = (err: NodeJS.ErrnoException | null): void => {
      this.inFlight = false;
      this.stats.fsyncs++;
      this.stats.writes += waiters.length;
      if (err) {
        this.failed = err;
        for (const w of [...waiters, ...this.next]) w.reject(err);
        this.next = [];
      } else {
        for (const w of waiters) w.resolve();
      }
      if (this.next.length > 0) this.start();
      else for (const resolve of this.idle.splice(0)) resolve();
    };
    if (this.fd !== undefined) {
      fdatasync(this.fd, done);
      return;
    }
    // Opened once, on the first durable write (its COMMIT created the WAL); read-only is enough to sync.
    open(this.walPath, 'r', (err, fd) => {
      if (err) return done(err);
      this.fd = fd;
      fdatasync(fd, done);
    });
  }
}
