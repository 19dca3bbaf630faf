// Runs whose lease holder is a dead process on this host (a daemon killed with `kill -9` and started
// again, a crashed `--workers` sibling) are handed back to the queue at once instead of after their
// lease runs out: their lease is moved to this worker already expired, so the next claim takes them
// over like any expired run (counting the attempt). Holders on other hosts, or alive here, are left
// to their lease.
import { holderIsDeadHere } from '../engine/lease.js';
import type { Reads, RunLeases } from '../store/types.js';

/** How often a worker looks for runs of dead local holders after its first claim (a listing of running runs). */
export const DEAD_HOLDER_SWEEP_MS = 15_000;

export function deadHolderSweep(
  store: Pick<Reads, 'listRuns'> & Pick<RunLeases, 'stealRun'>,
  owner: string,
  roles: readonly string[],
): () => Promise<void> {
  let next = 0;
  return async () => {
    const now = Date.now();
    if (now < next || roles.length === 0) return;
    next = now + DEAD_HOLDER_SWEEP_MS;
    const running = await store.listRuns({ status: ['running'], limit: 1000 });
    for (const run of running) {
      if (!roles.includes(run.role) || !run.leaseOwner || run.leaseOwner === owner) continue;
      if (!holderIsDeadHere(run.leaseOwner)) continue;
      // From exactly the dead holder (a live worker that took it meanwhile keeps it); expired at once.
      await store.stealRun(run.id, run.leaseOwner, owner, 0);
    }
  };
}
