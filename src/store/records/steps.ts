// The run's log: its numbered steps, and the tool calls its model turns asked for (the ledger).
import type { Decision } from '../../domain.js';

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
  /** An escalation went on along its path: to a manager agent's run, or to people (docs/escalation.md). */
  | 'escalation_hop'
  /** A drafted change set went on along its path: to the manager agent that approves drafts, or to people. */
  | 'approval_hop'
  | 'output_invalid'
  | 'budget_exceeded'
  | 'run_resumed'
  | 'run_retry_scheduled'
  | 'run_finished'
  /** A delegation's child run was created (or found, after a crash) for one of the run's calls. */
  | 'child_started'
  /** A child run paused for a human: the parent waits, paused too, until it goes on. */
  | 'child_waiting'
  /**
   * A child run waits, queued, for a place: its specialist's `concurrency` runs are in flight. The parent's
   * driver takes it up when one frees (its next step is the child's `run_resumed`).
   */
  | 'child_queued'
  /** An executor (claude-code, codex) began a session; a second one means the first was cut off. */
  | 'executor_started'
  /** One event of an executor's session (a message, a tool use, its result). */
  | 'executor_event'
  /** A paused matter's tier timed out: the next tier was notified, or (the last) the run stays paused. */
  | 'tier_passed';

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

export type { Decision } from '../../domain.js';

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
