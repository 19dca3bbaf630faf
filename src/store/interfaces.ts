// The Store, by concept: one small interface per thing the runtime persists, and `Store` as all of them.
// Code that needs one concept takes only that slice (the worker's lease sweep takes RunLeases, the
// continuous supervisor Agents and AgentInbox), so a reader sees what it can touch and a test double
// needs only those methods. The embedded SQLite store and the Postgres store implement the whole `Store`
// and both pass test/contract/store.ts.
//
// Design rules that keep it portable across SQLite and Postgres:
// - Every write the engine makes is one `commit(batch)`: a single transaction, fenced by the run's `seq`
//   (compare-and-set), so two workers can never both advance one run.
// - Conditional updates (an approval that must still be pending) fail the whole batch, never half of it.
// - No engine code relies on synchronous access, rowids, or SQLite's single-writer lock.
import type { AuditChainHead, ChainedAuditRow } from '../audit/chain.js';
import type { AccessTokenRecord, LoginLinkRecord, SessionRecord } from './records/access.js';
import type { AgentRecord, InboxItem } from './records/agents.js';
import type {
  ApprovalRecord,
  ApprovalStatus,
  EscalationRecord,
  EscalationStatus,
} from './records/approvals.js';
import type { CommitBatch, RunSnapshot } from './records/batch.js';
import type { AuditEvent, NewAuditEvent, RoleVersionRecord, SubscriptionRecord } from './records/catalog.js';
import type { EvalResultFilter, EvalResultRecord } from './records/evals.js';
import type { EventDelivered, EventDelivery } from './records/event.js';
import type { ImprovementRoundFilter, ImprovementRoundRecord } from './records/improvements.js';
import type { DecisionTierRecord, OutboxRecord, OutboxStatus } from './records/notifications.js';
import type { PromotionOutcome, PromotionRecord, PromotionStatus } from './records/promotions.js';
import type {
  HumanListFilter,
  LeaseRenewal,
  RunFilter,
  RunLease,
  RunRecord,
  RunStatus,
} from './records/run.js';
import type { StatsFilter, StatsOptions, StatsRows } from './records/stats.js';
import type { AuditChainFilter } from './sql/audit.js';

/** What `Store.health()` reports. */
export interface StoreHealth {
  ok: boolean;
  /**
   * Why not: STORE_UNAVAILABLE (database unreachable), DISK_FULL, WAL_SYNC_FAILED (an fsync of the
   * embedded store's WAL failed: durable claims fail until the store is reopened), STORE_CORRUPT (SQLite
   * found the embedded store's file damaged: nothing more is claimed until it is restored and reopened).
   */
  code?: 'STORE_UNAVAILABLE' | 'DISK_FULL' | 'WAL_SYNC_FAILED' | 'STORE_CORRUPT';
  reason?: string;
}

/** Opening and closing the store. */
export interface StoreLifecycle {
  /** Creates or migrates the schema (numbered, forward-only migrations). Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional: the store's own wall clock in ms since the epoch, where one server's clock is shared by
   * every worker (Postgres). A runtime over it keeps time by it (store-clock.ts), not by its host's.
   */
  clockNow?(): Promise<number>;
}

/** Whether the store can take writes (what `/readyz` and the outage log read). */
export interface StoreHealthWatch {
  /**
   * Optional: whether the store can take writes now (Postgres reachable, the disk not full). `/readyz`
   * answers 503 while it is not ok; `watchHealth` hears each flip once (for one log line per outage), and
   * events worth a line that change nothing (`detail.event`: a checkpoint thread restarted).
   */
  health?(): StoreHealth;
  watchHealth?(listener: (health: StoreHealth, detail: Record<string, unknown>) => void): () => void;
}

/** The resolved roles runs were started with, so a run can continue after its role file changed. */
export interface RoleVersions {
  putRoleVersion(record: RoleVersionRecord): Promise<void>;
  getRoleVersion(name: string, version: string): Promise<RoleVersionRecord | undefined>;
}

/** Which version of each role is active, and promotions waiting for a person (src/versions/). */
export interface RolePromotions {
  /** Every stored version of the role, oldest first. */
  listRoleVersions(name: string): Promise<RoleVersionRecord[]>;
  /** Stored versions (of `role`, or of every role) whose hash starts with `prefix`; at most 20. */
  findRoleVersions(prefix: string, role?: string): Promise<RoleVersionRecord[]>;
  /** The promotion in effect for the role (the done one that took effect last); undefined: none. */
  activePromotion(role: string): Promise<PromotionRecord | undefined>;
  getPromotion(id: string): Promise<PromotionRecord | undefined>;
  /** Newest first (by request time). */
  listPromotions(filter?: { role?: string; status?: PromotionStatus }): Promise<PromotionRecord[]>;
  /**
   * Writes `p` and its audit entries in one transaction, serialised with every other promotion of the
   * role: a new promotion, or (`settle`) a pending one decided. Nothing is written, and the answer says
   * why, when settling one that is no longer pending ('not_pending') or when `p` takes effect (`done`)
   * but the promotion in effect is not `p.baseId` ('stale'). A promotion taking effect gets the next seq.
   */
  applyPromotion(
    p: PromotionRecord,
    o: { settle: boolean },
    audit: readonly NewAuditEvent[],
  ): Promise<PromotionOutcome>;
}

/** Eval results against role versions (src/evals/): appended, never changed. */
export interface EvalResults {
  putEvalResult(record: EvalResultRecord): Promise<void>;
  /** Newest first. */
  listEvalResults(filter: EvalResultFilter): Promise<EvalResultRecord[]>;
}

/** The improve loop's rounds (src/improve/). */
export interface ImprovementRounds {
  /** Writes the round, or replaces the one with its id (a round is written as it starts its eval and as it ends). */
  putImprovementRound(record: ImprovementRoundRecord): Promise<void>;
  /** Newest first. */
  listImprovementRounds(filter: ImprovementRoundFilter): Promise<ImprovementRoundRecord[]>;
}

/** Runs and their step log: created once, then advanced only by fenced commits. */
export interface RunLog {
  /**
   * Inserts a run with its first steps and records in one transaction. When `run.idempotencyKey` is set
   * and a run with that key exists, nothing is written and the existing run is returned with created=false.
   */
  createRun(
    run: RunRecord,
    init: Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'>,
  ): Promise<{ run: RunRecord; created: boolean }>;
  getRun(id: string): Promise<RunRecord | undefined>;
  loadRun(id: string): Promise<RunSnapshot | undefined>;
  /**
   * How many of the run's steps are of a kind not in `exceptKinds`, counted in the store without reading
   * the log (the worker's busy-progress check, engine/busy-progress.ts); undefined when there is no run.
   */
  countRunSteps(id: string, exceptKinds: readonly string[]): Promise<number | undefined>;
  commit(batch: CommitBatch): Promise<void>;
}

/** An event's deliveries to the roles that take it, recorded all or none (src/runtime/events.ts). */
export interface EventLog {
  /**
   * Records one event's deliveries in one transaction: each run as `createRun` would and each inbox item
   * as `pushInbox` would, so a delivery whose idempotency key is known is found, not written. `check` is
   * called on each found one before the transaction ends; when it throws, nothing of the event is written
   * (the deliveries written before it are rolled back) and its error (a NightshiftError, such as the
   * caller's IDEMPOTENCY_KEY_REUSED, passes unchanged) is the answer. Answers in the order given.
   */
  recordEvent(
    deliveries: readonly EventDelivery[],
    check: (found: EventDelivered, index: number) => void,
  ): Promise<EventDelivered[]>;
}

/** Which worker executes a run: leases with a fencing epoch. */
export interface RunLeases {
  /**
   * Takes the run's lease for `owner` until `until` if it is free, expired, or already owner's, as a new
   * acquisition: returns its epoch (the run's `leaseEpoch`, one more than before), or undefined when another
   * owner holds a live lease. Leases are what make one run execute in one place.
   *
   * With `limit` (the role's `concurrency`), also only while fewer than `limit` other runs of the run's
   * role hold a live lease, counted and taken in one step, as `claimNextRuns` counts its limited roles
   * (and serialized with those claims): a specialist's child run is taken up this way by its parent's
   * driver (delegation/children.ts). Undefined when the limit is full, as when the lease is held.
   */
  claimRun(
    runId: string,
    owner: string,
    until: number,
    now: number,
    limit?: number,
  ): Promise<number | undefined>;
  /**
   * Extends the lease `lease` names to `until`, only while the run is `running` and the lease is still
   * exactly that one (owner and epoch: nobody took the run since, even after it expired). False otherwise
   * (cancelled, paused, finished or taken elsewhere): the driver then stops, aborting what it has in flight.
   */
  renewLease(runId: string, lease: RunLease, until: number): Promise<boolean>;
  /**
   * `renewLease` for many runs in one statement (one round trip, one write): what each answer would have
   * been, in the order given (true: renewed). A worker renews every lease it holds this way, once per beat,
   * instead of one write per run (decision 045). An empty batch touches nothing. If one run appears twice,
   * at most one of its entries is renewed.
   */
  renewLeases(items: readonly LeaseRenewal[]): Promise<boolean[]>;
  /**
   * Takes the lease from exactly `previousOwner` (a holder known to be dead), as a new acquisition: its
   * epoch, or undefined if the holder changed.
   */
  stealRun(runId: string, previousOwner: string, owner: string, until: number): Promise<number | undefined>;
}

/** The queue: queued runs (and runs whose worker died) handed to workers with free slots. */
export interface RunQueue {
  /**
   * Leases up to `max` runs at once (one round trip, one commit): the oldest that are `queued` (and due:
   * `notBefore` passed), or `running` with an expired lease (its worker died; its `attempt` goes up by
   * one), among the given roles, to `owner` until `until` (a new acquisition: `leaseEpoch` goes up by
   * one), and marks them `running` (a claimed run whose worker dies is then taken over like any other).
   * Each run goes to exactly one claimant. A role listed in `limits` gets no more runs once that many of
   * its runs hold a live lease, across every worker sharing the store, and across the whole batch. Each
   * run comes with its snapshot, read in the same statement or transaction, so the worker can drive it
   * at once.
   *
   * A child run (`parentRunId`) whose parent is `queued` or `running` is not handed out: its parent's
   * driver takes it up, with the parent's budget and without a worker's retries (delegation/children.ts).
   * Only a child whose parent is paused waiting for it (a decision handed the child back to the queue,
   * decision 027) or has ended is the queue's.
   */
  claimNextRuns(
    owner: string,
    until: number,
    now: number,
    roles: readonly string[],
    limits: Readonly<Record<string, number>>,
    max: number,
    /**
     * Runs this process drives now: never claimed, however their lease looks. A lease end this process
     * wrote before its wall clock was stepped forward looks expired to it, and re-claiming a run it is
     * still driving would fence out its own live driver mid-call.
     */
    driving?: ReadonlySet<string>,
  ): Promise<RunSnapshot[]>;
  /**
   * Optional: calls `onWork` when another process queues a run (Postgres LISTEN/NOTIFY), so idle workers
   * start it at once instead of at their next poll. Returns the unsubscribe function.
   */
  subscribeWork?(onWork: () => void): Promise<() => Promise<void>>;
}

/** Continuous agents: one per continuous role across the cluster, leased and heartbeated. */
export interface Agents {
  /**
   * Takes the role's agent lease for `owner` until `until` when it is free, expired or already owner's,
   * creating the agent on first use. Returns the agent (with `takenOver` set when a live holder's lease had
   * expired) or undefined when another owner holds it. `deadOwner`: a holder the caller knows is dead (a
   * process of this host that no longer exists), whose lease is taken at once, as if it had expired.
   */
  claimAgent(
    role: string,
    owner: string,
    until: number,
    now: number,
    deadOwner?: string,
  ): Promise<AgentRecord | undefined>;
  /** Renews the leases `owner` holds on these roles (the heartbeat); returns the roles still held. */
  heartbeatAgents(owner: string, roles: readonly string[], until: number, now: number): Promise<string[]>;
  /** Saves the agent's state if `owner` still holds it; false if the lease was lost. */
  saveAgent(agent: AgentRecord, owner: string): Promise<boolean>;
  releaseAgent(role: string, owner: string): Promise<void>;
  getAgent(role: string): Promise<AgentRecord | undefined>;
  listAgents(): Promise<AgentRecord[]>;
}

/** A continuous role's inbox: the events its agent handles one at a time, oldest first. */
export interface AgentInbox {
  /** Appends an event to a continuous role's inbox; with a known idempotency key, returns the first. */
  pushInbox(item: InboxItem): Promise<{ item: InboxItem; created: boolean }>;
  /** The oldest unhandled inbox item of the role. */
  inboxHead(role: string): Promise<InboxItem | undefined>;
  /** How many inbox items of the role wait to be handled. */
  inboxDepth(role: string): Promise<number>;
  /** Which of these roles have inbox items waiting (one query for every idle agent a worker holds). */
  rolesWithInbox(roles: readonly string[]): Promise<string[]>;
  /**
   * Marks the item handled and saves the agent (its new context) in one transaction, if `owner` still
   * holds the agent; false (and nothing written) if it does not.
   */
  finishInboxItem(
    itemId: string,
    runId: string,
    agent: AgentRecord,
    owner: string,
    at: number,
  ): Promise<boolean>;
}

/** Webhook signatures already accepted, so a replayed delivery is refused. */
export interface WebhookReplay {
  /**
   * Remembers a webhook signature; false if it was seen before (a replay). Signatures older than
   * `forgetBefore` may be forgotten.
   */
  rememberSignature(signature: string, at: number, forgetBefore: number): Promise<boolean>;
  /**
   * Forgets a remembered signature: the delivery it signed failed on our side (5xx) and recorded nothing,
   * so the sender's byte-identical retry must not be refused as a replay.
   */
  forgetSignature(signature: string): Promise<void>;
  /**
   * What a delivery recorded under `idempotencyKey` (a run or a continuous role's inbox item), if any. A
   * delivery that failed on our side is forgotten (`forgetSignature`) only when this finds nothing: an
   * answer lost after the write committed must not make its signature good for a second run.
   */
  recordedUnder(idempotencyKey: string): Promise<{ runId: string } | { inboxId: string } | undefined>;
}

/** Which roles the workers serve for which events, so an event reaches roles served elsewhere. */
export interface Subscriptions {
  /** Records (upserts, by event, role and version) that a worker serves these roles for these events. */
  putSubscriptions(records: readonly SubscriptionRecord[]): Promise<void>;
  /** Subscriptions renewed at or after `since`, by event, role, then version. */
  listSubscriptions(since: number): Promise<SubscriptionRecord[]>;
}

/** Change sets waiting for (or decided by) a human. Written only through `RunLog.commit`. */
export interface Approvals {
  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  listApprovals(filter?: HumanListFilter<ApprovalStatus>): Promise<ApprovalRecord[]>;
}

/** Escalations waiting for (or answered by) a human or manager. Written only through `RunLog.commit`. */
export interface Escalations {
  getEscalation(id: string): Promise<EscalationRecord | undefined>;
  listEscalations(filter?: HumanListFilter<EscalationStatus>): Promise<EscalationRecord[]>;
}

/**
 * The notification outbox (rows written through `RunLog.commit`, with the pause) and the paused matters'
 * tiers. Senders claim due rows with a lease; only the holder settles one (src/notifications/sender.ts).
 */
export interface NotificationOutbox {
  /**
   * Leases up to `max` due pending notifications of these channels to `owner` until `until` (a row whose
   * lease expired is due again: its sender died), adding one to each one's `attempt`.
   */
  claimNotifications(
    owner: string,
    until: number,
    now: number,
    channels: readonly string[],
    max: number,
  ): Promise<OutboxRecord[]>;
  /**
   * Settles a notification `owner` holds: sent, failed (for good), cancelled (its matter was decided), or
   * pending again from `dueAt` (a retry). False when the lease was lost (nothing written).
   */
  settleNotification(
    id: string,
    owner: string,
    outcome: { status: OutboxStatus; at: number; dueAt?: number; error?: string | null },
  ): Promise<boolean>;
  /** How many notifications wait to be sent. */
  outboxDepth(): Promise<number>;
  listNotifications(filter?: { decisionId?: string; runId?: string }): Promise<OutboxRecord[]>;
  /** Matters whose tier timed out by `now`, oldest first. */
  dueTiers(now: number, max: number): Promise<DecisionTierRecord[]>;
  getTier(decisionId: string): Promise<DecisionTierRecord | undefined>;
  /** Stops a matter's tier timing out (it was decided or cancelled). */
  closeTier(decisionId: string, at: number): Promise<void>;
}

/**
 * Access tokens, browser sessions and one-time login links (src/auth/). Secrets are never passed here:
 * only their sha256, so the store can be read without handing out a way in.
 */
export interface AccessTokens {
  /** Records a new token; its id and hash are new (a clash is a STORE_CONFLICT). */
  createToken(token: AccessTokenRecord): Promise<void>;
  getToken(id: string): Promise<AccessTokenRecord | undefined>;
  /** The token whose secret hashes to `hash`, revoked or expired ones included (the caller decides). */
  tokenByHash(hash: string): Promise<AccessTokenRecord | undefined>;
  /** Every token, newest first. */
  listTokens(): Promise<AccessTokenRecord[]>;
  /** Revokes a token (and so its sessions); false if there is no such token or it was already revoked. */
  revokeToken(id: string, at: number): Promise<boolean>;
  createSession(session: SessionRecord): Promise<void>;
  /** The session whose secret hashes to `hash`, with its token (whatever their state: the caller decides). */
  sessionByHash(hash: string): Promise<{ session: SessionRecord; token: AccessTokenRecord } | undefined>;
  /** Ends a session (logout); false if there was none or it had ended. */
  endSession(hash: string, at: number): Promise<boolean>;
  createLoginLink(link: LoginLinkRecord): Promise<void>;
  /**
   * Uses a login link once: marks it used and answers its token id, only if it is unused and not expired
   * at `at`. Two concurrent uses: one gets the id, the other undefined.
   */
  useLoginLink(hash: string, at: number): Promise<string | undefined>;
}

/** Listings and sums over many runs: the CLI, the server and the cost budget read these. */
export interface Reads {
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  listAudit(filter?: { runId?: string; limit?: number }): Promise<AuditEvent[]>;
  /**
   * How many runs are in each of `statuses` (of one role, if given), counted in the database: every
   * status asked for is in the answer, 0 when none (`nightshift status`).
   */
  countRuns(statuses: readonly RunStatus[], role?: string): Promise<Record<string, number>>;
  /**
   * USD the role's model turns recorded at or after `since` (the `usage.costUsd` of its `model_turn` steps),
   * whichever run they belong to: what a daily cost budget is checked against.
   */
  roleCostSince(role: string, since: number): Promise<number>;
  /**
   * Whether a run of the role was queued or running at `at` (created before it, not finished by it, not
   * paused for a person then), among every run of the role not finished now and the `recent` newest
   * created before `at` (src/store/sql/under-way.ts): the cron catch-up's overlap rule as of its tick.
   */
  roleRunUnderWayAt(role: string, at: number, recent: number): Promise<boolean>;
}

/**
 * The hash-chained audit log (src/audit/chain.ts), read back whole for export and verification. Entries
 * are written only through batches (`CommitBatch.audit`), which each store chains as it inserts them.
 */
export interface AuditLog {
  /** Entries as stored (data as its JSON text, with their hashes), in id order. */
  readAuditChain(filter: AuditChainFilter): Promise<ChainedAuditRow[]>;
  /**
   * Every chain's head row (one per run with entries, '' for run-less ones): its newest entry. With
   * `chains`, only those chains' heads.
   */
  auditChainHeads(chains?: readonly string[]): Promise<AuditChainHead[]>;
}

/** The figures of `nightshift stats`, aggregated in the database (src/store/sql/stats.ts, src/stats/). */
export interface StatsReads {
  /**
   * Counts, sums and nearest-rank percentiles over the runs `filter` selects, per role and role version:
   * runs by status (with usage), failures by error code, tool calls by tool/decision/status, escalations
   * by category, escalated runs, approvals by status, and the latency, cost and decision-time percentiles.
   * Closed hours are answered from a rollup the call fills as needed (docs/decisions/020-stats-rollup.md).
   */
  statsRows(filter: StatsFilter, options?: StatsOptions): Promise<StatsRows>;
}

/** Everything the runtime persists: one object implementing every concept above. */
export interface Store
  extends StoreLifecycle,
    StoreHealthWatch,
    RoleVersions,
    RolePromotions,
    EvalResults,
    ImprovementRounds,
    RunLog,
    EventLog,
    RunLeases,
    RunQueue,
    Agents,
    AgentInbox,
    WebhookReplay,
    Subscriptions,
    Approvals,
    Escalations,
    NotificationOutbox,
    AccessTokens,
    AuditLog,
    Reads,
    StatsReads {
  /** Which version of this interface the store implements; changes only with a breaking change to it. */
  readonly specificationVersion: 'v1';
}
