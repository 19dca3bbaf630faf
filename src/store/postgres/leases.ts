// Run leases on Postgres: which worker executes a run. Every acquisition (a claim, a takeover, a steal)
// raises the run's lease epoch, the fencing token its commits carry; a renewal does not.
import type { RunLease } from '../types.js';
import type { Database } from './database.js';

export async function claimRun(
  db: Database,
  runId: string,
  owner: string,
  until: number,
  now: number,
): Promise<number | undefined> {
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

export async function renewLease(
  db: Database,
  runId: string,
  lease: RunLease,
  until: number,
): Promise<boolean> {
  // Extends exactly the lease it names (owner and epoch), and only while the run is running.
  const rows = await db.q(
    'renewing a run lease',
    `UPDATE runs SET lease_until = $1
     WHERE id = $2 AND status = 'running' AND lease_owner = $3 AND lease_epoch = $4 RETURNING id`,
    [until, runId, lease.owner, lease.epoch],
  );
  return rows.length === 1;
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
