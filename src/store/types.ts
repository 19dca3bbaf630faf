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
  | 'run_finished'
  /** An executor (claude-code, codex) began a session; a second one means the first was cut off. */
  | 'executor_started'
  /** One event of an executor's session (a message, a tool use, its result). */
  | 'executor_event';

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

export type EscalationSource = 'model' | 'tool_rule' | 'input_rule' | 'budget' | 'unknown_outcome';
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
  >
>;

/**
 * One atomic write. The store checks `run.seq === expectSeq`, appends `steps` (whose seqs must continue
 * from expectSeq), applies the patch, upserts the records, and checks every `expectStatus`. Any failed
 * check rolls the whole batch back and throws STORE_CONFLICT (or APPROVAL_NOT_PENDING /
 * ESCALATION_NOT_PENDING for a status precondition).
 */
export interface CommitBatch {
  runId: string;
  expectSeq: number;
  steps: StepRecord[];
  run?: RunPatch;
  toolCalls?: ToolCallRecord[];
  approvals?: { record: ApprovalRecord; expectStatus?: ApprovalStatus }[];
  escalations?: { record: EscalationRecord; expectStatus?: EscalationStatus }[];
  audit?: NewAuditEvent[];
  /** Time of the commit; becomes run.updatedAt. */
  at: number;
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
   * Takes the run's lease for `owner` until `until` if it is free, expired, or already owner's.
   * Returns false when another owner holds a live lease. Leases are what make one run execute in one place.
   */
  claimRun(runId: string, owner: string, until: number, now: number): Promise<boolean>;
  /** Takes the lease from exactly `previousOwner` (a holder known to be dead); false if it changed. */
  stealRun(runId: string, previousOwner: string, owner: string, until: number): Promise<boolean>;
  releaseRun(runId: string, owner: string): Promise<void>;

  /**
   * The queue: leases the oldest run that is `queued`, or `running` with an expired lease (its worker
   * died), among the given roles, to `owner` until `until`. Each run goes to exactly one claimant.
   */
  claimNextRun(
    owner: string,
    until: number,
    now: number,
    roles: readonly string[],
  ): Promise<RunRecord | undefined>;

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
}
