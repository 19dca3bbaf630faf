// The Postgres store: the same contract as the embedded one, for many workers on many machines. Every
// commit is one transaction whose first statement is the fenced `UPDATE runs ... WHERE seq = $expected`:
// it takes the run's row lock, so a concurrent commit to the same run waits and then fails the fence.
// This class wires the parts: database.ts (pool, statements, transactions), commit.ts and
// group-commit.ts (writes), queue.ts (claims), agents.ts (continuous agents), ../sql/ (cold paths).

import pg from 'pg';
import { checkBatchShape } from '../batch-shape.js';
import { countsOf } from '../counts.js';
import { seqConflict } from '../errors.js';
import * as access from '../sql/access.js';
import * as agents from '../sql/agents.js';
import * as audit from '../sql/audit.js';
import * as catalog from '../sql/catalog.js';
import { postgresDialect as d, type Query } from '../sql/dialect.js';
import * as evals from '../sql/evals.js';
import * as improvements from '../sql/improvements.js';
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
  ImprovementRoundFilter,
  ImprovementRoundRecord,
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
import * as agentWrites from './agents.js';
import * as pgCatalog from './catalog.js';
import { commitAlone, createRun } from './commit.js';
import { GROUP_COMMIT_SQL, groupCommitParams } from './commit-statement.js';
import { CREATE_GROUP_SQL, createGroupParams, type NewRun } from './create-statement.js';
import { Database, type PostgresStoreOptions } from './database.js';
import { GroupCommit } from './group-commit.js';
import * as leases from './leases.js';
import { migrate } from './migrate.js';
import { applyPromotion } from './promotions.js';
import { claimQueued } from './queue.js';
import { type Row, snapshotLists, toApproval, toAudit, toEscalation, toRun, toSnapshot } from './rows.js';
import { postgresStatsRows } from './stats.js';
import { refusedByPostgres } from './store-error.js';
import { WakeOthers } from './wake-others.js';
import { WorkListener } from './work-listener.js';

export type { PostgresStoreOptions } from './database.js';

export class PostgresStore implements Store {
  readonly specificationVersion = 'v1' as const;
  readonly schema: string;
  private readonly db: Database;
  private readonly wake = new WakeOthers(async () => {
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
  }

  /** The channel workers LISTEN on for new queued work in this schema. */
  private get channel(): string {
    return `nightshift_work_${this.schema}`;
  }

  /** One shared statement (../sql/) outside any transaction. */
  private run(what: string, q: Query): Promise<Row[]> {
    return this.db.q(what, q.text, q.params);
  }

  health(): StoreHealth {
    return this.db.reachable.current();
  }

  watchHealth(listener: (health: StoreHealth, detail: Record<string, unknown>) => void): () => void {
    return this.db.reachable.watch(listener);
  }

  init(): Promise<void> {
    return migrate(this.db);
  }

  async close(): Promise<void> {
    // Commits already handed to the store are written (or fail) before the pool goes.
    await this.createGroup.drain();
    await this.groupCommit.drain();
    this.wake.release();
    await this.wake.settled();
    await this.db.pool.end();
  }

  // ── role versions ──

  putRoleVersion(r: RoleVersionRecord): Promise<void> {
    return pgCatalog.putRoleVersion(this.db, r);
  }

  getRoleVersion(name: string, version: string): Promise<RoleVersionRecord | undefined> {
    return pgCatalog.getRoleVersion(this.db, name, version);
  }
  // ── eval results ──

  async putEvalResult(record: EvalResultRecord): Promise<void> {
    await this.run(`saving eval result ${record.id}`, evals.insertEvalResult(d, record));
  }

  async listEvalResults(filter: EvalResultFilter): Promise<EvalResultRecord[]> {
    const rows = await this.run(`listing eval results of ${filter.role}`, evals.listEvalResults(d, filter));
    return rows.map((r) => evals.toEvalResult(d, r));
  }

  // ── improvement rounds ──

  async putImprovementRound(record: ImprovementRoundRecord): Promise<void> {
    await this.run(`saving improvement round ${record.id}`, improvements.insertImprovementRound(d, record));
  }

  async listImprovementRounds(filter: ImprovementRoundFilter): Promise<ImprovementRoundRecord[]> {
    const rows = await this.run(
      `listing improvement rounds of ${filter.role}`,
      improvements.listImprovementRounds(d, filter),
    );
    return rows.map((r) => improvements.toImprovementRound(d, r));
  }

  // ── promotions (src/versions/) ──

  async listRoleVersions(name: string): Promise<RoleVersionRecord[]> {
    return promotions.toRoleVersions(
      d,
      await this.run('listing role versions', promotions.roleVersionsOf(d, name)),
    );
  }

  async activePromotion(role: string): Promise<PromotionRecord | undefined> {
    const [r] = await this.run('reading the active version', promotions.activePromotion(d, role));
    return r ? promotions.toPromotion(d, r) : undefined;
  }

  async getPromotion(id: string): Promise<PromotionRecord | undefined> {
    const [r] = await this.run('reading a promotion', promotions.promotionById(d, id));
    return r ? promotions.toPromotion(d, r) : undefined;
  }

  async listPromotions(filter: { role?: string; status?: PromotionStatus } = {}): Promise<PromotionRecord[]> {
    const rows = await this.run('listing promotions', promotions.listPromotions(d, filter));
    return rows.map((r) => promotions.toPromotion(d, r));
  }

  applyPromotion(
    p: PromotionRecord,
    o: { settle: boolean },
    audit: readonly NewAuditEvent[],
  ): Promise<PromotionOutcome> {
    return applyPromotion(this.db, p, o.settle, audit);
  }

  // ── runs ──

  async createRun(
    run: RunRecord,
    init: Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'>,
  ): Promise<{ run: RunRecord; created: boolean }> {
    const out = await createRun(this.db, run, init, this.createGroup);
    // Wake idle workers elsewhere at once (LISTEN/NOTIFY) instead of at their next poll.
    if (out.created && run.status === 'queued') this.wake.queued(run.id, run.role);
    return out;
  }

  async commit(batch: CommitBatch): Promise<void> {
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
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const [r] = await this.db.q('reading a run', 'SELECT * FROM runs WHERE id = $1', [id]);
    return r ? toRun(r) : undefined;
  }

  async loadRun(id: string): Promise<RunSnapshot | undefined> {
    // One statement, so one round trip and one snapshot: the run and its records, each list as JSON.
    const [row] = await this.db.q(
      'loading a run',
      `SELECT row_to_json(r) AS run, ${snapshotLists('r')} FROM runs r WHERE r.id = $1`,
      [id],
    );
    return row ? toSnapshot(row) : undefined;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return (await this.run('listing runs', listings.listRuns(d, filter))).map(toRun);
  }

  // ── leases and the queue ──

  claimRun(runId: string, owner: string, until: number, now: number): Promise<number | undefined> {
    return leases.claimRun(this.db, runId, owner, until, now);
  }

  renewLease(runId: string, lease: RunLease, until: number): Promise<boolean> {
    return leases.renewLease(this.db, runId, lease, until);
  }

  stealRun(runId: string, previousOwner: string, owner: string, until: number): Promise<number | undefined> {
    return leases.stealRun(this.db, runId, previousOwner, owner, until);
  }

  async claimNextRuns(
    owner: string,
    until: number,
    now: number,
    roles: readonly string[],
    limits: Readonly<Record<string, number>>,
    max: number,
  ): Promise<RunSnapshot[]> {
    if (roles.length === 0 || max < 1) return [];
    const claim = this.wake.claimStarting();
    let claimed: RunSnapshot[];
    try {
      claimed = await claimQueued(this.db, owner, until, now, roles, limits, max);
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
  }

  /**
   * Calls `onWork` whenever a run is queued by any process sharing the database (one dedicated
   * connection per subscriber). Returns a function that unsubscribes and closes the connection.
   */
  async subscribeWork(onWork: () => void): Promise<() => Promise<void>> {
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
  }

  // ── continuous agents and their inbox ──

  claimAgent(role: string, owner: string, until: number, now: number): Promise<AgentRecord | undefined> {
    return agentWrites.claimAgent(this.db, role, owner, until, now);
  }

  heartbeatAgents(owner: string, roles: readonly string[], until: number, now: number): Promise<string[]> {
    return agentWrites.heartbeatAgents(this.db, owner, roles, until, now);
  }

  async saveAgent(agent: AgentRecord, owner: string): Promise<boolean> {
    const saved = await this.run(`saving the agent of ${agent.role}`, agents.saveAgent(d, agent, owner));
    return saved.length === 1;
  }

  async releaseAgent(role: string, owner: string): Promise<void> {
    await this.run(`releasing the agent of ${role}`, agents.releaseAgent(d, role, owner));
  }

  async getAgent(role: string): Promise<AgentRecord | undefined> {
    const [r] = await this.run(`reading the agent of ${role}`, agents.agentByRole(d, role));
    return r ? agents.toAgent(d, r) : undefined;
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (await this.db.q('listing agents', agents.LIST_AGENTS)).map((r) => agents.toAgent(d, r));
  }

  pushInbox(item: InboxItem): Promise<{ item: InboxItem; created: boolean }> {
    return agentWrites.pushInbox(this.db, item, () => this.wake.notify());
  }

  async inboxHead(role: string): Promise<InboxItem | undefined> {
    const [r] = await this.run(`reading the inbox of ${role}`, inbox.head(d, role));
    return r ? inbox.toInbox(d, r) : undefined;
  }

  async rolesWithInbox(roles: readonly string[]): Promise<string[]> {
    if (roles.length === 0) return [];
    const rows = await this.run('looking for waiting inbox items', inbox.rolesWaiting(d, roles));
    return rows.map((r) => r.role as string);
  }

  async inboxDepth(role: string): Promise<number> {
    const [r] = await this.run(`counting the inbox of ${role}`, inbox.depth(d, role));
    return Number(r?.n ?? 0);
  }

  finishInboxItem(
    itemId: string,
    runId: string,
    agent: AgentRecord,
    owner: string,
    at: number,
  ): Promise<boolean> {
    return agentWrites.finishInboxItem(this.db, itemId, runId, agent, owner, at);
  }

  // ── webhook replay, subscriptions ──

  rememberSignature(signature: string, at: number, forgetBefore: number): Promise<boolean> {
    return this.db.tx('remembering a webhook signature', async (c) => {
      const forget = catalog.forgetSignatures(d, forgetBefore);
      await c.query(forget.text, forget.params);
      const remember = catalog.rememberSignature(d, signature, at);
      return (await c.query(remember.text, remember.params)).rowCount === 1;
    });
  }

  putSubscriptions(records: readonly SubscriptionRecord[]): Promise<void> {
    return pgCatalog.putSubscriptions(this.db, records);
  }

  async listSubscriptions(since: number): Promise<SubscriptionRecord[]> {
    return (await this.run('listing event subscriptions', catalog.subscriptionsSince(d, since))).map(
      catalog.toSubscription,
    );
  }

  // ── the notification outbox and decision tiers ──

  async claimNotifications(
    owner: string,
    until: number,
    now: number,
    channels: readonly string[],
    max: number,
  ): Promise<OutboxRecord[]> {
    const q = outbox.claimNotifications(d, owner, until, now, channels, max);
    return (await this.run('claiming notifications', q)).map((r) => outbox.toOutbox(d, r));
  }

  async settleNotification(
    id: string,
    owner: string,
    o: { status: OutboxStatus; at: number; dueAt?: number; error?: string | null },
  ): Promise<boolean> {
    const q = outbox.settleNotification(d, id, owner, o);
    const rows = await this.run(`settling notification ${id}`, { ...q, text: `${q.text} RETURNING id` });
    return rows.length === 1;
  }

  async outboxDepth(): Promise<number> {
    const [row] = await this.run('counting the outbox', outbox.outboxDepth());
    return Number(row?.n ?? 0);
  }

  async listNotifications(filter: { decisionId?: string; runId?: string } = {}): Promise<OutboxRecord[]> {
    return (await this.run('listing notifications', outbox.listNotifications(d, filter))).map((r) =>
      outbox.toOutbox(d, r),
    );
  }

  async dueTiers(now: number, max: number): Promise<DecisionTierRecord[]> {
    return (await this.run('reading due tiers', outbox.dueTiers(d, now, max))).map(outbox.toTier);
  }

  async getTier(decisionId: string): Promise<DecisionTierRecord | undefined> {
    const [row] = await this.run(`reading the tier of ${decisionId}`, outbox.tierOf(d, decisionId));
    return row ? outbox.toTier(row) : undefined;
  }

  async closeTier(decisionId: string, at: number): Promise<void> {
    await this.run(`closing the tier of ${decisionId}`, outbox.closeTier(d, decisionId, at));
  }

  // ── access tokens, sessions, login links ──

  async createToken(token: AccessTokenRecord): Promise<void> {
    await this.run(`recording token ${token.id}`, access.insertToken(d, token));
  }

  async getToken(id: string): Promise<AccessTokenRecord | undefined> {
    const [row] = await this.run(`reading token ${id}`, access.tokenById(d, id));
    return row ? access.toToken(d, row) : undefined;
  }

  async tokenByHash(hash: string): Promise<AccessTokenRecord | undefined> {
    const [row] = await this.run('looking up a token', access.tokenByHash(d, hash));
    return row ? access.toToken(d, row) : undefined;
  }

  async listTokens(): Promise<AccessTokenRecord[]> {
    return (await this.run('listing tokens', access.listTokens())).map((r) => access.toToken(d, r));
  }

  async revokeToken(id: string, at: number): Promise<boolean> {
    const q = access.revokeToken(d, id, at);
    return (await this.run(`revoking token ${id}`, { ...q, text: `${q.text} RETURNING id` })).length === 1;
  }

  async createSession(session: SessionRecord): Promise<void> {
    await this.run('recording a session', access.insertSession(d, session));
  }

  async sessionByHash(
    hash: string,
  ): Promise<{ session: SessionRecord; token: AccessTokenRecord } | undefined> {
    const [row] = await this.run('looking up a session', access.sessionByHash(d, hash));
    return row ? access.toSessionWithToken(d, row) : undefined;
  }

  async endSession(hash: string, at: number): Promise<boolean> {
    const q = access.endSession(d, hash, at);
    return (await this.run('ending a session', { ...q, text: `${q.text} RETURNING hash` })).length === 1;
  }

  async createLoginLink(link: LoginLinkRecord): Promise<void> {
    await this.run('recording a login link', access.insertLoginLink(d, link));
  }

  async useLoginLink(hash: string, at: number): Promise<string | undefined> {
    const [row] = await this.run('using a login link', access.useLoginLink(d, hash, at));
    return row?.token_id as string | undefined;
  }

  // ── approvals, escalations and reads ──

  getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return pgCatalog.getApproval(this.db, id);
  }

  async listApprovals(filter: HumanListFilter<ApprovalStatus> = {}): Promise<ApprovalRecord[]> {
    return (await this.run('listing approvals', listings.listApprovals(d, filter))).map(toApproval);
  }

  getEscalation(id: string): Promise<EscalationRecord | undefined> {
    return pgCatalog.getEscalation(this.db, id);
  }

  async listEscalations(filter: HumanListFilter<EscalationStatus> = {}): Promise<EscalationRecord[]> {
    return (await this.run('listing escalations', listings.listEscalations(d, filter))).map(toEscalation);
  }

  async listAudit(filter: { runId?: string; limit?: number } = {}): Promise<AuditEvent[]> {
    return (await this.run('listing audit events', listings.listAudit(d, filter))).map(toAudit);
  }

  async readAuditChain(filter: audit.AuditChainFilter): Promise<audit.ChainedAuditRow[]> {
    return (await this.run('reading the audit chain', audit.readAuditChain(d, filter))).map(
      audit.toChainedRow,
    );
  }

  async auditChainHeads(chains?: readonly string[]): Promise<audit.AuditChainHead[]> {
    return (await this.run('reading the audit chain heads', audit.auditChainHeads(d, chains))).map(
      audit.toHead,
    );
  }

  async countRuns(statuses: readonly RunStatus[], role?: string): Promise<Record<string, number>> {
    const rows = await this.run('counting runs', catalog.countRuns(d, statuses, role));
    return countsOf(statuses, rows as { status: string; n: number }[]);
  }

  roleCostSince(role: string, since: number): Promise<number> {
    return pgCatalog.roleCostSince(this.db, role, since);
  }

  statsRows(filter: StatsFilter, options?: StatsOptions): Promise<StatsRows> {
    return postgresStatsRows(this.db, filter, options);
  }
}

/** Status preconditions, outbox rows and tiers are written by commitAlone, not the grouped statement. */
function needsOwnTransaction(batch: Omit<CommitBatch, 'run' | 'expectSeq' | 'at'>): boolean {
  return (
    (batch.approvals?.length ?? 0) > 0 ||
    (batch.escalations?.length ?? 0) > 0 ||
    (batch.notifications?.length ?? 0) > 0 ||
    (batch.tiers?.length ?? 0) > 0
  );
}

export function openPostgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}
