// The Postgres store's runs, their leases and the queue: creating, committing, reading and claiming runs,
// and hearing of queued work. Methods of PostgresStore (store.ts), moved here by concept.
import pg from 'pg';
import { checkBatchShape } from '../batch-shape.js';
import { postgresDialect as d } from '../sql/dialect.js';
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
import { commitAlone, createRun } from './commit.js';
import { recordEvent } from './event.js';
import * as leases from './leases.js';
import { claimQueued } from './queue.js';
import { snapshotLists, toRun, toSnapshot } from './rows.js';
import type { PostgresIo } from './store-io.js';
import { WorkListener } from './work-listener.js';

export const runMethods = {
  async createRun(
    this: PostgresIo,
    run: RunRecord,
    init: Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'>,
  ): Promise<{ run: RunRecord; created: boolean }> {
    const out = await createRun(this.db, run, init, this.createGroup);
    // Wake idle workers elsewhere at once (LISTEN/NOTIFY) instead of at their next poll.
    if (out.created && run.status === 'queued') this.wake.queued(run.id, run.role);
    return out;
  },

  async recordEvent(
    this: PostgresIo,
    deliveries: readonly EventDelivery[],
    check: (found: EventDelivered, index: number) => void,
  ): Promise<EventDelivered[]> {
    const [only] = deliveries;
    // One role's run (the common event): its create alone is all or none, so it travels in the create
    // group with the runs created meanwhile, one statement for many (create-statement.ts), instead of
    // four round trips of its own (BEGIN, run, records, COMMIT). A found run is checked as recordEvent
    // does; nothing was written for this event then, so a refusal has nothing to roll back.
    let out: EventDelivered[];
    if (deliveries.length === 1 && only?.kind === 'run') {
      const one: EventDelivered = {
        kind: 'run',
        ...(await createRun(this.db, only.run, only.init, this.createGroup)),
      };
      if (!one.created) check(one, 0);
      out = [one];
    } else {
      out = await recordEvent(this.db, deliveries, check);
    }
    // Once committed, as createRun and pushInbox do: idle workers elsewhere hear of the new work at once.
    for (const d of out) {
      if (!d.created) continue;
      if (d.kind === 'inbox') this.wake.notify();
      else if (d.run.status === 'queued') this.wake.queued(d.run.id, d.run.role);
    }
    return out;
  },

  async commit(this: PostgresIo, batch: CommitBatch): Promise<void> {
    // A malformed batch is a caller's bug, refused loudly before any write.
    checkBatchShape(batch.runId, batch.expectSeq, batch);
    // The engine's own commits (steps, tool calls, audit) travel in groups: see group-commit.ts.
    if (!needsOwnTransaction(batch)) {
      await this.groupCommit.commit(batch);
      return;
    }
    await commitAlone(this.db, batch);
    // A human decision that hands a run back to the workers' queue (approvals/hand-back.ts) wakes them at
    // once, as a newly queued run does. (A retry's requeue has a notBefore: no one can take it yet.)
    if (batch.run?.status === 'queued' && batch.run.notBefore == null) this.wake.notify();
  },

  async getRun(this: PostgresIo, id: string): Promise<RunRecord | undefined> {
    const [r] = await this.db.q('reading a run', 'SELECT * FROM runs WHERE id = $1', [id]);
    return r ? toRun(r) : undefined;
  },

  async loadRun(this: PostgresIo, id: string): Promise<RunSnapshot | undefined> {
    // One statement, so one round trip and one snapshot: the run and its records, each list as JSON.
    const [row] = await this.db.q(
      'loading a run',
      `SELECT row_to_json(r) AS run, ${snapshotLists('r')} FROM runs r WHERE r.id = $1`,
      [id],
    );
    return row ? toSnapshot(row) : undefined;
  },

  async countRunSteps(
    this: PostgresIo,
    id: string,
    exceptKinds: readonly string[],
  ): Promise<number | undefined> {
    const [row] = await this.run("counting a run's steps", listings.countRunSteps(d, id, exceptKinds));
    return row ? Number(row.n) : undefined;
  },

  async listRuns(this: PostgresIo, filter: RunFilter = {}): Promise<RunRecord[]> {
    return (await this.run('listing runs', listings.listRuns(d, filter))).map(toRun);
  },

  claimRun(
    this: PostgresIo,
    runId: string,
    owner: string,
    until: number,
    now: number,
    limit?: number,
  ): Promise<number | undefined> {
    return leases.claimRun(this.db, runId, owner, until, now, limit);
  },

  renewLease(this: PostgresIo, runId: string, lease: RunLease, until: number): Promise<boolean> {
    return leases.renewLease(this.db, runId, lease, until);
  },

  renewLeases(this: PostgresIo, items: readonly LeaseRenewal[]): Promise<boolean[]> {
    return leases.renewLeases(this.db, items);
  },

  stealRun(
    this: PostgresIo,
    runId: string,
    previousOwner: string,
    owner: string,
    until: number,
  ): Promise<number | undefined> {
    return leases.stealRun(this.db, runId, previousOwner, owner, until);
  },

  async claimNextRuns(
    this: PostgresIo,
    owner: string,
    until: number,
    now: number,
    roles: readonly string[],
    limits: Readonly<Record<string, number>>,
    max: number,
    driving: ReadonlySet<string> = new Set(),
  ): Promise<RunSnapshot[]> {
    if (roles.length === 0 || max < 1) return [];
    const claim = this.wake.claimStarting();
    let claimed: RunSnapshot[];
    try {
      claimed = await claimQueued(this.db, owner, until, now, roles, limits, max, driving);
    } catch (err) {
      // This process cannot take what it queued just now: let the others know at once.
      this.wake.release();
      throw err;
    }
    this.wake.claimed(
      claim,
      claimed.map((c) => c.run.id),
      { roles, limited: Object.keys(limits), full: claimed.length >= max },
    );
    return claimed;
  },

  /**
   * Calls `onWork` whenever a run is queued by any process sharing the database (one dedicated
   * connection per subscriber). Returns a function that unsubscribes and closes the connection.
   */
  async subscribeWork(this: PostgresIo, onWork: () => void): Promise<() => Promise<void>> {
    // Reconnected (and LISTENed again) after any outage; see work-listener.ts.
    const listener = new WorkListener({
      client: () => new pg.Client(this.db.connection),
      channel: this.channel,
      onWork,
      health: this.db.reachable,
    });
    await listener.start();
    this.wake.listening = true;
    return async () => {
      this.wake.listening = false;
      this.wake.release();
      await listener.close();
    };
  },
};

/** Status preconditions, outbox rows and tiers are written by commitAlone, not the grouped statement. */
function needsOwnTransaction(batch: Omit<CommitBatch, 'run' | 'expectSeq' | 'at'>): boolean {
  return (
    (batch.approvals?.length ?? 0) > 0 ||
    (batch.escalations?.length ?? 0) > 0 ||
    (batch.notifications?.length ?? 0) > 0 ||
    (batch.tiers?.length ?? 0) > 0
  );
}
