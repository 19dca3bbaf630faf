// The one door through which a matter reaches people: no manager, the manager passed it up, or the
// manager's time ran out. It records the hop in the escalated run's log (in the caller's batch, so the hop
// and whatever else the caller commits are one write). People are told from here (notifications).
import type { BatchBuilder } from '../engine/state.js';
import { enqueueHumanNotifications, type HumanPath } from '../notifications/enqueue.js';
import { pendingEscalation } from '../notifications/pending.js';
import type { EscalationRecord } from '../store/types.js';

/**
 * Adds to `b` (a batch of the escalated run) the step that says the escalation now waits for people, and
 * who sent it there and why (`by`: `policy`, or the manager `manager:<role>/<run id>`), and the messages
 * to the first tier of the role's people (`path`: its `escalate:` tiers), written in the same batch: the
 * outbox (src/notifications/), so a crash loses none.
 */
export function passToHumans(
  b: BatchBuilder,
  escalation: EscalationRecord,
  why: string,
  by = 'policy',
  path?: HumanPath,
): void {
  b.step('escalation_hop', { escalationId: escalation.id, to: 'humans', by, why });
  if (path) enqueueHumanNotifications(b, pendingEscalation(escalation), 0, path);
}
