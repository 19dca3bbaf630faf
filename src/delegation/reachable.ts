// The specialists a served role may delegate to, down the chain. A worker serving the role takes up their
// queued runs too: a specialist's run a decision handed back to the queue (decision 027) has no other
// worker, since nobody serves a specialist on its own, and its orchestrator waits until it ends.
import type { Role } from '../roles/schema.js';

/** Levels followed at most: more than any `delegation.maxDepth` allows (as chain.ts). */
const MAX_DEPTH = 16;

/** Every specialist below `roles`, once each by name, none of `roles` themselves. */
export function specialistsOf(roles: readonly Role[]): Role[] {
  const out = new Map<string, Role>();
  const given = new Set(roles.map((r) => r.name));
  const walk = (role: Role, depth: number) => {
    if (depth >= MAX_DEPTH) return;
    for (const s of role.specialists ?? []) {
      if (given.has(s.name) || out.has(s.name)) continue;
      out.set(s.name, s);
      walk(s, depth + 1);
    }
  };
  for (const r of roles) walk(r, 0);
  return [...out.values()];
}
