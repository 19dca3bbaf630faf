// The embedded store: one SQLite file (WAL, synchronous=NORMAL) through better-sqlite3. Writes go through
// the group committer (one transaction per tick, a savepoint per write); several processes on one file are
// serialised by SQLite's write lock (busy_timeout) and fenced by each run's `seq`.
import type Database from 'better-sqlite3';
import { roleVersionSeen } from '../../audit/actions.js';
import { NightshiftError } from '../../errors.js';
import { countsOf } from '../counts.js';
import * as access from '../sql/access.js';
import * as agents from '../sql/agents.js';
import * as audit from '../sql/audit.js';
import * as catalog from '../sql/catalog.js';
import { sqliteDialect as d } from '../sql/dialect.js';
import * as evals from '../sql/evals.js';
import * as inbox from '../sql/inbox.js';
import * as listings from '../sql/listings.js';
import * as outbox from '../sql/outbox.js';
import * as promotions from '../sql/promotions.js';
import type {
  AccessTokenRecord,
  AgentRecord,
  ApprovalRecord,
  ApprovalStatus,
  AuditEvent,
  CommitBatch,
  DecisionTierRecord,
  EscalationRecord,
  EscalationStatus,
  EvalResultFilter,
  EvalResultRecord,
  HumanListFilter,
  InboxItem,
  LoginLinkRecord,
  NewAuditEvent,
  OutboxRecord,
  OutboxStatus,
  PromotionOutcome,
  PromotionRecord,
  PromotionStatus,
  RoleVersionRecord,
  RunFilter,
  RunLease,
  RunRecord,
  RunSnapshot,
  RunStatus,
  SessionRecord,
  StatsFilter,
  StatsOptions,
  StatsRows,
  Store,
  StoreHealth,
  SubscriptionRecord,
} from '../types.js';
import { claimAgent, finishInboxItem, pushInbox, saveAgent } from './agents.js';
import { BackgroundCheckpointer } from './checkpointer.js';
import { commitBatch, createRun } from './commit.js';
import { DiskHealth } from './disk-health.js';
import { GroupCommit } from './group-commit.js';
import { migrate } from './migrate.js';
import { databasePath, openDatabase, type SqliteStoreOptions } from './open.js';
import { applyPromotion } from './promotions.js';
import { claimQueued } from './queue.js';
import {
  type Row,
  roleVersionValues,
  rowToApproval,
  rowToAudit,
  rowToEscalation,
  rowToRoleVersion,
  rowToRun,
} from './rows.js';
import { snapshotOf } from './snapshot.js';
import { all, get, run, Statements } from './statements.js';
import { sqliteStatsRows } from './stats.js';
import { isDiskFull, storeError } from './store-error.js';
import { WalGate } from './wal-gate.js';

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
    await this.writes.drain();
    await this.checkpointer?.stop();
    this.db.close();
  }

  // ── role versions ──

  putRoleVersion(record: RoleVersionRecord): Promise<void> {
    return this.write(`saving role version ${record.name}@${record.version}`, (s) => {
      if (s.insertRoleVersion.run(roleVersionValues(record)).changes === 1)
        s.audit.append([roleVersionSeen(record)]);
    });
  }

  getRoleVersion(name: string, version: string): Promise<RoleVersionRecord | undefined> {
    return this.read(`reading role version ${name}@${version}`, (s) => {
      const row = s.roleVersion.get(name, version) as Row | undefined;
      return row ? rowToRoleVersion(row) : undefined;
    });
  }

  // ── promotions (src/versions/) ──

  listRoleVersions(name: string): Promise<RoleVersionRecord[]> {
    return this.read('listing role versions', (s) =>
      promotions.toRoleVersions(d, all(s, promotions.roleVersionsOf(d, name))),
    );
  }

  activePromotion(role: string): Promise<PromotionRecord | undefined> {
    return this.read('reading the active version', (s) => {
      const r = get(s, promotions.activePromotion(d, role));
      return r ? promotions.toPromotion(d, r) : undefined;
    });
  }

  getPromotion(id: string): Promise<PromotionRecord | undefined> {
    return this.read('reading a promotion', (s) => {
      const r = get(s, promotions.promotionById(d, id));
      return r ? promotions.toPromotion(d, r) : undefined;
    });
  }

  listPromotions(filter: { role?: string; status?: PromotionStatus } = {}): Promise<PromotionRecord[]> {
    return this.read('listing promotions', (s) =>
      all(s, promotions.listPromotions(d, filter)).map((r) => promotions.toPromotion(d, r)),
    );
  }

  applyPromotion(
    p: PromotionRecord,
    o: { settle: boolean },
    audit: readonly NewAuditEvent[],
  ): Promise<PromotionOutcome> {
    return this.write(`promoting ${p.role}@${p.version}`, (s) => applyPromotion(s, p, o.settle, audit), true);
  }

  // ── eval results ──

  putEvalResult(record: EvalResultRecord): Promise<void> {
    return this.write(`saving eval result ${record.id}`, (s) => {
      run(s, evals.insertEvalResult(d, record));
    });
  }

  listEvalResults(filter: EvalResultFilter): Promise<EvalResultRecord[]> {
    return this.read(`listing eval results of ${filter.role}`, (s) =>
      all(s, evals.listEvalResults(d, filter)).map((r) => evals.toEvalResult(d, r)),
    );
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
    return this.read('listing runs', (s) => all(s, listings.listRuns(d, filter)).map(rowToRun));
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
    return this.write('claiming queued work', (s) => claimQueued(s, owner, until, now, roles, limits, max));
  }

  // ── continuous agents and their inbox ──

  claimAgent(role: string, owner: string, until: number, now: number): Promise<AgentRecord | undefined> {
    return this.write(`claiming the agent of ${role}`, (s) => claimAgent(s, role, owner, until, now));
  }

  heartbeatAgents(owner: string, roles: readonly string[], until: number, now: number): Promise<string[]> {
    if (roles.length === 0) return Promise.resolve([]);
    return this.write('renewing agent leases', (s) =>
      all(s, agents.heartbeat(d, owner, roles, until, now)).map((r) => r.role as string),
    );
  }

  saveAgent(agent: AgentRecord, owner: string): Promise<boolean> {
    return this.write(`saving the agent of ${agent.role}`, (s) => saveAgent(s, agent, owner));
  }

  releaseAgent(role: string, owner: string): Promise<void> {
    return this.write(`releasing the agent of ${role}`, (s) => {
      run(s, agents.releaseAgent(d, role, owner));
    });
  }

  getAgent(role: string): Promise<AgentRecord | undefined> {
    return this.read(`reading the agent of ${role}`, (s) => {
      const row = get(s, agents.agentByRole(d, role));
      return row ? agents.toAgent(d, row) : undefined;
    });
  }

  listAgents(): Promise<AgentRecord[]> {
    return this.read('listing agents', (s) =>
      (s.sql(agents.LIST_AGENTS).all() as Row[]).map((r) => agents.toAgent(d, r)),
    );
  }

  pushInbox(item: InboxItem): Promise<{ item: InboxItem; created: boolean }> {
    return this.write(`adding to the inbox of ${item.role}`, (s) => pushInbox(s, item));
  }

  inboxHead(role: string): Promise<InboxItem | undefined> {
    return this.read(`reading the inbox of ${role}`, (s) => {
      const row = get(s, inbox.head(d, role));
      return row ? inbox.toInbox(d, row) : undefined;
    });
  }

  rolesWithInbox(roles: readonly string[]): Promise<string[]> {
    if (roles.length === 0) return Promise.resolve([]);
    return this.read('looking for waiting inbox items', (s) =>
      all(s, inbox.rolesWaiting(d, roles)).map((r) => r.role as string),
    );
  }

  inboxDepth(role: string): Promise<number> {
    return this.read(`counting the inbox of ${role}`, (s) => Number(get(s, inbox.depth(d, role))?.n ?? 0));
  }

  finishInboxItem(
    itemId: string,
    runId: string,
    agent: AgentRecord,
    owner: string,
    at: number,
  ): Promise<boolean> {
    return this.write(`finishing inbox item ${itemId}`, (s) =>
      finishInboxItem(s, itemId, runId, agent, owner, at),
    );
  }

  // ── webhook replay ──

  rememberSignature(signature: string, at: number, forgetBefore: number): Promise<boolean> {
    return this.write('remembering a webhook signature', (s) => {
      run(s, catalog.forgetSignatures(d, forgetBefore));
      return run(s, catalog.rememberSignature(d, signature, at)).changes === 1;
    });
  }

  // ── the notification outbox and decision tiers ──

  claimNotifications(
    owner: string,
    until: number,
    now: number,
    channels: readonly string[],
    max: number,
  ): Promise<OutboxRecord[]> {
    return this.write('claiming notifications', (s) =>
      all(s, outbox.claimNotifications(d, owner, until, now, channels, max)).map((r) =>
        outbox.toOutbox(d, r),
      ),
    );
  }

  settleNotification(
    id: string,
    owner: string,
    o: { status: OutboxStatus; at: number; dueAt?: number; error?: string | null },
  ): Promise<boolean> {
    return this.write(
      `settling notification ${id}`,
      (s) => run(s, outbox.settleNotification(d, id, owner, o)).changes === 1,
    );
  }

  outboxDepth(): Promise<number> {
    return this.read('counting the outbox', (s) => Number(get(s, outbox.outboxDepth())?.n ?? 0));
  }

  listNotifications(filter: { decisionId?: string; runId?: string } = {}): Promise<OutboxRecord[]> {
    return this.read('listing notifications', (s) =>
      all(s, outbox.listNotifications(d, filter)).map((r) => outbox.toOutbox(d, r)),
    );
  }

  dueTiers(now: number, max: number): Promise<DecisionTierRecord[]> {
    return this.read('reading due tiers', (s) => all(s, outbox.dueTiers(d, now, max)).map(outbox.toTier));
  }

  getTier(decisionId: string): Promise<DecisionTierRecord | undefined> {
    return this.read(`reading the tier of ${decisionId}`, (s) => {
      const row = get(s, outbox.tierOf(d, decisionId));
      return row ? outbox.toTier(row) : undefined;
    });
  }

  closeTier(decisionId: string, at: number): Promise<void> {
    return this.write(`closing the tier of ${decisionId}`, (s) => {
      run(s, outbox.closeTier(d, decisionId, at));
    });
  }

  // ── access tokens, sessions, login links (durable: a token shown or revoked must stay so) ──

  createToken(token: AccessTokenRecord): Promise<void> {
    return this.write(`recording token ${token.id}`, (s) => void run(s, access.insertToken(d, token)), true);
  }

  getToken(id: string): Promise<AccessTokenRecord | undefined> {
    return this.read(`reading token ${id}`, (s) => {
      const row = get(s, access.tokenById(d, id));
      return row ? access.toToken(d, row) : undefined;
    });
  }

  tokenByHash(hash: string): Promise<AccessTokenRecord | undefined> {
    return this.read('looking up a token', (s) => {
      const row = get(s, access.tokenByHash(d, hash));
      return row ? access.toToken(d, row) : undefined;
    });
  }

  listTokens(): Promise<AccessTokenRecord[]> {
    return this.read('listing tokens', (s) => all(s, access.listTokens()).map((r) => access.toToken(d, r)));
  }

  revokeToken(id: string, at: number): Promise<boolean> {
    return this.write(
      `revoking token ${id}`,
      (s) => run(s, access.revokeToken(d, id, at)).changes === 1,
      true,
    );
  }

  createSession(session: SessionRecord): Promise<void> {
    return this.write('recording a session', (s) => void run(s, access.insertSession(d, session)), true);
  }

  sessionByHash(hash: string): Promise<{ session: SessionRecord; token: AccessTokenRecord } | undefined> {
    return this.read('looking up a session', (s) => {
      const row = get(s, access.sessionByHash(d, hash));
      return row ? access.toSessionWithToken(d, row) : undefined;
    });
  }

  endSession(hash: string, at: number): Promise<boolean> {
    return this.write('ending a session', (s) => run(s, access.endSession(d, hash, at)).changes === 1, true);
  }

  createLoginLink(link: LoginLinkRecord): Promise<void> {
    return this.write('recording a login link', (s) => void run(s, access.insertLoginLink(d, link)), true);
  }

  useLoginLink(hash: string, at: number): Promise<string | undefined> {
    return this.write(
      'using a login link',
      (s) => get(s, access.useLoginLink(d, hash, at))?.token_id as string | undefined,
      true,
    );
  }

  // ── approvals, escalations, audit ──

  getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return this.read(`reading approval ${id}`, (s) => {
      const row = s.approvalById.get(id) as Row | undefined;
      return row ? rowToApproval(row) : undefined;
    });
  }

  listApprovals(filter: HumanListFilter<ApprovalStatus> = {}): Promise<ApprovalRecord[]> {
    return this.read('listing approvals', (s) =>
      all(s, listings.listApprovals(d, filter)).map(rowToApproval),
    );
  }

  getEscalation(id: string): Promise<EscalationRecord | undefined> {
    return this.read(`reading escalation ${id}`, (s) => {
      const row = s.escalationById.get(id) as Row | undefined;
      return row ? rowToEscalation(row) : undefined;
    });
  }

  listEscalations(filter: HumanListFilter<EscalationStatus> = {}): Promise<EscalationRecord[]> {
    return this.read('listing escalations', (s) =>
      all(s, listings.listEscalations(d, filter)).map(rowToEscalation),
    );
  }

  listAudit(filter: { runId?: string; limit?: number } = {}): Promise<AuditEvent[]> {
    return this.read('listing audit events', (s) => all(s, listings.listAudit(d, filter)).map(rowToAudit));
  }

  readAuditChain(filter: audit.AuditChainFilter): Promise<audit.ChainedAuditRow[]> {
    return this.read('reading the audit chain', (s) =>
      all(s, audit.readAuditChain(d, filter)).map(audit.toChainedRow),
    );
  }

  auditChainHeads(chains?: readonly string[]): Promise<audit.AuditChainHead[]> {
    return this.read('reading the audit chain heads', (s) =>
      all(s, audit.auditChainHeads(d, chains)).map(audit.toHead),
    );
  }

  countRuns(statuses: readonly RunStatus[], role?: string): Promise<Record<string, number>> {
    return this.read('counting runs', (s) =>
      countsOf(statuses, all(s, catalog.countRuns(d, statuses, role)) as { status: string; n: number }[]),
    );
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
      all(s, catalog.subscriptionsSince(d, since)).map(catalog.toSubscription),
    );
  }

  roleCostSince(role: string, since: number): Promise<number> {
    return this.read(`summing the model cost of role ${role}`, (s) =>
      Number(s.roleCostSince.get(role, since, since)),
    );
  }

  statsRows(filter: StatsFilter, options?: StatsOptions): Promise<StatsRows> {
    return sqliteStatsRows(
      (what, fn) => this.read(what, fn),
      (what, fn) => this.write(what, fn),
      filter,
      options,
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
