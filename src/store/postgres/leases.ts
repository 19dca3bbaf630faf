// Run leases on Postgres: which worker executes a run. Every acquisition (a claim, a takeover, a steal)
// raises the run's lease epoch, the fencing token its commits carry; a renewal does not.
import type { LeaseRenewal, RunLease } from '../types.js';
import type { Database } from './database.js';

export async function claimRun(
  db: Database,
  runId: string,
  owner: string,
  until: number,
  now: number,
  limit?: number,
): Promise<number | undefined> {
  if (limit !== undefined) return claimRunWithin(db, runId, owner, until, now, limit);
  // A claim is a new acquisition: the epoch (fencing token) goes up.
  const rows = await db.q(
    'claiming a run',
    `UPDATE runs SET lease_owner = $1, lease_until = $2, lease_epoch = lease_epoch + 1
     WHERE id = $3 AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until IS NULL OR lease_until < $4)
     RETURNING lease_epoch`,
    [owner, until, runId, now],
  );
  return rows.length === 1 ? (rows[0]!.lease_epoch as number) : undefined;
}

/**
 * claimRun within the role's concurrency. Counting the role's live leases and taking this one must not
 * interleave with another claimant's, so it takes the advisory lock the queue's limited claims take
 * (queue.ts): the two serialize, and the count each makes (at its statement's start, after the lock)
 * sees what the other leased.
 */
async function claimRunWithin(
  db: Database,
  runId: string,
  owner: string,
  until: number,
  now: number,
  limit: number,
): Promise<number | undefined> {
  return db.tx('claiming a run within its role concurrency', async (c) => {
    await c.query(`SELECT pg_advisory_xact_lock(hashtext('nightshift.claim.${db.schema}'))`);
    const { rows } = await c.query(
      `UPDATE runs SET lease_owner = $1, lease_until = $2, lease_epoch = lease_epoch + 1
       WHERE id = $3 AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until IS NULL OR lease_until < $4)
         AND (SELECT COUNT(*) FROM runs AS other WHERE other.role = runs.role AND other.id <> runs.id
              AND other.status IN ('queued', 'running') AND other.lease_owner IS NOT NULL
              AND other.lease_until >= $4) < $5
       RETURNING lease_epoch`,
      [owner, until, runId, now, limit],
    );
    return rows.length === 1 ? (rows[0]!.lease_epoch as number) : undefined;
  });
}

export async function renewLease(
  db: Database,
  runId: string,
  lease: RunLease,
  until: number,
): Promise<boolean> {
  // Extends exactly the lease it names (owner and epoch), and only while the run is running. Never moves
  // the end back: renewals travel on their own pool, so one sent before a commit (which moved the end
  // on) may be applied after it. GREATEST ignores a NULL end; the owner and epoch still fence the row.
  const rows = await db.q(
    'renewing a run lease',
    `UPDATE runs SET lease_until = GREATEST(lease_until, $1::bigint)
     WHERE id = $2 AND status = 'running' AND lease_owner = $3 AND lease_epoch = $4 RETURNING id`,
    [until, runId, lease.owner, lease.epoch],
    db.renewals,
  );
  return rows.length === 1;
}

/**
 * Many renewals in one statement: the batch travels as four arrays (four parameters whatever its size:
 * one placeholder per value would pass Postgres' 65,535-parameter limit at ~16,000 leases), unnested
 * with each entry's position, which the renewed rows return. Same conditions as renewLease, per entry
 * (the end never moves back).
 */
export async function renewLeases(db: Database, items: readonly LeaseRenewal[]): Promise<boolean[]> {
  const held = items.map(() => false);
  if (items.length === 0) return held;
  const rows = await db.q(
    'renewing run leases',
    `UPDATE runs SET lease_until = GREATEST(runs.lease_until, v.until)
     FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[]) WITH ORDINALITY AS v(id, owner, epoch, until, n)
     WHERE runs.id = v.id AND runs.status = 'running' AND runs.lease_owner = v.owner AND runs.lease_epoch = v.epoch
     RETURNING v.n`,
    [
      items.map((i) => i.runId),
      items.map((i) => i.lease.owner),
      items.map((i) => i.lease.epoch),
      items.map((i) => i.until),
    ],
    db.renewals,
  );
  for (const r of rows) held[Number(r.n) - 1] = true;
  return held;
}

export async function stealRun(
  db: Database,

  runId: string,
  previousOwner: string,
  owner: string,
  until: number,
): Promise<number | undefined> {
  const rows = await db.q(
    'taking over a run',
    `UPDATE runs SET lease_owner = $1, lease_until = $2, lease_epoch = lease_epoch + 1
     WHERE id = $3 AND lease_owner = $4 RETURNING lease_epoch`,
    [owner, until, runId, previousOwner],
  );
  return rows.length === 1 ? (rows[0]!.lease_epoch as number) : undefined;
}
