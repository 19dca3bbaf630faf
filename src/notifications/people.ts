// Who is asking to decide: a configured person found by their Slack user id or name, and whether they may
// decide for a role. An unknown person decides nothing (fail closed). H5's shared `mayDecide` replaces
// `mayDecideFor` at merge; the rule is the same: the role is listed under `decides:` (or '*').
import { NightshiftError } from '../errors.js';
import type { PersonSpec } from './settings.js';

export function personBySlackId(people: readonly PersonSpec[], slackUserId: string): PersonSpec | undefined {
  return people.find((p) => p.slack === slackUserId);
}

export function personByName(people: readonly PersonSpec[], name: string): PersonSpec | undefined {
  return people.find((p) => p.name === name);
}

export function mayDecideFor(person: PersonSpec, role: string): boolean {
  return person.decides.includes('*') || person.decides.includes(role);
}

/** Throws DECISION_REFUSED unless `person` may decide for `role`. */
export function checkMayDecide(person: PersonSpec, role: string): void {
  if (!mayDecideFor(person, role))
    throw new NightshiftError(
      'DECISION_REFUSED',
      `${person.name} may not decide for role ${role} (people: ${person.name}: decides: ${person.decides.join(', ') || 'nothing'})`,
    );
}
