// Choosing which queued runs a worker takes when some roles have concurrency limits: oldest first, no
// role past its remaining capacity. Shared by both stores, which supply the candidate rows.

/**
 * The claim's condition (the same SQL on both stores) that leaves a child run to its parent's driver:
 * a top-level run, or a child whose parent is paused (waiting for it: a decision handed the child back
 * to the queue, decision 027) or ended, may be handed out; a child whose parent is `queued` or `running`
 * is not. That parent's driver follows the child itself, with the parent's budget and without a worker's
 * retries, after a crash too (the parent is what the queue hands out then). A worker that drove it
 * instead would also take it past its specialist's `concurrency` wait (delegation/children.ts).
 */
export const PARENT_NOT_DRIVING = `(parent_run_id IS NULL OR NOT EXISTS (SELECT 1 FROM runs AS parent
        WHERE parent.id = runs.parent_run_id AND parent.status IN ('queued', 'running')))`;

/** Remaining capacity per limited role, from its limit and its count of live leased runs. */
export function capacities(
  limits: Readonly<Record<string, number>>,
  live: { role: string; n: number }[],
): Map<string, number> {
  const cap = new Map<string, number>();
  for (const [role, limit] of Object.entries(limits)) cap.set(role, limit);
  for (const { role, n } of live) if (cap.has(role)) cap.set(role, Math.max(0, cap.get(role)! - n));
  return cap;
}

/**
 * Picks up to `max` of `candidates` (oldest first), taking from `cap` as it goes. Returns the picks and
 * whether a candidate was passed over because its role filled up (then the caller looks again without
 * that role, so runs of other roles behind it are not starved).
 */
export function pick<T extends { role: string }>(
  candidates: T[],
  cap: Map<string, number>,
  max: number,
): { picked: T[]; skipped: boolean } {
  const picked: T[] = [];
  let skipped = false;
  for (const c of candidates) {
    if (picked.length >= max) break;
    const left = cap.get(c.role);
    if (left !== undefined) {
      if (left <= 0) {
        skipped = true;
        continue;
      }
      cap.set(c.role, left - 1);
    }
    picked.push(c);
  }
  return { picked, skipped };
}

/** Roles that may still get runs. */
export function openRoles(roles: readonly string[], cap: Map<string, number>): string[] {
  return roles.filter((r) => (cap.get(r) ?? 1) > 0);
}
