// The Store interface: everything the runtime persists. The engine talks only to this interface; the
// embedded SQLite store and the Postgres store implement it and both pass test/contract/store.ts.
//
// Design rules that keep it portable across SQLite and Postgres:
// - Every write the engine makes is one `commit(batch)`: a single transaction, fenced by the run's `seq`
//   (compare-and-set), so two workers can never both advance one run.
// - Conditional updates (an approval that must still be pending) fail the whole batch, never half of it.
// - No engine code relies on synchronous access, rowids, or SQLite's single-writer lock.
import type { EscalationCategory } from '../roles/conditions.js';
import type { Autonomy } from '../roles/schema.js';

export type RunStatus =
  | 'queued'
  | 'running'
  | 'awaiting_approval'
  | 'escalated'
  | 'succeeded'
  | 'failed'
  | 'cancelled';
export const RUN_STATUSES: readonly RunStatus[] = [
  'queued',
  'running',
  'awaiting_approval',
  'escalated',
  'succeeded',
  'failed',
  'cancelled',
];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number;
}

/** Extra budget granted by humans answering budget escalations. */
export interface BudgetGrant {
  steps: number;
  costUsd: number;
  seconds: number;
}

export interface RunError {
  code: string;
  message: string;
  details?: Record<string, unknown> | undefined;
}

export interface RunRecord {
  id: string;
  role: string;
  roleVersion: string;
  /** The model spec the run uses (the role's, or a `--model` override). */
  model: string;
  status: RunStatus;
  input: unknown;
  output: unknown;
  error: RunError | null;
  /** Sequence number of the last persisted step: the fencing token for commits. */
  seq: number;
  /** Model turns taken so far (the unit of budget.maxSteps). */
  turns: number;
  usage: RunUsage;
  /** Milliseconds spent executing (paused time excluded): the unit of budget.maxSeconds. */
  activeMs: number;
  grant: BudgetGrant;
  idempotencyKey: string | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  /**
   * The lease's fencing token: goes up by one every time the lease is taken (a claim, a takeover, a
   * steal), never on a renewal. A commit fenced by a lease (`CommitBatch.lease`) is refused once the
   * epoch moved on, and tools receive it with the idempotency key so receivers can refuse stale callers.
   */
  leaseEpoch: number;
  /**
   * Which attempt this is (1 = the first). A job retry after a transient failure, and a takeover of a run
   * whose worker died, each add one; past the role's `retry.maxAttempts` the run is kept as failed.
   */
  attempt: number;
  /** A queued run is not claimed before this time (retry backoff). */
  notBefore: number | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export type StepKind =
  | 'run_started'
  | 'model_turn'
  | 'decision'
  | 'tool_started'
  | 'tool_finished'
  | 'approval_requested'
  | 'approval_decided'
  | 'escalation_raised'
  | 'escalation_answered'
  | 'output_invalid'
  | 'budget_exceeded'
  | 'run_resumed'
  | 'run_retry_scheduled'
  | 'run_finished'
  /** An executor (claude-code, codex) began a session; a second one means the first was cut off. */
  | 'executor_started'
  /** One event of an executor's session (a message, a tool use, its result). */
  | 'executor_event';

/**
 * A step as the store keeps it: `data` is the JSON the writing version put there. The engine reads steps
 * typed by kind and validated (src/steps/: RunStep, readSteps); the store does not look inside.
 */
export interface StepRecord {
  runId: string;
  seq: number;
  kind: StepKind;
  at: number;
  data: Record<string, unknown>;
}

export type ToolCallStatus =
  /** Allowed (or approved), not started yet. */
  | 'pending'
  /** Claimed: committed as started before the tool ran. If found after a crash, the outcome is unknown. */
  | 'started'
  | 'succeeded'
  | 'failed'
  | 'denied'
  /** Recorded into a change set, waiting for a human. */
  | 'drafted'
  | 'rejected'
  /** Held by an escalation (a rule matched, or its outcome is unknown), waiting for an answer. */
  | 'held'
  /** The escalation was answered without running the call; the answer is its result. */
  | 'answered';

export type Decision = 'allow' | 'draft' | 'escalate' | 'deny';

export interface ToolCallRecord {
  /** The idempotency key: `<runId>:<step>:<index>`. */
  key: string;
  runId: string;
  /** Seq of the model_turn step that asked for the call. */
  step: number;
  index: number;
  /** The model's id for the call, echoed back with the result. */
  callId: string;
  tool: string;
  args: unknown;
  /** sha256 of the canonical JSON of {tool, args}; approvals bind to it. */
  argsHash: string;
  decision: Decision;
  reason: string;
  status: ToolCallStatus;
  /** What the model sees as the call's result (JSON value), once there is one. */
  result: unknown;
  isError: boolean;
  approvalId: string | null;
  escalationId: string | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'cancelled';

/** A change set: the calls one turn drafted, approved or rejected as a whole. */
export interface ApprovalRecord {
  id: string;
  runId: string;
  role: string;
  roleVersion: string;
  autonomy: Autonomy;
  status: ApprovalStatus;
  callKeys: string[];
  /** Hash over the drafted calls' argsHash values; checked again before the approved calls run. */
  changeSetHash: string;
  /** The drafted calls, for display: tool, args, effect, reason. */
  calls: { key: string; tool: string; args: unknown; effect: string; reason: string }[];
  requestedAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  note: string | null;
}

export type EscalationSource =
  | 'model'
  | 'tool_rule'
  | 'input_rule'
  | 'budget'
  | 'unknown_outcome'
  /** A continuous agent failed too many times in a row. */
  | 'agent_failures';
export type EscalationStatus = 'pending' | 'answered' | 'cancelled';

export interface EscalationRecord {
  id: string;
  runId: string;
  role: string;
  category: EscalationCategory;
  reason: string;
  /** What the agent says it is missing, when it escalated itself. */
  missing: string | null;
  source: EscalationSource;
  /** The held tool call, for tool-rule and unknown-outcome escalations. */
  callKey: string | null;
  /** What a manager agent or human needs to decide: the call, the input, recent conversation. */
  context: Record<string, unknown>;
  status: EscalationStatus;
  answer: string | null;
  answeredBy: string | null;
  answeredAt: number | null;
  /** Whether the answer allowed the held call to run once. */
  allowCall: boolean;
  createdAt: number;
}

export interface AuditEvent {
  id: number;
  at: number;
  actor: string;
  action: string;
  runId: string | null;
  target: string | null;
  data: Record<string, unknown>;
}
export type NewAuditEvent = Omit<AuditEvent, 'id'>;

export interface RoleVersionRecord {
  name: string;
  version: string;
  /** The resolved role (absolute paths), enough to run it again without the file. */
  spec: Record<string, unknown>;
  createdAt: number;
}

/**
 * A role some worker serves for a named event, renewed while it serves: how an event emitted in one
 * process reaches roles that only other processes serve.
 */
export interface SubscriptionRecord {
  event: string;
  role: string;
  roleVersion: string;
  /** When a worker serving it last said so. */
  seenAt: number;
}

export type AgentStatus = 'idle' | 'working' | 'waiting' | 'backoff' | 'escalated';

/** A continuous role's long-lived agent: its lease, heartbeat, restarts and persistent context. */
export interface AgentRecord {
  role: string;
  status: AgentStatus;
  owner: string | null;
  leaseUntil: number | null;
  heartbeatAt: number | null;
  /** Times a worker took the agent over from a holder whose lease had expired (it died or hung). */
  takeovers: number;
  /** Times the agent was restarted after its handling of an event failed. */
  restarts: number;
  /** Failures in a row; reset by a handled event; at the role's limit the agent escalates. */
  failures: number;
  /** In backoff: not before this time. */
  nextAttemptAt: number | null;
  /** The persistent context every handled event may update (the run output's `context`). */
  context: unknown;
  /** The run handling the current inbox item, if any. */
  runId: string | null;
  lastError: RunError | null;
  /** The escalation raised after too many failures; answering it lets the agent try again. */
  escalationId: string | null;
  /** Set by claimAgent when the lease was taken from an expired holder. */
  takenOver?: boolean;
  startedAt: number;
  updatedAt: number;
}

export interface InboxItem {
  id: string;
  role: string;
  event: string;
  payload: unknown;
  idempotencyKey: string | null;
  createdAt: number;
  handledAt: number | null;
  runId: string | null;
}

export interface RunSnapshot {
  run: RunRecord;
  steps: StepRecord[];
  toolCalls: ToolCallRecord[];
  approvals: ApprovalRecord[];
  escalations: EscalationRecord[];
}

export type RunPatch = Partial<
  Pick<
    RunRecord,
    | 'status'
    | 'output'
    | 'error'
    | 'turns'
    | 'usage'
    | 'activeMs'
    | 'grant'
    | 'finishedAt'
    | 'leaseOwner'
    | 'leaseUntil'
    | 'attempt'
    | 'notBefore'
  >
>;

/** A lease as one worker holds it: the owner and the acquisition (epoch) it holds. */
export interface RunLease {
  owner: string;
  epoch: number;
}

/**
 * One atomic write. The store checks `run.seq === expectSeq`, appends `steps` (whose seqs must continue
 * from expectSeq), applies the patch, upserts the records, and checks every `expectStatus`. Any failed
 * check rolls the whole batch back and throws STORE_CONFLICT (or APPROVAL_NOT_PENDING /
 * ESCALATION_NOT_PENDING for a status precondition).
 */
/** What `Store.health()` reports. */
export interface StoreHealth {
  ok: boolean;
  /** Why not: STORE_UNAVAILABLE (database unreachable), DISK_FULL. */
  code?: 'STORE_UNAVAILABLE' | 'DISK_FULL';
  reason?: string;
}

export interface CommitBatch {
  runId: string;
  expectSeq: number;
  steps: StepRecord[];
  run?: RunPatch;
  toolCalls?: ToolCallRecord[];
  approvals?: { record: ApprovalRecord; expectStatus?: ApprovalStatus }[];
  escalations?: { record: EscalationRecord; expectStatus?: EscalationStatus }[];
  audit?: NewAuditEvent[];
  /**
   * When set, the batch is written only while this lease still holds the run (same owner and epoch), on
   * top of the seq check: a worker that lost its lease cannot commit, even before anyone advanced the run
   * (a takeover leases the run before it commits anything). STORE_CONFLICT otherwise.
   */
  lease?: RunLease;
  /** Time of the commit; becomes run.updatedAt. */
  at: number;
  /**
   * Durable against power loss before it resolves, not only against a process crash: set on the batch
   * that claims a non-idempotent tool call (decision 001), so the claim cannot vanish while the side
   * effect happened. The embedded store syncs that commit's WAL (synchronous=FULL); on Postgres every
   * commit is synced already (synchronous_commit on).
   */
  durable?: boolean;
}

export interface RunFilter {
  role?: string;
  status?: RunStatus[];
  limit?: number;
}

export interface Store {
  readonly kind: string;
  /** Creates or migrates the schema (numbered, forward-only migrations). Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;

  putRoleVersion(record: RoleVersionRecord): Promise<void>;
  getRoleVersion(name: string, version: string): Promise<RoleVersionRecord | undefined>;

  /**
   * Inserts a run with its first steps and records in one transaction. When `run.idempotencyKey` is set
   * and a run with that key exists, nothing is written and the existing run is returned with created=false.
   */
  createRun(
    run: RunRecord,
    init: Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'>,
  ): Promise<{ run: RunRecord; created: boolean }>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  loadRun(id: string): Promise<RunSnapshot | undefined>;
  commit(batch: CommitBatch): Promise<void>;

  /**
   * Takes the run's lease for `owner` until `until` if it is free, expired, or already owner's, as a new
   * acquisition: returns its epoch (the run's `leaseEpoch`, one more than before), or undefined when another
   * owner holds a live lease. Leases are what make one run execute in one place.
   */
  claimRun(runId: string, owner: string, until: number, now: number): Promise<number | undefined>;
  /**
   * Extends the lease `lease` names to `until`, only while the run is `running` and the lease is still
   * exactly that one (owner and epoch: nobody took the run since, even after it expired). False otherwise
   * (cancelled, paused, finished or taken elsewhere): the driver then stops, aborting what it has in flight.
   */
  renewLease(runId: string, lease: RunLease, until: number): Promise<boolean>;
  /**
   * Takes the lease from exactly `previousOwner` (a holder known to be dead), as a new acquisition: its
   * epoch, or undefined if the holder changed.
   */
  stealRun(runId: string, previousOwner: string, owner: string, until: number): Promise<number | undefined>;
  releaseRun(runId: string, owner: string): Promise<void>;

  /**
   * The queue: leases the oldest run that is `queued` (and due: `notBefore` passed), or `running` with an
   * expired lease (its worker died; its `attempt` goes up by one), among the given roles, to `owner` until
   * `until` (a new acquisition: `leaseEpoch` goes up by one), and marks it `running` (a claimed run whose worker dies is then taken over like any other). Each run goes to exactly one claimant. A role listed in `limits` gets no more runs once that
   * many of its runs hold a live lease, across every worker sharing the store.
   */
  claimNextRun(
    owner: string,
    until: number,
    now: number,
    roles: readonly string[],
    limits?: Readonly<Record<string, number>>,
  ): Promise<RunRecord | undefined>;
  /**
   * claimNextRun for up to `max` runs at once (one round trip, one commit): how a worker with free slots
   * fills them. Oldest first; per-role limits hold across the whole batch. Each run comes with its
   * snapshot, read in the same statement or transaction, so the worker can drive it at once.
   */
  claimNextRuns(
    owner: string,
    until: number,
    now: number,
    roles: readonly string[],
    limits: Readonly<Record<string, number>>,
    max: number,
  ): Promise<RunSnapshot[]>;

  /**
   * Optional: calls `onWork` when another process queues a run (Postgres LISTEN/NOTIFY), so idle workers
   * start it at once instead of at their next poll. Returns the unsubscribe function.
   */
  subscribeWork?(onWork: () => void): Promise<() => Promise<void>>;

  /**
   * Optional: whether the store can take writes now (Postgres reachable, the disk not full). `/readyz`
   * answers 503 while it is not ok; `watchHealth` hears each flip once (for one log line per outage), and
   * events worth a line that change nothing (`detail.event`: a checkpoint thread restarted).
   */
  health?(): StoreHealth;
  watchHealth?(listener: (health: StoreHealth, detail: Record<string, unknown>) => void): () => void;

  // ── continuous agents (one per role across the cluster, leased, with an inbox) ──

  /**
   * Takes the role's agent lease for `owner` until `until` when it is free, expired or already owner's,
   * creating the agent on first use. Returns the agent (with `takenOver` set when a live holder's lease had
   * expired) or undefined when another owner holds it.
   */
  claimAgent(role: string, owner: string, until: number, now: number): Promise<AgentRecord | undefined>;
  /** Renews the leases `owner` holds on these roles (the heartbeat); returns the roles still held. */
  heartbeatAgents(owner: string, roles: readonly string[], until: number, now: number): Promise<string[]>;
  /** Saves the agent's state if `owner` still holds it; false if the lease was lost. */
  saveAgent(agent: AgentRecord, owner: string): Promise<boolean>;
  releaseAgent(role: string, owner: string): Promise<void>;
  getAgent(role: string): Promise<AgentRecord | undefined>;
  listAgents(): Promise<AgentRecord[]>;
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

  /**
   * Remembers a webhook signature; false if it was seen before (a replay). Signatures older than
   * `forgetBefore` may be forgotten.
   */
  rememberSignature(signature: string, at: number, forgetBefore: number): Promise<boolean>;

  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  listApprovals(filter?: { status?: ApprovalStatus; runId?: string }): Promise<ApprovalRecord[]>;
  getEscalation(id: string): Promise<EscalationRecord | undefined>;
  listEscalations(filter?: { status?: EscalationStatus; runId?: string }): Promise<EscalationRecord[]>;
  listAudit(filter?: { runId?: string; limit?: number }): Promise<AuditEvent[]>;

  /**
   * USD the role's model turns recorded at or after `since` (the `usage.costUsd` of its `model_turn` steps),
   * whichever run they belong to: what a daily cost budget is checked against.
   */
  roleCostSince(role: string, since: number): Promise<number>;

  /**
   * How many runs are in each of `statuses` (of one role, if given), counted in the database: every
   * status asked for is in the answer, 0 when none (`nightshift status`).
   */
  countRuns(statuses: readonly RunStatus[], role?: string): Promise<Record<string, number>>;

  /** Records (upserts, by event, role and version) that a worker serves these roles for these events. */
  putSubscriptions(records: readonly SubscriptionRecord[]): Promise<void>;
  /** Subscriptions renewed at or after `since`, by event, role, then version. */
  listSubscriptions(since: number): Promise<SubscriptionRecord[]>;
}
