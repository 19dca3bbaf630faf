// The one check every door takes before a decision is applied: the CLI's --as, the webhook answer-back,
// and (after the merge) Slack and email. With no people configured, anyone named may decide, as before.
import { NightshiftError } from '../errors.js';
import type { PeopleDirectory, PersonSpec } from './config.js';

const globCache = new Map<string, RegExp>();

function roleGlob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.+?^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*');
    re = new RegExp(`^${body}$`);
    globCache.set(pattern, re);
  }
  return re;
}

export function findPerson(dir: PeopleDirectory, name: string): PersonSpec | undefined {
  return dir.people.find((p) => p.name === name);
}

/** Whether `name` may decide `role`'s approvals and escalations. */
export function mayDecide(dir: PeopleDirectory | undefined, name: string, role: string): boolean {
  if (!dir || dir.people.length === 0) return true;
  const person = findPerson(dir, name);
  return person?.decides.some((p) => roleGlob(p).test(role)) === true;
}

/** Throws PERSON_NOT_ALLOWED unless `name` may decide for `role`; called before anything is written. */
export function checkMayDecide(
  dir: PeopleDirectory | undefined,
  name: string,
  role: string,
  what: string,
): void {
  if (mayDecide(dir, name, role)) return;
  const known = dir && findPerson(dir, name) !== undefined;
  throw new NightshiftError(
    'PERSON_NOT_ALLOWED',
    known
      ? `${name} may not decide ${what} of role ${role} (not in their decides: list in nightshift.config.yaml); nothing was changed`
      : `${name} is not a configured person (people: in nightshift.config.yaml); nothing was changed`,
    { details: { person: name, role } },
  );
}

/** The people a tier names: person names as they are, group names expanded (unknown names are kept out). */
export function expandPeople(dir: PeopleDirectory | undefined, names: readonly string[]): PersonSpec[] {
  if (!dir) return [];
  const out = new Map<string, PersonSpec>();
  for (const n of names) {
    const members = dir.groups[n] ?? [n];
    for (const m of members) {
      const p = findPerson(dir, m);
      if (p) out.set(p.name, p);
    }
  }
  return [...out.values()];
}

/** Names a role's tiers use that are neither a configured person nor a group: `[tier index, name]`. */
export function unknownNames(
  dir: PeopleDirectory | undefined,
  tiers: readonly { to: string[] }[],
): [number, string][] {
  const out: [number, string][] = [];
  tiers.forEach((t, i) => {
    for (const n of t.to) if (!dir || (!findPerson(dir, n) && !dir.groups[n])) out.push([i, n]);
  });
  return out;
}
