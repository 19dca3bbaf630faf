// Which of the roles `nightshift serve` was given a client may start by name (/mcp runs.start). A folder
// walk picks up every role file in it, the managers and specialists that sit next to the roles they serve
// included (examples/support-desk holds its desk's lead, a manager at autonomy full): a role found that
// way which another served role names as its manager or specialist is there to decide or do that role's
// work, not to be started on a client's input at its own rung. A role file named on the command line is
// the operator's choice, and stays startable.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Role } from '../roles/schema.js';

/** Levels followed at most: more than any `delegation.maxDepth` allows (as delegation/reachable.ts). */
const MAX_DEPTH = 16;

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

/** Names of every specialist below `role`, down its chain (not `role` itself, unless a chain loops back). */
function specialistNames(role: Role): Set<string> {
  const out = new Set<string>();
  const walk = (r: Role, depth: number) => {
    if (depth >= MAX_DEPTH) return;
    for (const s of r.specialists ?? []) {
      if (out.has(s.name)) continue;
      out.add(s.name);
      walk(s, depth + 1);
    }
  };
  walk(role, 0);
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
  for (const role of given) {
    const explicit = role.source.file !== undefined && named.has(resolve(role.source.file));
    const serves =
      managerNames.has(role.name) ||
      given.some((other) => other.name !== role.name && specialistNames(other).has(role.name));
    (explicit || !serves ? startable : helpers).push(role);
  }
  return { startable, helpers };
}
