// Issuing, listing and revoking access tokens (`nightshift token …`). A token is bound at create to a
// configured person or a named service and to its scopes; its secret is returned once and only its
// sha256 is stored. The refusals here are checked before anything is written.
import { namesRealDay } from '../calendar-date.js';
import { type Clock, createIdSource, systemClock } from '../clock.js';
import { NightshiftError } from '../errors.js';
import { PERSON_NAME, type PeopleDirectory } from '../people/config.js';
import { findPerson } from '../people/may-decide.js';
import type { AccessTokenRecord, AccessTokens, PrincipalKind } from '../store/types.js';
import { PERSON_ONLY_SCOPES, type Scope } from './scopes.js';
import { hashSecret, newSecret } from './secret.js';

/** A token's lifetime when --expires is not given (decision 030). */
export const DEFAULT_TOKEN_DAYS = 90;
const DAY = 86_400_000;

export interface TokenRequest {
  kind: PrincipalKind;
  name: string;
  scopes: readonly Scope[];
  /** Epoch ms, or null for a token that lasts until revoked. */
  expiresAt: number | null;
  label?: string | undefined;
}

export interface IssuedToken {
  token: AccessTokenRecord;
  /** The bearer secret: shown once, never stored, never logged. */
  secret: string;
}

/** Refuses a request that would grant more than its holder may have; nothing is written by this. */
export function checkTokenRequest(r: TokenRequest, people: PeopleDirectory | undefined, now: number): void {
  if (!PERSON_NAME.test(r.name))
    throw new NightshiftError(
      'USAGE',
      `'${r.name}' is not a valid name: letters, digits, ".", "_", "@" or "-", starting with a letter or digit`,
    );
  const person = people ? findPerson(people, r.name) : undefined;
  if (r.kind === 'person' && !person)
    throw new NightshiftError(
      'USAGE',
      // The `--service` way out is named by `token create`, the one command that has that flag.
      `${r.name} is not a configured person (people: in nightshift.config.yaml): add them there`,
      { details: { name: r.name } },
    );
  if (r.kind === 'service' && person)
    throw new NightshiftError(
      'USAGE',
      `${r.name} is a configured person: a service token needs a name of its own (so nobody mistakes one for the other)`,
      { details: { name: r.name } },
    );
  const refused = r.kind === 'service' ? r.scopes.filter((s) => PERSON_ONLY_SCOPES.includes(s)) : [];
  if (refused.length > 0)
    throw new NightshiftError(
      'USAGE',
      `a service token cannot have the scope ${refused.join(', ')}: services, agents and MCP clients never decide for a person`,
      { details: { name: r.name, scopes: refused } },
    );
  if (r.scopes.length === 0) throw new NightshiftError('USAGE', 'a token needs at least one --scope');
  if (r.expiresAt !== null && r.expiresAt <= now)
    throw new NightshiftError(
      'USAGE',
      `the expiry ${new Date(r.expiresAt).toISOString()} is not in the future`,
    );
}

/** Checks the request, then records the token (hashed) and returns it with its secret. */
export async function issueToken(
  store: Pick<AccessTokens, 'createToken'>,
  people: PeopleDirectory | undefined,
  r: TokenRequest,
  clock: Clock = systemClock,
): Promise<IssuedToken> {
  const now = clock.now();
  checkTokenRequest(r, people, now);
  const secret = newSecret('token');
  const token: AccessTokenRecord = {
    id: createIdSource(clock).next('tok'),
    hash: hashSecret(secret),
    kind: r.kind,
    name: r.name,
    scopes: [...r.scopes].sort(),
    label: r.label ?? null,
    createdAt: now,
    expiresAt: r.expiresAt,
    revokedAt: null,
  };
  await store.createToken(token);
  return { token, secret };
}

/** Revokes a token and with it every browser session opened with it. */
export async function revokeToken(
  store: Pick<AccessTokens, 'revokeToken' | 'getToken'>,
  id: string,
  clock: Clock = systemClock,
): Promise<AccessTokenRecord> {
  if (!(await store.revokeToken(id, clock.now()))) {
    const known = await store.getToken(id);
    throw new NightshiftError(
      'TOKEN_NOT_FOUND',
      known ? `token ${id} was already revoked` : `no token ${id} (see nightshift token list)`,
      { details: { tokenId: id } },
    );
  }
  return (await store.getToken(id))!;
}

/**
 * `--expires`: `never`, a duration (`30m`, `12h`, `90d`) from now, or an ISO date. Undefined: the default
 * lifetime (DEFAULT_TOKEN_DAYS).
 */
export function parseExpiry(text: string | undefined, now: number): number | null {
  if (text === undefined) return now + DEFAULT_TOKEN_DAYS * DAY;
  if (text === 'never') return null;
  const d = /^(\d{1,6})([mhd])$/.exec(text);
  if (d) return now + Number(d[1]) * { m: 60_000, h: 3_600_000, d: DAY }[d[2] as 'm' | 'h' | 'd'];
  // A day its month does not have (`2027-02-30`) is refused, not moved into the next month.
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) && namesRealDay(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at))
    throw new NightshiftError(
      'USAGE',
      `--expires '${text}' is not understood: give never, a duration such as 30m, 12h or 90d, or an ISO date`,
    );
  return at;
}

/** The state of a token at `now`, for listings and refusals. */
export function tokenState(t: AccessTokenRecord, now: number): 'active' | 'revoked' | 'expired' {
  if (t.revokedAt !== null) return 'revoked';
  if (t.expiresAt !== null && t.expiresAt <= now) return 'expired';
  return 'active';
}
