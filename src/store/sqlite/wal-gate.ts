// Writes wait for a checkpoint after the disk fills. A checkpoint copies the WAL's pages into the database
// file, so it needs room for that file to grow; until it completes the WAL cannot be rewound. If writes
// went on as soon as some space came back, the WAL would grow into that space first and the checkpoint
// would find none left: the store wedged for good (the WAL held the whole disk, the database file never
// grew). So the first write that fails for lack of space closes this gate: every write is refused (as a
// full disk, so runs wait and events are answered 507) until a checkpoint has copied every WAL frame into
// the database file and truncated the WAL. Freed space then goes to the checkpoint first, and writes
// resume only once it is done. Reads are never held.
//
// And before it comes to that: a checkpoint needs at most the WAL's size in free space, so a write group
// that finds less free space than twice the WAL (plus a margin for the group itself) checkpoints first,
// on this connection. The WAL then never outgrows the room its checkpoint needs, whoever else fills the
// disk, and a daemon killed on a full disk leaves a WAL its successor can checkpoint once any space is back.
import { statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS } from './open.js';
import { isDiskFull } from './store-error.js';

/** How often a refused write tries the checkpoint itself (a write arriving sooner is refused at once). */
const TRY_EVERY_MS = 100;
/** How long that checkpoint waits for another connection (the checkpoint thread, another process). */
const TRY_BUSY_MS = 50;

/** Room kept for the write group itself, on top of twice the WAL. */
const MARGIN_BYTES = 1024 * 1024;

/**
 * The free-space check costs two syscalls per write group, and a busy store commits thousands of groups
 * a second (about 10% of the embedded store's throughput, decision 018). While the last check found at
 * least ROOMY_BYTES more than a checkpoint needs, it is repeated only every RECHECK_MS: to use that room
 * up in that time this store would have to grow its WAL by over 400 MB/s. Closer to the limit (every
 * small-disk test) every group checks, as before.
 */
const ROOMY_BYTES = 64 * 1024 * 1024;
const RECHECK_MS = 50;

export type CheckpointOutcome = 'done' | 'busy' | 'full';

export class WalGate {
  private closedAt: number | undefined;
  private lastTry = 0;
  /** When the free-space check last found ROOMY_BYTES to spare (0: it did not, check every group). */
  private roomyAt = 0;
  /** Times the gate opened again after a checkpoint completed. */
  reopened = 0;

  private readonly wal: string | undefined;
  private readonly dir: string | undefined;

  /** `path`: the database file (':memory:' and URIs skip the free-space check). */
  constructor(
    private readonly db: Database.Database,
    path: string,
  ) {
    if (path !== ':memory:' && path !== '' && !path.startsWith('file:')) {
      this.wal = `${path}-wal`;
      this.dir = dirname(path);
    }
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  /** A write failed for lack of space: hold writes until a checkpoint completes. */
  close(): void {
    this.closedAt ??= Date.now();
  }

  /** A checkpoint completed (here or on the checkpoint thread, with no write since): writes may go. */
  open(): void {
    if (this.closedAt === undefined) return;
    this.closedAt = undefined;
    this.reopened++;
  }

  /** The checkpoint thread completed a TRUNCATE pass begun at `startedAt`: opens if closed before it. */
  openIfClosedBefore(startedAt: number): void {
    if (this.closedAt !== undefined && this.closedAt <= startedAt) this.open();
  }

  /**
   * Before a group of writes: undefined when they may go, else the error that refuses them. While closed,
   * tries the checkpoint (at most every TRY_EVERY_MS) and opens when it completes.
   */
  admit(): Error | undefined {
    if (this.closedAt === undefined) {
      if (!this.tight()) return undefined;
      if (this.checkpoint() !== 'full') return undefined;
      this.close();
      this.lastTry = Date.now();
    }
    const now = Date.now();
    if (now - this.lastTry >= TRY_EVERY_MS) {
      this.lastTry = now;
      if (this.checkpoint() === 'done') {
        this.open();
        return undefined;
      }
    }
    return Object.assign(
      new Error(
        'database or disk is full: writes are held until the write-ahead log can be checkpointed into the database file, which needs free space on its disk',
      ),
      { code: 'SQLITE_FULL' },
    );
  }

  /** Less free space than the WAL's checkpoint could need (two syscalls, skipped while roomy: ROOMY_BYTES). */
  private tight(): boolean {
    if (this.wal === undefined || this.dir === undefined) return false;
    const now = Date.now();
    if (now - this.roomyAt < RECHECK_MS) return false;
    this.roomyAt = 0;
    try {
      const walBytes = statSync(this.wal).size;
      const fs = statfsSync(this.dir);
      const spare = fs.bavail * fs.bsize - (2 * walBytes + MARGIN_BYTES);
      if (spare >= ROOMY_BYTES) this.roomyAt = now;
      return walBytes > 0 && spare < 0;
    } catch {
      return false;
    }
  }

  /**
   * One wal_checkpoint(TRUNCATE) on the store's own connection. 'done' once every WAL frame is in the
   * database file (the WAL is truncated too unless another connection still reads it, which does not
   * matter: the next checkpoint needs room only for the pages written after this one).
   */
  checkpoint(): CheckpointOutcome {
    // Inside a transaction SQLite refuses to checkpoint; the next write group tries again.
    if (this.db.inTransaction) return 'busy';
    this.db.pragma(`busy_timeout = ${TRY_BUSY_MS}`);
    try {
      const [row] = this.db.pragma('wal_checkpoint(TRUNCATE)') as {
        busy: number;
        log: number;
        checkpointed: number;
      }[];
      if (row!.busy === 0 || (row!.log >= 0 && row!.log === row!.checkpointed)) return 'done';
      return 'busy';
    } catch (err) {
      if (isDiskFull(err)) return 'full';
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') return 'busy';
      throw err;
    } finally {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }
}
