// What one atomic write carries, and what a load returns: the unit of the run log.
import type { ApprovalRecord, ApprovalStatus, EscalationRecord, EscalationStatus } from './approvals.js';
import type { NewAuditEvent } from './catalog.js';
import type { DecisionTierRecord, OutboxRecord } from './notifications.js';
import type { RunLease, RunPatch, RunRecord } from './run.js';
import type { StepRecord, ToolCallRecord } from './steps.js';

export interface RunSnapshot {
  run: RunRecord;
  steps: StepRecord[];
  toolCalls: ToolCallRecord[];
  approvals: ApprovalRecord[];
  escalations: EscalationRecord[];
}

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
  /** Notifications to send (the outbox), written with the pause that asks for them; a known id is kept. */
  notifications?: OutboxRecord[];
  /**
   * A paused matter's tier: inserted (no `expectTier`; a known decision keeps its row) or moved on from
   * exactly `expectTier` (else STORE_CONFLICT), so a tier passes on once however many sweepers race.
   */
  tiers?: { record: DecisionTierRecord; expectTier?: number }[];
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
   * effect happened. The embedded store fsyncs the WAL after that COMMIT, before it resolves (wal-sync.ts); on Postgres every
   * commit is synced already (synchronous_commit on).
   */
  durable?: boolean;
}
