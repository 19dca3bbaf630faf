// Opening the database file: where it lives and the connection settings every nightshift process uses.
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { NightshiftError } from '../../errors.js';
import { storeError } from './store-error.js';

export interface SqliteStoreOptions {
  /** Folder for `nightshift.db`, created (with its parents) if missing. Default `./.nightshift`. */
  dataDir?: string;
  /** Exact database file path; wins over `dataDir`. */
  path?: string;
  /**
   * False: open the database only if its file exists; a missing one is refused with STORE_NOT_FOUND and
   * nothing (folder or file) is created. Default true.
   */
  create?: boolean;
  /**
   * Only read: the file is opened read-only (it must exist), nothing is created or narrowed, no migration
   * runs (a store that needs one is refused with STORE_ERROR) and every write fails. For the commands that
   * only show what is stored, so they work on a store they may not write (a read-only file, folder or
   * mount). Default false.
   */
  readOnly?: boolean;
  /**
   * Checkpoint the WAL from a background thread instead of inside commits (for long-running services:
   * see checkpointer.ts). Default false.
   */
  backgroundCheckpoints?: boolean;
}

export const DATABASE_FILE = 'nightshift.db';
export const BUSY_TIMEOUT_MS = 5000;
/** WAL size (pages) at which a connection with automatic checkpoints checkpoints. */
export const AUTOCHECKPOINT_PAGES = 10000;

export function databasePath(options: SqliteStoreOptions): string {
  return options.path ?? join(options.dataDir ?? '.nightshift', DATABASE_FILE);
}

/**
 * The store holds every run's inputs, tool results and approvals: only nightshift's own user may read it.
 * The data dir is created 0700 and the database file 0600 before SQLite opens it (SQLite gives its -wal
 * and -shm files the database file's mode); files left wider by an older version are narrowed.
 */
function keepPrivate(path: string): void {
  if (path === ':memory:' || path === '' || path.startsWith('file:')) return;
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch {
      // -wal and -shm exist only while a connection is open.
    }
  }
}

/**
 * Switches the connection to WAL. On a fresh file opened by several processes at once, SQLite may answer
 * SQLITE_BUSY to this pragma at once, without calling the busy handler (it does so where waiting could
 * deadlock: a connection holding a read lock that needs a write lock). So the busy timeout is applied
 * here by hand: retried every 10 ms until BUSY_TIMEOUT_MS have passed, then the error stands.
 */
function toWal(db: Database.Database): void {
  const until = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= until) throw err;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

/** Refuses a database file that does not exist, before anything (its folder, the file) is made. */
export function requireDatabaseFile(path: string): void {
  if (path === ':memory:' || path === '' || path.startsWith('file:') || existsSync(path)) return;
  const dir = dirname(path);
  throw new NightshiftError(
    'STORE_NOT_FOUND',
    `no nightshift store at ${path}: ${existsSync(dir) ? `${dir} has no ${DATABASE_FILE}` : `${dir} does not exist`}; check --data-dir (or NIGHTSHIFT_DATA_DIR), or run or serve a role to create it; nothing was created`,
    { details: { path } },
  );
}

/**
 * Opens the file to read only. SQLite reads a WAL database through its `-shm` file, which it creates beside
 * the file when missing: in a folder this user may not write, a store closed cleanly (no `-wal`, no
 * `-shm`) cannot be read in place. The file alone is then the whole database (the last close checkpointed
 * everything into it), so it is read from a copy in memory (its header marked non-WAL, which a copy in
 * memory needs). With a `-wal` present but no `-shm` the file alone is not the whole store: refused.
 */
function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

export function openDatabaseForReading(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get();
    return db;
  } catch (err) {
    db?.close();
    const code = (err as { code?: string }).code;
    if (code !== 'SQLITE_READONLY_DIRECTORY' && code !== 'SQLITE_CANTOPEN')
      throw storeError(path, 'opening the database to read', err);
    // A file this user may not read at all: SQLite's own complaint says so (no copy could be read either).
    if (!readable(path)) throw storeError(path, 'opening the database to read', err);
    // With both logs there (a writer's), SQLite could not use them: its own complaint; a copy of the file
    // alone would miss what the log holds.
    if (existsSync(`${path}-wal`) && existsSync(`${path}-shm`))
      throw storeError(path, 'opening the database to read', err);
    if (existsSync(`${path}-wal`))
      throw new NightshiftError(
        'STORE_ERROR',
        `SQLite store ${path}: cannot be read: its folder ${dirname(path)} is not writable by this user and the file has an unfinished write-ahead log (${path}-wal) but no ${path}-shm, which SQLite must create to read it; read it as the user that writes it, or let a writer close it first`,
        { cause: err, details: { path } },
      );
    try {
      const image = readFileSync(path);
      // Bytes 18 and 19 are the file format's read and write versions: 2 is WAL, 1 the rollback journal.
      if (image.length >= 20) image[18] = image[19] = 1;
      return new Database(image, { readonly: true });
    } catch (copyErr) {
      throw storeError(path, 'opening the database to read', copyErr);
    }
  }
}

export function openDatabase(path: string): Database.Database {
  try {
    keepPrivate(path);
    // The busy timeout is set before anything else: switching a new file to WAL takes a lock, and two
    // processes opening the same fresh file at once must wait for each other rather than fail.
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    toWal(db);
    // NORMAL in WAL mode: a commit is durable against a process crash at once and against power loss
    // from the next checkpoint; commits do not fsync, checkpoints do.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Fewer, larger checkpoints: pages rewritten many times between two checkpoints are copied once.
    db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    // A WAL that grew past this (a long burst) is cut back to it when it next starts over, instead of
    // keeping its largest size on disk for good.
    db.pragma(`journal_size_limit = ${4 * AUTOCHECKPOINT_PAGES * 4096}`);
    return db;
  } catch (err) {
    throw storeError(path, 'opening the database', err);
  }
}
