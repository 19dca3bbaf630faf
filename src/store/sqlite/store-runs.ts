// The SQLite store's runs and their leases: creating, committing, reading and claiming runs. Methods of
// SqliteStore (store.ts), moved here by concept.
import { sqliteDialect as d } from '../sql/dialect.js';
import * as listings from '../sql/listings.js';
import type {
  CommitBatch,
  EventDelivered,
  EventDelivery,
  LeaseRenewal,
  RunFilter,
  RunLease,
  RunRecord,
  RunSnapshot,
} from '../types.js';
import { commitBatch, createRun } from './commit.js';
import { recordEvent } from './event.js';
import { claimQueued } from './queue.js';
import { type Row, rowToRun } from './rows.js';
import { snapshotOf } from './snapshot.js';
import { all, get } from './statements.js';
import type { SqliteIo } from './store-io.js';

export const runMethods = {
  createRun(
    this: SqliteIo,
    run: RunRecord,
    init: Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'>,
  ): Promise<{ run: RunRecord; created: boolean }> {
    return this.write(`creating run ${run.id}`, (s) => createRun(s, run, init));
  },

  recordEvent(
    this: SqliteIo,
    deliveries: readonly EventDelivery[],
    check: (found: EventDelivered, index: number) => void,
  ): Promise<EventDelivered[]> {
    return this.write(`recording an event for ${deliveries.length} roles`, (s) =>
      recordEvent(s, deliveries, check),
    );
  },

  commit(this: SqliteIo, batch: CommitBatch): Promise<void> {
    return this.write(
      `committing run ${batch.runId} at seq ${batch.expectSeq}`,
      (s) => commitBatch(s, batch),
      batch.durable === true,
    );
  },

  getRun(this: SqliteIo, id: string): Promise<RunRecord | undefined> {
    return this.read(`reading run ${id}`, (s) => {
      const row = s.runById.get(id) as Row | undefined;
      return row ? rowToRun(row) : undefined;
    });
  },

  listRuns(this: SqliteIo, filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.read('listing runs', (s) => all(s, listings.listRuns(d, filter)).map(rowToRun));
  },

  loadRun(this: SqliteIo, id: string): Promise<RunSnapshot | undefined> {
    return this.read(`loading run ${id}`, (s) =>
      // One read transaction: the run and its records come from one snapshot even while other processes write.
      this.readSnapshot(() => {
        const row = s.runById.get(id) as Row | undefined;
        return row ? snapshotOf(s, rowToRun(row)) : undefined;
      }),
    );
  },

  countRunSteps(this: SqliteIo, id: string, exceptKinds: readonly string[]): Promise<number | undefined> {
    return this.read(`counting the steps of run ${id}`, (s) => {
      const row = get(s, listings.countRunSteps(d, id, exceptKinds));
      return row ? Number(row.n) : undefined;
    });
  },

  claimRun(
    this: SqliteIo,
    runId: string,
    owner: string,
    until: number,
    now: number,
    limit?: number,
  ): Promise<number | undefined> {
    // The count and the lease are one statement inside the single writer's transaction: nothing between.
    return this.write(`claiming run ${runId} for ${owner}`, (s) => {
      const epoch =
        limit === undefined
          ? s.claimRun.get(owner, until, runId, owner, now)
          : s.claimRunWithin.get(owner, until, runId, owner, now, now, limit);
      return (epoch as number | undefined) ?? undefined;
    });
  },

  renewLease(this: SqliteIo, runId: string, lease: RunLease, until: number): Promise<boolean> {
    return this.write(
      `renewing the lease of run ${runId} for ${lease.owner}`,
      (s) => s.renewLease.run(until, runId, lease.owner, lease.epoch).changes === 1,
    );
  },

  renewLeases(this: SqliteIo, items: readonly LeaseRenewal[]): Promise<boolean[]> {
    if (items.length === 0) return Promise.resolve([]);
    // One write (one transaction, one savepoint): the prepared renewal for each entry, by primary key. In
    // process, a statement per entry costs microseconds; it is the write transactions that were many.
    return this.write(`renewing ${items.length} run leases`, (s) =>
      items.map((i) => s.renewLease.run(i.until, i.runId, i.lease.owner, i.lease.epoch).changes === 1),
    );
  },

  stealRun(
    this: SqliteIo,
    runId: string,
    previousOwner: string,
    owner: string,
    until: number,
  ): Promise<number | undefined> {
    return this.write(
      `taking run ${runId} over from ${previousOwner}`,
      (s) => (s.stealRun.get(owner, until, runId, previousOwner) as number | undefined) ?? undefined,
    );
  },

  claimNextRuns(
    this: SqliteIo,
    owner: string,
    until: number,
    now: number,
    roles: readonly string[],
    limits: Readonly<Record<string, number>>,
    max: number,
    driving: ReadonlySet<string> = new Set(),
  ): Promise<RunSnapshot[]> {
    if (roles.length === 0 || max < 1) return Promise.resolve([]);
    // Select and lease in one write transaction, so two claimants can never take the same run, and the
    // per-role counts cannot change between counting and leasing.
    return this.write('claiming queued work', (s) =>
      claimQueued(s, owner, until, now, roles, limits, max, driving),
    );
  },
};
