// What waits for a human (or a manager agent): change sets to approve, escalations to answer.
import type { Autonomy, EscalationCategory } from '../../domain.js';

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
  /** A rule on a tool's result matched when the result was committed; the model has not seen it yet. */
  | 'result_rule'
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
  /**
   * The held tool call, for tool-rule and unknown-outcome escalations; for a result rule, the call whose
   * result is held (the call itself has run).
   */
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
