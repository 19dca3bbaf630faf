// A person decided a matter first: the manager run still deciding it (one per escalation, or per change set
// a manager approves) has nothing left to decide and is closed. Every door a person decides through (the
// CLI, the HTTP answer-back, the API, Slack, an email link) ends here, so none leaves a manager spending its
// model's turns on a decision every tool of it now refuses.
import type { Clock } from '../clock.js';
import type { ApprovalRecord, EscalationRecord, Store } from '../store/types.js';
import { closeRun } from './hop-log.js';
import { managerRunId } from './manager-for.js';

export type DecidedMatter =
  | { kind: 'escalation'; record: EscalationRecord }
  | { kind: 'approval'; record: ApprovalRecord };

/** Closes (cancels, signed `nightshift`) the matter's manager run if it is still going; a no-op otherwise. */
export async function closeManagerRunOf(store: Store, clock: Clock, matter: DecidedMatter): Promise<void> {
  const { id } = matter.record;
  const by = matter.kind === 'escalation' ? matter.record.answeredBy : matter.record.decidedBy;
  await closeRun(store, clock, managerRunId(id), `${matter.kind} ${id} was decided by ${by}`);
}
