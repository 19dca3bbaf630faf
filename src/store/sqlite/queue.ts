// The queue on SQLite: claiming the oldest claimable runs (queued and due, or running with an expired
// lease) for a worker's free slots, within per-role limits, each with its snapshot. Runs inside the
// store's write transaction: SQLite's single writer makes counting and leasing one step.
import { capacities, openRoles, PARENT_NOT_DRIVING, pick } from '../claim-pick.js';
import type { RunSnapshot } from '../types.js';
import { type Row, rowToRun } from './rows.js';
import { snapshotOf } from './snapshot.js';
import { marks, type Statements } from './statements.js';

// Both statements name the partial index runs_claim (role, created_at, id: queued and running runs only).
// Left to itself the planner (no ANALYZE statistics) chose runs_role_created for the count, which walks
// every run the role ever had: 76 ms per claim at 200,000 finished runs of one role, against a handful
// of index entries through runs_claim. INDEXED BY makes the choice part of the statement (and an error,
// not a silent scan, if the index is ever dropped); test/store/sqlite-claim-plan.test.ts checks both plans.
/** Leased (live) runs per role, for the roles with a concurrency limit. */
export function liveByRoleSql(roles: number): string {
  return `SELECT role, COUNT(*) AS n FROM runs INDEXED BY runs_claim WHERE role IN (${marks(roles)})
    AND status IN ('queued', 'running') AND lease_owner IS NOT NULL AND lease_until >= ?
    GROUP BY role`;
}

/**
 * Of the runs this process drives (`ids` of them), those of the given roles whose lease does not look
 * live (liveByRoleSql did not count them), per role: they are live all the same (a clock step made their
 * lease ends look past), and are added to the count.
 */
export function drivenNotLiveSql(roles: number): string {
  // The ids as one JSON array: a statement text per count of driven runs would be prepared and cached
  // for every count seen, and past SQLite's 32,766 variables it could not be prepared at all.
  return `SELECT role, COUNT(*) AS n FROM runs WHERE id IN (SELECT value FROM json_each(?)) AND role IN (${marks(roles)})
    AND status IN ('queued', 'running') AND NOT (lease_owner IS NOT NULL AND COALESCE(lease_until >= ?, 0))
    GROUP BY role`;
}

/**
 * The oldest claimable runs of the given roles: queued and due, or running with an expired lease; not a
 * child whose parent is queued or running (its parent's driver takes it up: RunQueue.claimNextRuns).
 */
export function claimableSql(roles: number): string {
  return `SELECT id, role FROM runs INDEXED BY runs_claim
    WHERE role IN (${marks(roles)}) AND status IN ('queued', 'running')
      AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < ?)
      AND (not_before IS NULL OR not_before <= ?)
      AND ${PARENT_NOT_DRIVING}
    ORDER BY created_at, id LIMIT ?`;
}

export function claimQueued(
  s: Statements,
  owner: string,
  until: number,
  now: number,
  roles: readonly string[],
  limits: Readonly<Record<string, number>>,
  max: number,
  /** Runs this process drives now: never claimed (RunQueue.claimNextRuns). */
  driving: ReadonlySet<string> = new Set(),
): RunSnapshot[] {
  const limited = roles.filter((r) => limits[r] !== undefined);
  const live =
    limited.length === 0
      ? []
      : (s.sql(liveByRoleSql(limited.length)).all([...limited, now]) as { role: string; n: number }[]);
  if (limited.length > 0 && driving.size > 0) {
    live.push(
      ...(s.sql(drivenNotLiveSql(limited.length)).all([JSON.stringify([...driving]), ...limited, now]) as {
        role: string;
        n: number;
      }[]),
    );
  }
  const cap = capacities(limits, live);
  const out: RunSnapshot[] = [];
  const taken = new Set<string>();
  for (;;) {
    const open = openRoles(roles, cap);
    if (open.length === 0 || out.length >= max) break;
    // Asked for as many more as there are driven runs, which are left out here.
    const more = max - out.length + taken.size + driving.size;
    const rows = s.sql(claimableSql(open.length)).all([...open, now, now, more]) as {
      id: string;
      role: string;
    }[];
    const fresh = rows.filter((r) => !taken.has(r.id) && !driving.has(r.id));
    const { picked, skipped } = pick(fresh, cap, max - out.length);
    for (const r of picked) {
      taken.add(r.id);
      // The snapshot comes from the same write transaction: the worker needs no second read.
      out.push(snapshotOf(s, rowToRun(s.leaseRun.get(owner, until, r.id) as Row)));
    }
    if (!skipped || fresh.length === 0) break;
  }
  return out;
}
