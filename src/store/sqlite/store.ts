// The embedded store: one SQLite file (WAL, synchronous=NORMAL) through better-sqlite3. Writes go through
// the group committer (one transaction per tick, a savepoint per write); several processes on one file are
// serialised by SQLite's write lock (busy_timeout) and fenced by each run's `seq`.
import type Database from 'better-sqlite3';
import { NightshiftError } from '../../errors.js';
import { agentFromColumns, agentState, leaseAgent, newAgentState } from '../agent-state.js';
import { capacities, openRoles, pick } from '../claim-pick.js';
import { countsOf } from '../counts.js';
import type {
  AgentRecord,
  ApprovalRecord,
  ApprovalStatus,
  AuditEvent,
  CommitBatch,
  EscalationRecord,
  EscalationStatus,
  InboxItem,
  RoleVersionRecord,
  RunFilter,
  RunLease,
  RunRecord,
  RunSnapshot,
  RunStatus,
  Store,
  StoreHealth,
  SubscriptionRecord,
} from '../types.js';
import { BackgroundCheckpointer } from './checkpointer.js';
import { commitBatch, createRun } from './commit.js';
import { DiskHealth } from './disk-health.js';
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
import { type ListShape, marks, Statements } from './statements.js';
import { isDiskFull, storeError } from './store-error.js';
import { WalGate } from './wal-gate.js';

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
  readonly specificationVersion = 'v1' as const;
  /** The database file. */
  readonly path: string;
  /** The connection, for tests and diagnostics; nightshift code goes through the Store methods. */
  readonly db: Database.Database;
  private readonly writes: GroupCommit;
  private statements: Statements | undefined;
  private readonly readSnapshot: <T>(fn: () => T) => T;
  /** Present when this store checkpoints from a background thread (`backgroundCheckpoints`). */
  checkpointer: BackgroundCheckpointer | undefined;
  /** A full disk: an outage is logged once and makes `/readyz` answer 503 until a write commits again. */
  private readonly disk = new DiskHealth();
  /** After a write fails for lack of space, writes wait until the WAL is checkpointed (wal-gate.ts). */
  readonly gate: WalGate;

  constructor(private readonly options: SqliteStoreOptions) {
    this.path = databasePath(options);
    this.db = openDatabase(this.path);
    this.writes = new GroupCommit(this.db, this.path);
    this.gate = new WalGate(this.db, this.path);
    this.writes.admit = () => this.gate.admit();
    this.writes.onOutcome = (err) => {
      if (err === undefined) this.disk.writeCommitted();
      else if (isDiskFull(err)) {
        this.gate.close();
        this.disk.writeFailedDiskFull((err as Error).message);
        this.checkpointer?.giveSpaceBack();
      }
    };
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

  /** `durable`: the transaction carrying this write is synced to disk before it settles (see group-commit.ts). */
  private write<T>(what: string, fn: (s: Statements) => T, durable = false): Promise<T> {
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

  async init(): Promise<void> {
    if (this.statements) return;
    try {
      migrate(this.db);
      this.statements = new Statements(this.db);
    } catch (err) {
      throw storeError(this.path, 'migrating the schema', err);
    }
    if (this.options.backgroundCheckpoints && !this.checkpointer) {
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
    await this.checkpointer?.stop();
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
    return this.write(
      `committing run ${batch.runId} at seq ${batch.expectSeq}`,
      (s) => commitBatch(s, batch),
      batch.durable === true,
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
        return row ? snapshotOf(s, rowToRun(row)) : undefined;
      }),
    );
  }

  // ── leases ──

  claimRun(runId: string, owner: string, until: number, now: number): Promise<number | undefined> {
    return this.write(
      `claiming run ${runId} for ${owner}`,
      (s) => (s.claimRun.get(owner, until, runId, owner, now) as number | undefined) ?? undefined,
    );
  }

  renewLease(runId: string, lease: RunLease, until: number): Promise<boolean> {
    return this.write(
      `renewing the lease of run ${runId} for ${lease.owner}`,
      (s) => s.renewLease.run(until, runId, lease.owner, lease.epoch).changes === 1,
    );
  }

  stealRun(runId: string, previousOwner: string, owner: string, until: number): Promise<number | undefined> {
    return this.write(
      `taking run ${runId} over from ${previousOwner}`,
      (s) => (s.stealRun.get(owner, until, runId, previousOwner) as number | undefined) ?? undefined,
    );
  }

  claimNextRuns(
    owner: string,
    until: number,
    now: number,
    roles: readonly string[],
    limits: Readonly<Record<string, number>>,
    max: number,
  ): Promise<RunSnapshot[]> {
    if (roles.length === 0 || max < 1) return Promise.resolve([]);
    // Select and lease in one write transaction, so two claimants can never take the same run, and the
    // per-role counts cannot change between counting and leasing.
    return this.write('claiming queued work', (s) => {
      const limited = roles.filter((r) => limits[r] !== undefined);
      const live =
        limited.length === 0
          ? []
          : (s
              .sql(
                `SELECT role, COUNT(*) AS n FROM runs WHERE role IN (${marks(limited.length)})
                   AND status IN ('queued', 'running') AND lease_owner IS NOT NULL AND lease_until >= ?
                 GROUP BY role`,
              )
              .all([...limited, now]) as { role: string; n: number }[]);
      const cap = capacities(limits, live);
      const out: RunSnapshot[] = [];
      const taken = new Set<string>();
      for (;;) {
        const open = openRoles(roles, cap);
        if (open.length === 0 || out.length >= max) break;
        const rows = s
          .sql(
            `SELECT id, role FROM runs
             WHERE role IN (${marks(open.length)}) AND status IN ('queued', 'running')
               AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < ?)
               AND (not_before IS NULL OR not_before <= ?)
             ORDER BY created_at, id LIMIT ?`,
          )
          .all([...open, now, now, max - out.length + taken.size]) as { id: string; role: string }[];
        const fresh = rows.filter((r) => !taken.has(r.id));
        const { picked, skipped } = pick(fresh, cap, max - out.length);
        for (const r of picked) {
          taken.add(r.id);
          // The snapshot comes from the same write transaction: the worker needs no second read.
          out.push(snapshotOf(s, rowToRun(s.leaseRun.get(owner, until, r.id) as Row)));
        }
        if (!skipped || fresh.length === 0) break;
      }
      return out;
    });
  }

  // ── continuous agents ──

  claimAgent(role: string, owner: string, until: number, now: number): Promise<AgentRecord | undefined> {
    return this.write(`claiming the agent of ${role}`, (s) => {
      s.sql(
        `INSERT INTO agents (role, owner, lease_until, heartbeat_at, state, started_at, updated_at)
         VALUES (?, NULL, NULL, NULL, ?, ?, ?) ON CONFLICT (role) DO NOTHING`,
      ).run(role, JSON.stringify(newAgentState()), now, now);
      const row = s.sql('SELECT * FROM agents WHERE role = ?').get(role) as Row;
      const claimed = leaseAgent(rowToAgent(row), owner, until, now);
      if (!claimed) return undefined;
      s.sql(
        'UPDATE agents SET owner = ?, lease_until = ?, heartbeat_at = ?, state = ?, updated_at = ? WHERE role = ?',
      ).run(owner, until, now, JSON.stringify(agentState(claimed)), now, role);
      return claimed;
    });
  }

  heartbeatAgents(owner: string, roles: readonly string[], until: number, now: number): Promise<string[]> {
    if (roles.length === 0) return Promise.resolve([]);
    return this.write('renewing agent leases', (s) =>
      (
        s
          .sql(
            `UPDATE agents SET lease_until = ?, heartbeat_at = ? WHERE owner = ? AND role IN (${marks(roles.length)})
             RETURNING role`,
          )
          .all([until, now, owner, ...roles]) as { role: string }[]
      ).map((r) => r.role),
    );
  }

  saveAgent(agent: AgentRecord, owner: string): Promise<boolean> {
    return this.write(`saving the agent of ${agent.role}`, (s) => saveAgentRow(s, agent, owner));
  }

  releaseAgent(role: string, owner: string): Promise<void> {
    return this.write(`releasing the agent of ${role}`, (s) => {
      s.sql('UPDATE agents SET owner = NULL, lease_until = NULL WHERE role = ? AND owner = ?').run(
        role,
        owner,
      );
    });
  }

  getAgent(role: string): Promise<AgentRecord | undefined> {
    return this.read(`reading the agent of ${role}`, (s) => {
      const row = s.sql('SELECT * FROM agents WHERE role = ?').get(role) as Row | undefined;
      return row ? rowToAgent(row) : undefined;
    });
  }

  listAgents(): Promise<AgentRecord[]> {
    return this.read('listing agents', (s) =>
      (s.sql('SELECT * FROM agents ORDER BY role').all() as Row[]).map(rowToAgent),
    );
  }

  pushInbox(item: InboxItem): Promise<{ item: InboxItem; created: boolean }> {
    return this.write(`adding to the inbox of ${item.role}`, (s) => {
      const done = s
        .sql(
          `INSERT INTO inbox (id, role, event, payload, idempotency_key, created_at, handled_at, run_id)
           VALUES (?, ?, ?, ?, ?, ?, NULL, NULL) ON CONFLICT (idempotency_key) DO NOTHING`,
        )
        .run(
          item.id,
          item.role,
          item.event,
          JSON.stringify(item.payload ?? null),
          item.idempotencyKey,
          item.createdAt,
        );
      if (done.changes === 1) return { item, created: true };
      const row = s.sql('SELECT * FROM inbox WHERE idempotency_key = ?').get(item.idempotencyKey) as Row;
      return { item: rowToInbox(row), created: false };
    });
  }

  inboxHead(role: string): Promise<InboxItem | undefined> {
    return this.read(`reading the inbox of ${role}`, (s) => {
      const row = s
        .sql('SELECT * FROM inbox WHERE role = ? AND handled_at IS NULL ORDER BY n LIMIT 1')
        .get(role) as Row | undefined;
      return row ? rowToInbox(row) : undefined;
    });
  }

  rolesWithInbox(roles: readonly string[]): Promise<string[]> {
    if (roles.length === 0) return Promise.resolve([]);
    return this.read('looking for waiting inbox items', (s) =>
      (
        s
          .sql(
            `SELECT DISTINCT role FROM inbox WHERE handled_at IS NULL AND role IN (${marks(roles.length)})`,
          )
          .all([...roles]) as { role: string }[]
      ).map((r) => r.role),
    );
  }

  inboxDepth(role: string): Promise<number> {
    return this.read(`counting the inbox of ${role}`, (s) =>
      Number(s.sql('SELECT COUNT(*) FROM inbox WHERE role = ? AND handled_at IS NULL').pluck().get(role)),
    );
  }

  finishInboxItem(
    itemId: string,
    runId: string,
    agent: AgentRecord,
    owner: string,
    at: number,
  ): Promise<boolean> {
    return this.write(`finishing inbox item ${itemId}`, (s) => {
      if (!saveAgentRow(s, agent, owner)) return false;
      s.sql('UPDATE inbox SET handled_at = ?, run_id = ? WHERE id = ? AND handled_at IS NULL').run(
        at,
        runId,
        itemId,
      );
      return true;
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

  countRuns(statuses: readonly RunStatus[], role?: string): Promise<Record<string, number>> {
    return this.read('counting runs', (s) => {
      const rows = s
        .sql(
          `SELECT status, COUNT(*) AS n FROM runs WHERE status IN (SELECT value FROM json_each(?))${role === undefined ? '' : ' AND role = ?'} GROUP BY status`,
        )
        .all(JSON.stringify(statuses), ...(role === undefined ? [] : [role])) as {
        status: string;
        n: number;
      }[];
      return countsOf(statuses, rows);
    });
  }

  putSubscriptions(records: readonly SubscriptionRecord[]): Promise<void> {
    return this.write('recording event subscriptions', (s) => {
      const upsert = s.sql(
        `INSERT INTO subscriptions (event, role, role_version, seen_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (event, role, role_version) DO UPDATE SET seen_at = excluded.seen_at`,
      );
      for (const r of records) upsert.run(r.event, r.role, r.roleVersion, r.seenAt);
    });
  }

  listSubscriptions(since: number): Promise<SubscriptionRecord[]> {
    return this.read('listing event subscriptions', (s) =>
      (
        s.sql('SELECT * FROM subscriptions WHERE seen_at >= ? ORDER BY event, role').all(since) as {
          event: string;
          role: string;
          role_version: string;
          seen_at: number;
        }[]
      ).map((r) => ({ event: r.event, role: r.role, roleVersion: r.role_version, seenAt: r.seen_at })),
    );
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

function rowToAgent(row: Row): AgentRecord {
  return agentFromColumns({
    role: row.role as string,
    owner: (row.owner as string | null) ?? null,
    leaseUntil: (row.lease_until as number | null) ?? null,
    heartbeatAt: (row.heartbeat_at as number | null) ?? null,
    state: JSON.parse(row.state as string),
    startedAt: row.started_at as number,
    updatedAt: row.updated_at as number,
  });
}

function rowToInbox(row: Row): InboxItem {
  return {
    id: row.id as string,
    role: row.role as string,
    event: row.event as string,
    payload: JSON.parse(row.payload as string),
    idempotencyKey: (row.idempotency_key as string | null) ?? null,
    createdAt: row.created_at as number,
    handledAt: (row.handled_at as number | null) ?? null,
    runId: (row.run_id as string | null) ?? null,
  };
}

/** Writes the agent's state if `owner` still holds its lease. */
function saveAgentRow(s: Statements, agent: AgentRecord, owner: string): boolean {
  return (
    s
      .sql('UPDATE agents SET state = ?, updated_at = ? WHERE role = ? AND owner = ?')
      .run(JSON.stringify(agentState(agent)), agent.updatedAt, agent.role, owner).changes === 1
  );
}

/** A run's records (read in the caller's transaction). */
function snapshotOf(s: Statements, run: RunRecord): RunSnapshot {
  return {
    run,
    steps: (s.stepsOfRun.all(run.id) as Row[]).map(rowToStep),
    toolCalls: (s.toolCallsOfRun.all(run.id) as Row[]).map(rowToToolCall),
    approvals: (s.approvalsOfRun.all(run.id) as Row[]).map(rowToApproval),
    escalations: (s.escalationsOfRun.all(run.id) as Row[]).map(rowToEscalation),
  };
}
