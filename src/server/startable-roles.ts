// Which of the roles `nightshift serve` was given a client may start by name (/mcp runs.start). A folder
// walk picks up every role file in it, the managers and specialists that sit next to the roles they serve
// included (examples/support-desk holds its desk's lead, a manager at autonomy full): a role found that
// way which another served role names as its manager or specialist is there to decide or do that role's
// work, not to be started on a client's input at its own rung. A role file named on the command line is
// the operator's choice, and stays startable.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { specialistsOf } from '../delegation/reachable.js';
import type { Role } from '../roles/schema.js';

/** The role files named on the command line itself (not folders), as absolute paths. */
export function namedRoleFiles(paths: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    try {
      if (!statSync(p).isDirectory()) out.add(resolve(p));
    } catch {
      // discoverRoleFiles has already refused a path that does not exist.
    }
  }
  return out;
}

/**
 * Splits the roles serve was given into those a client may start and those found by a folder walk that
 * only serve another role: the manager (any level of its chain, `managers` being every manager serve
 * found for the roles and their specialists) or a specialist (any level) of another role served.
 */
export function startableRoles(
  given: readonly Role[],
  managerNames: ReadonlySet<string>,
  named: ReadonlySet<string>,
): { startable: Role[]; helpers: Role[] } {
  const startable: Role[] = [];
  const helpers: Role[] = [];
  // Each role's specialists at any level (delegation/reachable.ts walks them), once per role.
  const below = new Map(given.map((r) => [r.name, new Set(specialistsOf([r]).map((s) => s.name))]));
  for (const role of given) {
    const explicit = role.source.file !== undefined && named.has(resolve(role.source.file));
    const serves =
      managerNames.has(role.name) ||
      given.some((other) => other.name !== role.name && below.get(other.name)!.has(role.name));
    (explicit || !serves ? startable : helpers).push(role);
  }
  return { startable, helpers };
}
