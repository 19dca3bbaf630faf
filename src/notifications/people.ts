// Who is asking to decide through a channel: a configured person found by their Slack user id or name, and
// whether they may decide for a role, by the same rule as every other door (src/people/may-decide.ts). An
// unknown person decides nothing: a channel fails closed even when no people are configured.
import { NightshiftError } from '../errors.js';
import type { PersonSpec } from '../people/config.js';
import { mayDecide } from '../people/may-decide.js';

export function personBySlackId(people: readonly PersonSpec[], slackUserId: string): PersonSpec | undefined {
  return people.find((p) => p.slack === slackUserId);
}

export function personByName(people: readonly PersonSpec[], name: string): PersonSpec | undefined {
  return people.find((p) => p.name === name);
}

export function mayDecideFor(person: PersonSpec, role: string): boolean {
  return mayDecide({ people: [person], groups: {} }, person.name, role);
}

/** Throws DECISION_REFUSED unless `person` may decide for `role`. */
export function checkMayDecide(person: PersonSpec, role: string): void {
  if (!mayDecideFor(person, role))
    throw new NightshiftError(
      'DECISION_REFUSED',
      `${person.name} may not decide for role ${role} (people: ${person.name}: decides: ${person.decides.join(', ') || 'nothing'})`,
    );
}
