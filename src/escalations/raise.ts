// Raising an escalation inside a commit: the pending record and its `escalation_raised` step, together.
// Used by the turn loop (model, tool rules, budgets, unknown outcomes) and by continuous agents' crash loops.
import type { BatchBuilder } from '../engine/state.js';
import type { EscalationRecord } from '../store/types.js';

export type NewEscalation = Pick<
  EscalationRecord,
  'category' | 'reason' | 'missing' | 'source' | 'callKey' | 'context'
>;

export function raiseEscalation(
  b: BatchBuilder,
  id: string,
  of: { runId: string; role: string },
  e: NewEscalation,
): EscalationRecord {
  const record: EscalationRecord = {
    id,
    runId: of.runId,
    role: of.role,
    ...e,
    status: 'pending',
    answer: null,
    answeredBy: null,
    answeredAt: null,
    allowCall: false,
    createdAt: b.at,
  };
  b.escalation(record);
  b.step('escalation_raised', {
    escalationId: record.id,
    category: record.category,
    reason: record.reason,
    source: record.source,
    callKey: record.callKey,
  });
  return record;
}
