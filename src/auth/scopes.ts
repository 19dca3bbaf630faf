// The scopes a token carries: what its holder may do through serve's doors. A closed list with no
// wildcard (docs/decisions/030-access.md): a token gets exactly the powers named at create.
import { z } from 'zod';
import { NightshiftError } from '../errors.js';

export const SCOPES = ['runs:read', 'events:send', 'decide', 'operate'] as const;
/**
 * - `runs:read`: list and read runs, steps, the inbox, agents, stats, the audit log, /metrics.
 * - `events:send`: POST /events/<name> (and starting runs through the API or MCP).
 * - `decide`: approve, reject, answer; only for a person, and only for the roles their `decides:` allows.
 * - `operate`: cancel and resume runs.
 */
export type Scope = (typeof SCOPES)[number];
export const ScopeSchema = z.enum(SCOPES);

/** Scopes a service token may never hold: a service (an agent, an MCP client) cannot decide for a person. */
export const PERSON_ONLY_SCOPES: readonly Scope[] = ['decide'];

/** Scope names as given on the command line (repeated or comma-separated), checked, sorted, unique. */
export function parseScopes(given: readonly string[]): Scope[] {
  const out = new Set<Scope>();
  for (const part of given.flatMap((g) => g.split(','))) {
    const name = part.trim();
    if (!name) continue;
    const parsed = ScopeSchema.safeParse(name);
    if (!parsed.success)
      throw new NightshiftError(
        'USAGE',
        `unknown scope '${name}': the scopes are ${SCOPES.join(', ')} (there is no wildcard; name each)`,
      );
    out.add(parsed.data);
  }
  return [...out].sort();
}

/** Keeps only known scope names from a stored record (a scope dropped in a later version grants nothing). */
export function knownScopes(stored: readonly string[]): Scope[] {
  return stored.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
}
