// What the SQLite store's methods (store-*.ts) reach the database through: SqliteStore's reads (after its
// queued writes), its group-committed writes, and one read transaction for a consistent snapshot.
import type { Statements } from './statements.js';

export interface SqliteIo {
  /** Opened only to read (`readOnly`): nothing is written, not even the stats rollup. */
  readonly readOnly: boolean;
  /** Runs queued writes first, so a read sees every write issued before it. */
  read<T>(what: string, fn: (s: Statements) => T): Promise<T>;
  /** `durable`: the transaction carrying this write is synced to disk before it settles (see group-commit.ts). */
  write<T>(what: string, fn: (s: Statements) => T, durable?: boolean): Promise<T>;
  /** One read transaction: what `fn` reads comes from one snapshot even while other processes write. */
  readSnapshot<T>(fn: () => T): T;
}
