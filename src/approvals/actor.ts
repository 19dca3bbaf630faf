// Who may decide. Approvals and answers come only from people or systems acting for them, through the
// CLI or the API; no tool offered to a model can reach this code, so a model cannot approve its own draft.
import { NightshiftError } from '../errors.js';

// `policy` and `system` are the names nightshift itself signs with (a hop to people, an input rule's
// escalation, in steps and the audit log): a person answering as one would read as nightshift's own act.
const RESERVED = /^(agent|model|role|manager|nightshift)(:|$)|^(policy|system)$/i;

export function checkActor(by: string | undefined): string {
  const actor = (by ?? '').trim();
  if (actor === '')
    throw new NightshiftError('ACTOR_INVALID', 'a decision needs the name of who made it (--as NAME)');
  if (actor.length > 120)
    throw new NightshiftError('ACTOR_INVALID', 'actor name is longer than 120 characters');
  if (RESERVED.test(actor)) {
    const forWhom = /^(policy|system|nightshift)(:|$)/i.test(actor) ? 'nightshift itself' : 'agents';
    throw new NightshiftError(
      'ACTOR_INVALID',
      `actor '${actor}' is reserved for ${forWhom}; approvals and answers must come from a person (managers decide through their own tools)`,
    );
  }
  return actor;
}
