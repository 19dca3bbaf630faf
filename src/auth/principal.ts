// Who is asking: the principal a token or browser session stands for, and the checks routes make on it
// before anything is read or changed.
import { NightshiftError } from '../errors.js';
import type { PeopleDirectory } from '../people/config.js';
import { checkMayDecide, mayDecide } from '../people/may-decide.js';
import type { PrincipalKind } from '../store/types.js';
import type { Scope } from './scopes.js';

export interface Principal {
  kind: PrincipalKind;
  /** The person's name (as in people: in nightshift.config.yaml) or the service's name. */
  name: string;
  scopes: readonly Scope[];
  /** The token it authenticated with (a browser session counts as its token). */
  tokenId: string;
  /** How it came: a bearer token, or a browser session cookie. */
  via: 'token' | 'session';
  /** The session's CSRF token (only `via: 'session'`): put it in every form the page shows (csrf.ts). */
  csrf?: string;
}

/** Throws AUTH_FORBIDDEN (403) unless the principal holds `scope`. */
export function requireScope(principal: Principal, scope: Scope): void {
  if (principal.scopes.includes(scope)) return;
  // A service can never hold `decide` (`token create --service --scope decide` is refused): the usual
  // "create one with" hint would send its owner to a command that fails, so name what works instead.
  if (principal.kind === 'service' && scope === 'decide')
    throw new NightshiftError(
      'AUTH_FORBIDDEN',
      `this needs the scope decide, which a service token (service ${principal.name}, ${principal.tokenId}) can never hold: decisions are a person's; use the token of a person whom people: in nightshift.config.yaml lets decide (nightshift token create --as NAME --scope decide)`,
      { details: { scope, tokenId: principal.tokenId } },
    );
  throw new NightshiftError(
    'AUTH_FORBIDDEN',
    `this needs the scope ${scope}, which the token of ${principal.kind} ${principal.name} (${principal.tokenId}) does not have; create one with: nightshift token create --as ${principal.name}${principal.kind === 'service' ? ' --service' : ''} --scope ${scope}`,
    { details: { scope, tokenId: principal.tokenId } },
  );
}

/** Whether the principal may decide `role`'s approvals and escalations: a person, with `decide`, allowed by people:. */
export function mayDecideFor(
  principal: Principal,
  role: string,
  people: PeopleDirectory | undefined,
): boolean {
  return (
    principal.kind === 'person' &&
    principal.scopes.includes('decide') &&
    // A person token exists only for a configured person, so an empty people: list allows nobody here.
    people !== undefined &&
    people.people.length > 0 &&
    mayDecide(people, principal.name, role)
  );
}

/**
 * Throws unless the principal may decide for `role`: AUTH_FORBIDDEN without the `decide` scope (or for a
 * service), PERSON_NOT_ALLOWED when people: does not let this person decide that role. Both map to 403.
 */
export function requireDecideFor(
  principal: Principal,
  role: string,
  people: PeopleDirectory | undefined,
  what = 'the approvals and escalations',
): void {
  if (principal.kind !== 'person')
    throw new NightshiftError(
      'AUTH_FORBIDDEN',
      `service ${principal.name} may not decide: only a person's token can approve, reject or answer`,
      { details: { tokenId: principal.tokenId } },
    );
  requireScope(principal, 'decide');
  if (!people || people.people.length === 0)
    throw new NightshiftError(
      'PERSON_NOT_ALLOWED',
      `${principal.name} is not a configured person (people: in nightshift.config.yaml); nothing was changed`,
      { details: { person: principal.name, role } },
    );
  checkMayDecide(people, principal.name, role, what);
}
