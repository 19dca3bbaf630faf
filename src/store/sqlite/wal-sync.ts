// Syncing the WAL to disk for the writes that must survive a power cut, off the event loop. A durable
// write's COMMIT has put its frames in the WAL (in the page cache); an fdatasync of the WAL file begun
// after that COMMIT puts them on disk, which is what synchronous=FULL does inside COMMIT, blocking the
// thread. Here the fsync runs on libuv's pool, and it is shared: the writes committed while one is in
// flight wait for the next, so N concurrent claims cost one or two fsyncs, not N.
//
// Checkpoints need nothing from us: at synchronous=NORMAL SQLite syncs the WAL before it checkpoints and
// the database file after, and a WAL that starts over keeps its inode, so the fd opened here stays valid.
//
// The WAL is the file SQLite itself opened: its name comes from the database file as SQLite resolved it
// (symlinks followed), not from the path we were given, and it is opened when the store opens, so a later
// change of cwd or a stale file at a guessed name cannot be synced in its place.
import {
  close as closeFd,
  closeSync,
  fdatasync,
  fsync,
  fsyncSync,
  open,
  openSync,
  realpathSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class WalSync {
  /** fsyncs done, and the durable writes they carried (writes > fsyncs: shared). */
  readonly stats = { fsyncs: 0, writes: 0, directorySyncs: 0 };
  /** Hears the first failed fsync (the store's health then says: reopen the store). */
  onFailed: ((err: unknown) => void) | undefined;
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
  private reported = false;

  /** The WAL file this instance syncs (SQLite's own name for it). */
  readonly walPath: string;

  private constructor(walPath: string) {
    this.walPath = walPath;
    try {
      // Read-only is enough to sync. On a new database the WAL appears with the first COMMIT: then it is
      // opened by the first durable write (after that COMMIT), under the same resolved name.
      this.fd = openSync(walPath, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.failed = err;
      return;
    }
    try {
      syncDirectorySync(dirname(walPath));
      this.stats.directorySyncs++;
    } catch (err) {
      this.failed = err;
    }
  }

  /** For a file database in WAL mode; undefined otherwise (the caller falls back to synchronous=FULL). */
  static forDatabase(db: Database.Database, path: string): WalSync | undefined {
    if (db.memory || path === '' || path === ':memory:' || path.startsWith('file:')) return undefined;
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return undefined;
    // SQLite names the WAL after the main database file as it resolved it (absolute, symlinks followed):
    // a guess from `path` misses when the path or a parent is a symlink, or is relative and the cwd moves.
    const main = (db.pragma('database_list') as { name: string; file: string }[]).find(
      (d) => d.name === 'main',
    );
    if (!main?.file) return undefined;
    return new WalSync(`${realpathSync(main.file)}-wal`);
  }

  /** Calls `resolve` once an fsync of the WAL begun after this call has finished (or `reject`). */
  after(resolve: () => void, reject: (err: unknown) => void): void {
    if (this.failed !== undefined && !this.reported) this.fail(this.failed);
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

  /** Once failed, failed until the store is opened again; the store's health says so. */
  private fail(err: unknown): void {
    this.failed = err;
    if (this.reported) return;
    this.reported = true;
    this.onFailed?.(err);
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
        this.fail(err);
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
    // The WAL did not exist when the store opened (a new database): this write's COMMIT created it.
    open(this.walPath, 'r', (err, fd) => {
      if (err) return done(err);
      this.fd = fd;
      syncDirectory(dirname(this.walPath), (dirErr) => {
        if (dirErr) return done(dirErr);
        this.stats.directorySyncs++;
        fdatasync(fd, done);
      });
    });
  }
}

/**
 * The WAL's directory entry is new when SQLite created the file: without a sync of the directory a power
 * cut can lose the name, and with it every frame fdatasync put on disk (FULL syncs it too:
 * UNIXFILE_DIRSYNC). Done once per store, before its first durable write settles.
 */
function syncDirectorySync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirectory(dir: string, done: (err: NodeJS.ErrnoException | null) => void): void {
  open(dir, 'r', (err, fd) => {
    if (err) return done(err);
    fsync(fd, (syncErr) => closeFd(fd, () => done(syncErr)));
  });
}
