// The queue on Postgres: claiming the oldest claimable runs (queued and due, or running with an expired
// lease) for a worker's free slots, each with its snapshot, in one statement when no role has a limit.
import { capacities, openRoles, PARENT_NOT_DRIVING, pick } from '../claim-pick.js';
import type { RunSnapshot } from '../types.js';
import type { Database } from './database.js';
import { type Row, snapshotLists, toSnapshot } from './rows.js';

/**
 * Oldest claimable runs of the roles (a child only when its parent's driver will not take it up:
 * RunQueue.claimNextRuns), none this process drives. Binds: roles, now, how many, the driven ids.
 *
 * The role is tested as `(role || '')`, the same test (`role` is NOT NULL) in a form no index matches, so
 * the plan cannot read `runs_role_created` for it: on a schema without statistics yet (a new deployment, a
 * bench's fresh schema: autoanalyze waits for its naptime), the planner combined that index, every run the
 * role ever had, with `runs_claim` in a BitmapAnd, ≈ 720 index entries read per claimed run by the end of a
 * 2,000-run burst. `runs_claim` alone holds only the live runs (bench/README.md, 2026-12-04).
 */
export const candidatesSql = (roles: string, now: string, limit: string, driven: string): string =>
  `SELECT id, role FROM runs
       WHERE (role || '') = ANY(${roles}) AND status IN ('queued', 'running') AND NOT (id = ANY(${driven}::text[]))
         AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < ${now})
         AND (not_before IS NULL OR not_before <= ${now})
         AND ${PARENT_NOT_DRIVING}
       ORDER BY created_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;

export async function claimQueued(
  db: Database,
  owner: string,
  until: number,
  now: number,
  roles: readonly string[],
  limits: Readonly<Record<string, number>>,
  max: number,
  /** Runs this process drives now: never claimed (RunQueue.claimNextRuns). */
  driving: ReadonlySet<string> = new Set(),
): Promise<RunSnapshot[]> {
  // SKIP LOCKED: concurrent workers each take different runs instead of queueing on the same rows.
  // Taking over a `running` run means its worker died (or hung) mid-run: that counts as an attempt
  // (a run that kills its worker each time is failed at retry.maxAttempts, runtime/work.ts), unless its
  // lease ran out while this process could not reach the database either (decision 054): from the start
  // of this process's latest outage to one lease length after its end, the holder may well have been
  // alive and cut off as this process was, and a long outage must not use up the attempts of every run
  // in flight. The claimed runs come back with their snapshots (statement-start view of their records),
  // so the worker starts driving without another round trip.
  const outage = db.reachable.lastOutage();
  const spared = outage ? [outage.since, outage.until + (until - now)] : [null, null];
  const lease = (
    ids: string,
    from: string,
    to: string,
  ) => `WITH c AS (UPDATE runs SET lease_owner = $1, lease_until = $2, status = 'running', lease_epoch = lease_epoch + 1,
       attempt = attempt + (CASE WHEN status = 'running'
         AND NOT COALESCE(lease_until BETWEEN ${from}::bigint AND ${to}::bigint, false) THEN 1 ELSE 0 END)
     WHERE id IN (${ids}) RETURNING *)
     SELECT row_to_json(c) AS run, ${snapshotLists('c')} FROM c`;
  const byAge = (rows: Row[]) =>
    rows.map(toSnapshot).sort((x, y) => x.run.createdAt - y.run.createdAt || (x.run.id < y.run.id ? -1 : 1));
  const limited = roles.filter((r) => limits[r] !== undefined);
  if (limited.length === 0) {
    const rows = await db.q(
      'claiming queued work',
      lease(`SELECT id FROM (${candidatesSql('$3', '$4', '$5', '$8')}) c`, '$6', '$7'),
      [owner, until, [...roles], now, max, ...spared, [...driving]],
    );
    return byAge(rows);
  }
  // With per-role limits, counting and leasing must not interleave across workers: claims that involve
  // a limited role take one transaction-scoped advisory lock (claims of unlimited roles never wait).
  return db.tx('claiming queued work', async (c) => {
    await c.query(`SELECT pg_advisory_xact_lock(hashtext('nightshift.claim.${db.schema}'))`);
    // The runs this process drives count as live whatever their lease end looks like (after a clock step
    // it may look long past): they are skipped as candidates, so not counting them would let the role
    // run more than its concurrency.
    const live = await c.query(
      `SELECT role, COUNT(*)::int AS n FROM runs WHERE role = ANY($1) AND status IN ('queued', 'running')
         AND ((lease_owner IS NOT NULL AND lease_until >= $2) OR id = ANY($3::text[])) GROUP BY role`,
      [limited, now, [...driving]],
    );
    const cap = capacities(limits, live.rows as { role: string; n: number }[]);
    const chosen: string[] = [];
    for (;;) {
      const open = openRoles(roles, cap);
      if (open.length === 0 || chosen.length >= max) break;
      const found = await c.query(candidatesSql('$1', '$2', '$3', '$4'), [
        open,
        now,
        max + chosen.length,
        [...driving],
      ]);
      const rows = found.rows as { id: string; role: string }[];
      const fresh = rows.filter((r) => !chosen.includes(r.id));
      const { picked, skipped } = pick(fresh, cap, max - chosen.length);
      chosen.push(...picked.map((r) => r.id));
      if (!skipped || fresh.length === 0) break;
    }
    if (chosen.length === 0) return [];
    const rows = (
      await c.query(lease('SELECT unnest($3::text[])', '$4', '$5'), [owner, until, chosen, ...spared])
    ).rows as Row[];
    return byAge(rows);
  });
}
