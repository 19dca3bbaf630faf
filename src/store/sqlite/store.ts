// The embedded store: one SQLite file (WAL, synchronous=NORMAL) through better-sqlite3. Writes go through
// the group committer (one transaction per tick, a savepoint per write); several processes on one file are
// serialised by SQLite's write lock (busy_timeout) and fenced by each run's `seq`.
// This file holds the connection and its life (open, migrate, checkpoint, close) and the read and write
// paths; the Store methods live by concept in store-*.ts and are installed on the class below.
import type Database from 'better-sqlite3';
import { NightshiftError } from '../../errors.js';
import type { Installed } from '../method-groups.js';
import type { Store, StoreHealth } from '../types.js';
import { BackgroundCheckpointer } from './checkpointer.js';
import { DiskHealth } from './disk-health.js';
import { GroupCommit } from './group-commit.js';
import { migrate, requireCurrentSchema } from './migrate.js';
import {
  databasePath,
  openDatabase,
  openDatabaseForReading,
  requireDatabaseFile,
  type SqliteStoreOptions,
} from './open.js';
import { Statements } from './statements.js';
import { accessMethods } from './store-access.js';
import { agentMethods } from './store-agents.js';
import { catalogMethods } from './store-catalog.js';
import { decisionMethods } from './store-decisions.js';
import { isCorrupt, isDiskFull, storeError } from './store-error.js';
import type { SqliteIo } from './store-io.js';
import { readMethods } from './store-reads.js';
import { runMethods } from './store-runs.js';
import { WalGate } from './wal-gate.js';

/** The Store methods, by concept (one file each); every one runs with the store as `this`. */
const storeMethods = {
  ...catalogMethods,
  ...runMethods,
  ...agentMethods,
  ...decisionMethods,
  ...accessMethods,
  ...readMethods,
};

// The methods of store-*.ts, declared here and installed on the prototype after the class: each runs with
// the store as `this`, through its read and write paths (SqliteIo).
export interface SqliteStore extends Installed<typeof storeMethods> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface's members are installed below the class
export class SqliteStore implements Store, SqliteIo {
  readonly specificationVersion = 'v1' as const;
  /** The database file. */
  readonly path: string;
  /** The connection, for tests and diagnostics; nightshift code goes through the Store methods. */
  readonly db: Database.Database;
  readonly readOnly: boolean;
  private readonly writes: GroupCommit;
  private statements: Statements | undefined;
  /** For the methods in store-*.ts (SqliteIo), like `read` and `write`. */
  readonly readSnapshot: <T>(fn: () => T) => T;
  /** Present when this store checkpoints from a background thread (`backgroundCheckpoints`). */
  checkpointer: BackgroundCheckpointer | undefined;
  /** A full disk: an outage is logged once and makes `/readyz` answer 503 until a write commits again. */
  private readonly disk = new DiskHealth();
  /** After a write fails for lack of space, writes wait until the WAL is checkpointed (wal-gate.ts). */
  readonly gate: WalGate;

  constructor(private readonly options: SqliteStoreOptions) {
    this.path = databasePath(options);
    this.readOnly = options.readOnly === true;
    if (options.create === false || options.readOnly) requireDatabaseFile(this.path);
    this.db = options.readOnly ? openDatabaseForReading(this.path) : openDatabase(this.path);
    this.writes = new GroupCommit(this.db, this.path);
    this.gate = new WalGate(this.db, this.path);
    // Once the file is judged damaged nothing more is written to it (an event accepted now would be a run
    // no worker claims, committed next to pages SQLite cannot read): writes fail as the damage did.
    this.writes.admit = () => this.disk.damage() ?? this.gate.admit();
    this.writes.onOutcome = (err) => {
      if (err === undefined) this.disk.writeCommitted();
      else if (isCorrupt(err)) this.disk.corrupt(storeError(this.path, 'a write', err).message);
      else if (isDiskFull(err)) {
        this.gate.close();
        this.disk.writeFailedDiskFull((err as Error).message);
        this.checkpointer?.giveSpaceBack();
      }
    };
    // Sticky: after a failed fsync the kernel may have dropped the WAL's dirty pages, so no later claim is
    // trusted (wal-sync.ts); `/readyz` answers 503 until the store is reopened.
    this.writes.onWalSyncFailed = (err) => this.disk.walSyncFailed((err as Error).message);
    const tx = this.db.transaction((fn: () => unknown) => fn());
    this.readSnapshot = <T>(fn: () => T): T => tx(fn) as T;
  }

  private get s(): Statements {
    if (!this.statements) {
      throw new NightshiftError('INTERNAL', `SQLite store ${this.path}: call init() before using the store`);
    }
    return this.statements;
  }

  /** Runs queued writes first, so a read sees every write issued before it. */
  read<T>(what: string, fn: (s: Statements) => T): Promise<T> {
    try {
      this.writes.flush();
      return Promise.resolve(fn(this.s));
    } catch (err) {
      const failed = storeError(this.path, what, err);
      if (isCorrupt(err)) this.disk.corrupt(failed.message);
      return Promise.reject(failed);
    }
  }

  /** `durable`: the transaction carrying this write is synced to disk before it settles (see group-commit.ts). */
  write<T>(what: string, fn: (s: Statements) => T, durable = false): Promise<T> {
    let s: Statements;
    try {
      s = this.s;
    } catch (err) {
      return Promise.reject(err);
    }
    return this.writes.write(what, () => fn(s), durable);
  }

  /** Group transactions so far, and how many of them were synced to disk (they carried a durable write). */
  get commitStats(): { transactions: number; synced: number } {
    return { ...this.writes.stats };
  }

  /** fsyncs of the WAL for durable writes, and how many writes they carried (more: fsyncs were shared). */
  get walSyncStats(): { fsyncs: number; writes: number } {
    return this.writes.syncStats;
  }

  async init(): Promise<void> {
    if (this.statements) return;
    try {
      if (this.options.readOnly) requireCurrentSchema(this.db, this.path);
      else migrate(this.db);
      this.statements = new Statements(this.db);
    } catch (err) {
      throw storeError(this.path, 'migrating the schema', err);
    }
    if (this.options.backgroundCheckpoints && !this.options.readOnly && !this.checkpointer) {
      // A service starting on a disk that a predecessor filled (its WAL holding the space): writes wait
      // for the checkpoint from the start rather than failing one by one into a WAL that cannot shrink.
      if (this.gate.checkpoint() === 'full') this.gate.close();
      const checkpointer = new BackgroundCheckpointer(this.db, this.path, {
        onFailing: (reason, diskFull, retryMs) => this.disk.checkpointFailed(reason, diskFull, retryMs),
        onRecovered: () => this.disk.checkpointRecovered(),
        // A TRUNCATE pass that began after the gate closed completed: no write went in since.
        onTruncated: (startedAt) => this.gate.openIfClosedBefore(startedAt),
        onThread: (event, detail) => this.disk.note({ event, ...detail }),
      });
      this.checkpointer = checkpointer;
      this.writes.beforeFlush = () => checkpointer.beforeCommit();
    }
  }

  health(): StoreHealth {
    return this.disk.current();
  }

  watchHealth(listener: (health: StoreHealth, detail: Record<string, unknown>) => void): () => void {
    return this.disk.watch(listener);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.writes.flush();
    // The claims committed last settle once their fsync ends; only then may the connection close.
    await this.writes.close();
    await this.checkpointer?.stop();
    this.db.close();
  }
}

Object.assign(SqliteStore.prototype, storeMethods);

/**
 * Opens (creating if missing) the embedded store. Call `init()` before use.
 *
 * @example
 * const store = openSqliteStore({ dataDir: resolveDataDir() });
 * await store.init();
 */
export function openSqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(options);
}
