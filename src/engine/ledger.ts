// A decision becomes a ledger row: the call's key, its record bound to the hash of exactly what was asked,
// the status its verdict implies, and what the turn adds to the run's usage. One home, so a call asked for
// by the turn loop and one asked for in an executor's session enter the ledger the same way.
import { hashJson } from '../canonical-json.js';
import { NightshiftError } from '../errors.js';
import { roundUsd } from '../models/pricing.js';
import type { Usage } from '../models/types.js';
import type { PolicyDecision } from '../policy/decide.js';
import type { EscalationRecord, ToolCallRecord } from '../store/types.js';

/**
 * A call's key: its position in the run (the model turn's step, its index in the turn). Stable across
 * resumes, so it is also the idempotency key the tool is given.
 */
export function callKey(runId: string, step: number, index: number): string {
  return `${runId}:${step}:${index}`;
}

/** The ledger row of a judged call, still `pending`: applyVerdict sets what the verdict implies. */
export function callRecord(
  runId: string,
  step: number,
  index: number,
  request: { id: string; tool: string; args: unknown },
  verdict: Pick<PolicyDecision, 'decision' | 'reason'>,
): ToolCallRecord {
  return {
    key: callKey(runId, step, index),
    runId,
    step,
    index,
    callId: request.id,
    tool: request.tool,
    args: request.args,
    argsHash: hashJson({ tool: request.tool, args: request.args }),
    decision: verdict.decision,
    reason: verdict.reason,
    status: 'pending',
    result: null,
    isError: false,
    approvalId: null,
    escalationId: null,
    startedAt: null,
    finishedAt: null,
  };
}

/**
 * Sets on `record` (fresh from callRecord) the status its verdict implies, as of `at`: allowed, it stays
 * pending and runs next; drafted, it waits for an approval; denied, it is finished, with the reason as the
 * result the model reads; escalated, it is held by `escalation`, raised in the same batch.
 */
export function applyVerdict(
  record: ToolCallRecord,
  verdict: Pick<PolicyDecision, 'decision' | 'reason'>,
  at: number,
  escalation?: EscalationRecord,
): ToolCallRecord {
  switch (verdict.decision) {
    case 'allow':
      break;
    case 'draft':
      record.status = 'drafted';
      break;
    case 'deny':
      record.status = 'denied';
      record.result = { denied: true, reason: verdict.reason };
      record.isError = true;
      record.finishedAt = at;
      break;
    case 'escalate':
      if (!escalation)
        throw new NightshiftError('INTERNAL', `call ${record.key} is escalated without an escalation`);
      record.status = 'held';
      record.escalationId = escalation.id;
      break;
  }
  return record;
}

/** The run's usage after a turn (or a whole executor session) that used `turn`. */
export function addUsage(run: Usage, turn: Usage): Usage {
  return {
    inputTokens: run.inputTokens + turn.inputTokens,
    outputTokens: run.outputTokens + turn.outputTokens,
    cachedInputTokens: run.cachedInputTokens + turn.cachedInputTokens,
    // Rounded as each turn's cost is: a sum of them carries binary noise of its own (pricing.ts).
    costUsd: roundUsd(run.costUsd + turn.costUsd),
  };
}
