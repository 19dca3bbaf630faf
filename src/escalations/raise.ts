// Raising an escalation inside a commit: the pending record and its `escalation_raised` step, together.
// Used by the turn loop (model, tool rules, budgets, unknown outcomes), by run start (input rules) and by
// continuous agents' crash loops. Where the matter goes next is decided here too (docs/escalation.md):
// to people at once (the hop is in this same commit), or to the role's manager agent, whose run is
// started right after the commit, idempotently (src/managers/path.ts), and logs its own hop.
import type { BatchBuilder } from '../engine/state.js';
import type { HumanPath } from '../notifications/enqueue.js';
import type { EscalationRecord } from '../store/types.js';
import { passToHumans } from './pass-to-humans.js';

export type NewEscalation = Pick<
  EscalationRecord,
  'category' | 'reason' | 'missing' | 'source' | 'callKey' | 'context'
>;

/**
 * Where a new escalation goes: `humans` (the role has no manager agent), `manager` (its run is started
 * after this commit), or `none`: it is a manager run's own, and the manager path passes the matter it was
 * deciding up to people instead (src/managers/path.ts).
 */
export type EscalationRoute = 'humans' | 'manager' | 'none';

export function raiseEscalation(
  b: BatchBuilder,
  id: string,
  of: { runId: string; role: string },
  e: NewEscalation,
  route: EscalationRoute = 'humans',
  /** The role's people and tiers, told in this same batch when the matter goes to people. */
  path?: HumanPath,
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
  if (route === 'humans') passToHumans(b, record, `role ${of.role} has no manager agent`, 'policy', path);
  return record;
}
