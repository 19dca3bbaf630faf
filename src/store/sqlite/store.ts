// The embedded store: one SQLite file (WAL, synchronous=NORMAL) through better-sqlite3. Writes go through
// the group committer (one transaction per tick, a savepoint per write); several processes on one file are
// serialised by SQLite's write lock (busy_timeout) and fenced by each run's `seq`.
import type Database from 'better-sqlite3';
import { NightshiftError } from '../../errors.js';
import type {
  ApprovalRecord,
  ApprovalStatus,
  AuditEvent,
  CommitBatch,
  EscalationRecord,
  EscalationStatus,
  RoleVersionRecord,
  RunFilter,
  RunRecord,
  RunSnapshot,
  Store,
} from '../types.js';
import { commitBatch, createRun } from './commit.js';
import { GroupCommit } from './group-commit.js';
import { migrate } from './migrate.js';
import { databasePath, openDatabase, type SqliteStoreOptions } from './open.js';
import {
  type Row,
  roleVersionValues,
  rowToApproval,
  rowToAudit,
  rowToEscalation,
  rowToRoleVersion,
  rowToRun,
  rowToStep,
  rowToToolCall,
} from './rows.js';
import { type ListShape, Statements } from './statements.js';
import { storeError } from './store-error.js';

const shapeOf = (filter: { status?: string; runId?: string }): ListShape =>
  filter.status !== undefined
    ? filter.runId !== undefined
      ? 'status_run'
      : 'status'
    : filter.runId !== undefined
      ? 'run'
      : 'all';

const listArgs = (filter: { status?: string; runId?: string }): unknown[] =>
  [filter.status, filter.runId].filter((v) => v !== undefined);

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  /** The database file. */
  readonly path: string;
  /** The connection, for tests and diagnostics; nightshift code goes through the Store methods. */
  readonly db: Database.Database;
  private readonly writes: GroupCommit;
  private statements: Statements | undefined;
  private readonly readSnapshot: <T>(fn: () => T) => T;

  constructor(options: SqliteStoreOptions) {
    this.path = databasePath(options);
    this.db = openDatabase(this.path);
    this.writes = new GroupCommit(this.db, this.path);
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
  private read<T>(what: string, fn: (s: Statements) => T): Promise<T> {
    try {
      this.writes.flush();
      return Promise.resolve(fn(this.s));
    } catch (err) {
      return Promise.reject(storeError(this.path, what, err));
    }
  }

  private write<T>(what: string, fn: (s: Statements) => T): Promise<T> {
    let s: Statements;
    try {
      s = this.s;
    } catch (err) {
      return Promise.reject(err);
    }
    return this.writes.write(what, () => fn(s));
  }

  async init(): Promise<void> {
    if (this.statements) return;
    try {
      migrate(this.db);
      this.statements = new Statements(this.db);
    } catch (err) {
      throw storeError(this.path, 'migrating the schema', err);
    }
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.writes.flush();
    this.db.close();
  }

  // ── role versions ──

  putRoleVersion(record: RoleVersionRecord): Promise<void> {
    return this.write(`saving role version ${record.name}@${record.version}`, (s) => {
      s.insertRoleVersion.run(roleVersionValues(record));
    });
  }

  getRoleVersion(name: string, version: string): Promise<RoleVersionRecord | undefined> {
    return this.read(`reading role version ${name}@${version}`, (s) => {
      const row = s.roleVersion.get(name, version) as Row | undefined;
      return row ? rowToRoleVersion(row) : undefined;
    });
  }

  // ── runs ──

  createRun(
    run: RunRecord,
    init: Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'>,
  ): Promise<{ run: RunRecord; created: boolean }> {
    return this.write(`creating run ${run.id}`, (s) => createRun(s, run, init));
  }

  commit(batch: CommitBatch): Promise<void> {
    return this.write(`committing run ${batch.runId} at seq ${batch.expectSeq}`, (s) =>
      commitBatch(s, batch),
    );
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return this.read(`reading run ${id}`, (s) => {
      const row = s.runById.get(id) as Row | undefined;
      return row ? rowToRun(row) : undefined;
    });
  }

  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.read('listing runs', (s) => {
      const statuses = filter.status ?? [];
      const args: unknown[] = filter.role ? [filter.role, ...statuses] : [...statuses];
      args.push(filter.limit ?? 100);
      return (s.listRuns(Boolean(filter.role), statuses.length).all(args) as Row[]).map(rowToRun);
    });
  }

  loadRun(id: string): Promise<RunSnapshot | undefined> {
    return this.read(`loading run ${id}`, (s) =>
      // One read transaction: the run and its records come from one snapshot even while other processes write.
      this.readSnapshot(() => {
        const row = s.runById.get(id) as Row | undefined;
        if (!row) return undefined;
        return {
          run: rowToRun(row),
          steps: (s.stepsOfRun.all(id) as Row[]).map(rowToStep),
          toolCalls: (s.toolCallsOfRun.all(id) as Row[]).map(rowToToolCall),
          approvals: (s.approvalsOfRun.all(id) as Row[]).map(rowToApproval),
          escalations: (s.escalationsOfRun.all(id) as Row[]).map(rowToEscalation),
        };
      }),
    );
  }

  // ── leases ──

  claimRun(runId: string, owner: string, until: number, now: number): Promise<boolean> {
    return this.write(
      `claiming run ${runId} for ${owner}`,
      (s) => s.claimRun.run(owner, until, runId, owner, now).changes === 1,
    );
  }

  stealRun(runId: string, previousOwner: string, owner: string, until: number): Promise<boolean> {
    return this.write(
      `taking run ${runId} over from ${previousOwner}`,
      (s) => s.stealRun.run(owner, until, runId, previousOwner).changes === 1,
    );
  }

  releaseRun(runId: string, owner: string): Promise<void> {
    return this.write(`releasing run ${runId}`, (s) => {
      s.releaseRun.run(runId, owner);
    });
  }

  claimNextRun(
    owner: string,
    until: number,
    now: number,
    roles: readonly string[],
  ): Promise<RunRecord | undefined> {
    if (roles.length === 0) return Promise.resolve(undefined);
    // Select and lease in one write transaction, so two claimants can never take the same run.
    return this.write('claiming queued work', (s) => {
      const id = s.queueHead(roles.length).get([...roles, now]) as string | undefined;
      if (id === undefined) return undefined;
      return rowToRun(s.leaseRun.get(owner, until, id) as Row);
    });
  }

  rememberSignature(signature: string, at: number, forgetBefore: number): Promise<boolean> {
    return this.write('remembering a webhook signature', (s) => {
      s.forgetSignatures.run(forgetBefore);
      return s.rememberSignature.run(signature, at).changes === 1;
    });
  }

  // ── approvals, escalations, audit ──

  getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return this.read(`reading approval ${id}`, (s) => {
      const row = s.approvalById.get(id) as Row | undefined;
      return row ? rowToApproval(row) : undefined;
    });
  }

  listApprovals(filter: { status?: ApprovalStatus; runId?: string } = {}): Promise<ApprovalRecord[]> {
    return this.read('listing approvals', (s) =>
      (s.listApprovals[shapeOf(filter)].all(listArgs(filter)) as Row[]).map(rowToApproval),
    );
  }

  getEscalation(id: string): Promise<EscalationRecord | undefined> {
    return this.read(`reading escalation ${id}`, (s) => {
      const row = s.escalationById.get(id) as Row | undefined;
      return row ? rowToEscalation(row) : undefined;
    });
  }

  listEscalations(filter: { status?: EscalationStatus; runId?: string } = {}): Promise<EscalationRecord[]> {
    return this.read('listing escalations', (s) =>
      (s.listEscalations[shapeOf(filter)].all(listArgs(filter)) as Row[]).map(rowToEscalation),
    );
  }

  listAudit(filter: { runId?: string; limit?: number } = {}): Promise<AuditEvent[]> {
    return this.read('listing audit events', (s) => {
      const limit = filter.limit ?? 1000;
      const rows =
        filter.runId !== undefined ? s.listAuditOfRun.all(filter.runId, limit) : s.listAudit.all(limit);
      return (rows as Row[]).map(rowToAudit);
    });
  }

  roleCostSince(role: string, since: number): Promise<number> {
    return this.read(`summing the model cost of role ${role}`, (s) =>
      Number(s.roleCostSince.get(role, since, since)),
    );
  }
}

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
