// What the Postgres store's methods (store-*.ts) reach the database through: PostgresStore's pool and
// statements, its group commit, and the wake-ups that tell other workers of queued work.
import type { Query } from '../sql/dialect.js';
import type { CommitBatch } from '../types.js';
import type { NewRun } from './create-statement.js';
import type { Database } from './database.js';
import type { GroupCommit } from './group-commit.js';
import type { Row } from './rows.js';
import type { WakeOthers } from './wake-others.js';

export interface PostgresIo {
  readonly db: Database;
  readonly wake: WakeOthers;
  readonly groupCommit: GroupCommit<CommitBatch>;
  readonly createGroup: GroupCommit<NewRun>;
  /** The channel workers LISTEN on for new queued work in this schema. */
  readonly channel: string;
  /** Opened only to read (`readOnly`): nothing is written, not even the stats rollup. */
  readonly readOnly: boolean;
  /** One shared statement (../sql/) outside any transaction. */
  run(what: string, q: Query): Promise<Row[]>;
}
