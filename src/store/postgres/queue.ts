// The queue on Postgres: claiming the oldest claimable runs (queued and due, or running with an expired
// lease) for a worker's free slots, each with its snapshot, in one statement when no role has a limit.
import { capacities, openRoles, pick } from '../claim-pick.js';
import type { RunSnapshot } from '../types.js';
import type { Database } from './database.js';
import { type Row, snapshotLists, toSnapshot } from './rows.js';

/**
 * The oldest claimable runs of the roles, none this process drives: the function claim_candidates (migration
 * 23, where its reasons are), which walks runs_claim in age order and stops after the rows it takes.
 */
const candidates = (roles: string, now: string, limit: string, driven: string): string =>
  `SELECT run_id AS id, run_role AS role FROM claim_candidates(${roles}, ${now}, ${limit}, ${driven}::text[])`;

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
      lease(`SELECT id FROM (${candidates('$3', '$4', '$5', '$8')}) c`, '$6', '$7'),
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
      const found = await c.query(candidates('$1', '$2', '$3', '$4'), [
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
