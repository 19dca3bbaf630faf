// The Postgres store: the same contract as the embedded one, for many workers on many machines. Every
// commit is one transaction whose first statement is the fenced `UPDATE runs ... WHERE seq = $expected`:
// it takes the run's row lock, so a concurrent commit to the same run waits and then fails the fence.
// This class wires the parts: database.ts (pool, statements, transactions), commit.ts and
// group-commit.ts (writes), queue.ts (claims), agents.ts (continuous agents), ../sql/ (cold paths). The
// Store methods live by concept in store-*.ts and are installed on the class below.

import { seqConflict } from '../errors.js';
import type { Installed } from '../method-groups.js';
import type { Query } from '../sql/dialect.js';
import type { CommitBatch, Store, StoreHealth } from '../types.js';
import { GROUP_COMMIT_SQL, groupCommitParams } from './commit-statement.js';
import { CREATE_GROUP_SQL, createGroupParams, type NewRun } from './create-statement.js';
import { Database, type PostgresStoreOptions } from './database.js';
import { GroupCommit } from './group-commit.js';
import { migrate } from './migrate.js';
import type { Row } from './rows.js';
import { accessMethods } from './store-access.js';
import { agentMethods } from './store-agents.js';
import { catalogMethods } from './store-catalog.js';
import { decisionMethods } from './store-decisions.js';
import { refusedByPostgres } from './store-error.js';
import type { PostgresIo } from './store-io.js';
import { readMethods } from './store-reads.js';
import { runMethods } from './store-runs.js';
import { WakeOthers } from './wake-others.js';

export type { PostgresStoreOptions } from './database.js';

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
// the store as `this`, through its pool, statements and wake-ups (PostgresIo).
export interface PostgresStore extends Installed<typeof storeMethods> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface's members are installed below the class
export class PostgresStore implements Store, PostgresIo {
  readonly specificationVersion = 'v1' as const;
  readonly schema: string;
  readonly db: Database;
  readonly wake = new WakeOthers(async () => {
    await this.db.pool.query('SELECT pg_notify($1, $2)', [this.channel, '']);
  });
  /** Group commit of the engine's commits (`groupCommit.stats` counts statements and batches). */
  readonly groupCommit = new GroupCommit<CommitBatch>({
    send: async (batches) => {
      const rows = await this.db.q('committing steps', GROUP_COMMIT_SQL, groupCommitParams(batches));
      return new Set(rows.map((r) => r.id as string));
    },
    conflict: seqConflict,
    refused: refusedByPostgres,
    // One group in flight: commits issued meanwhile wait for its answer and travel together in the next
    // statement. With two in flight a group carried ~4 runs on the 4-worker burst (1.66 statements per
    // run), and each statement costs the worker a socket write, a wake-up of its backend and
    // node-postgres' per-query work. A caller still waits only for its own batch to be written.
    maxInFlight: 1,
  });
  /** Runs created at the same moment (events accepted together) share one statement. */
  readonly createGroup = new GroupCommit<NewRun>({
    send: async (batches) => {
      const rows = await this.db.q('creating runs', CREATE_GROUP_SQL, createGroupParams(batches));
      return new Set(rows.map((r) => r.id as string));
    },
    refused: refusedByPostgres,
  });

  constructor(options: PostgresStoreOptions) {
    this.db = new Database(options);
    this.schema = this.db.schema;
    this.create = options.create !== false && options.readOnly !== true;
    this.readOnly = options.readOnly === true;
  }

  private readonly create: boolean;
  readonly readOnly: boolean;

  /** The channel workers LISTEN on for new queued work in this schema. */
  get channel(): string {
    return `nightshift_work_${this.schema}`;
  }

  /** One shared statement (../sql/) outside any transaction. */
  run(what: string, q: Query): Promise<Row[]> {
    return this.db.q(what, q.text, q.params);
  }

  health(): StoreHealth {
    return this.db.reachable.current();
  }

  watchHealth(listener: (health: StoreHealth, detail: Record<string, unknown>) => void): () => void {
    return this.db.reachable.watch(listener);
  }

  /**
   * The database's own clock (`clock_timestamp()`, ms since the epoch): the one clock every worker of
   * this database can agree on, whatever each host's wall clock says (store-clock.ts).
   */
  async clockNow(): Promise<number> {
    const rows = await this.db.q(
      "reading the database's clock",
      'SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS now',
    );
    return Number(rows[0]!.now);
  }

  init(): Promise<void> {
    return migrate(this.db, { create: this.create, readOnly: this.readOnly });
  }

  async close(): Promise<void> {
    // Commits already handed to the store are written (or fail) before the pool goes.
    await this.createGroup.drain();
    await this.groupCommit.drain();
    this.wake.release();
    await this.wake.settled();
    await this.db.end();
  }
}

Object.assign(PostgresStore.prototype, storeMethods);

export function openPostgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}
