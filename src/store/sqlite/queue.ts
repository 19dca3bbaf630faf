// The queue on SQLite: claiming the oldest claimable runs (queued and due, or running with an expired
// lease) for a worker's free slots, within per-role limits, each with its snapshot. Runs inside the
// store's write transaction: SQLite's single writer makes counting and leasing one step.
import { capacities, openRoles, pick } from '../claim-pick.js';
import type { RunSnapshot } from '../types.js';
import { type Row, rowToRun } from './rows.js';
import { snapshotOf } from './snapshot.js';
import { marks, type Statements } from './statements.js';

export function claimQueued(
  s: Statements,
  owner: string,
  until: number,
  now: number,
  roles: readonly string[],
  limits: Readonly<Record<string, number>>,
  max: number,
): RunSnapshot[] {
  const limited = roles.filter((r) => limits[r] !== undefined);
  const live =
    limited.length === 0
      ? []
      : (s
          .sql(
            `SELECT role, COUNT(*) AS n FROM runs WHERE role IN (${marks(limited.length)})
               AND status IN ('queued', 'running') AND lease_owner IS NOT NULL AND lease_until >= ?
             GROUP BY role`,
          )
          .all([...limited, now]) as { role: string; n: number }[]);
  const cap = capacities(limits, live);
  const out: RunSnapshot[] = [];
  const taken = new Set<string>();
  for (;;) {
    const open = openRoles(roles, cap);
    if (open.length === 0 || out.length >= max) break;
    const rows = s
      .sql(
        `SELECT id, role FROM runs
         WHERE role IN (${marks(open.length)}) AND status IN ('queued', 'running')
           AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < ?)
           AND (not_before IS NULL OR not_before <= ?)
         ORDER BY created_at, id LIMIT ?`,
      )
      .all([...open, now, now, max - out.length + taken.size]) as { id: string; role: string }[];
    const fresh = rows.filter((r) => !taken.has(r.id));
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
