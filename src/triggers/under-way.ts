// Whether a role was busy at a past cron tick, for the catch-up at start (triggers/cron.ts). A tick that
// `overlap: skip` skipped left nothing in the store (no run, no key), so a worker starting later cannot
// tell it from a tick missed while no worker was up; it applies the live overlap rule as of the tick
// instead: a run of the role queued or running at that moment means the tick was skipped, or would have
// been, and catching it up would run work the schedule deliberately left out (docs/deployment.md, "Cron").
// A run paused for a person at the tick did not block it live, so it does not block the catch-up either,
// whatever became of the run since (approved and finished, paused again).
import type { Reads } from '../store/interfaces.js';

/**
 * How many of the role's newest runs created before the tick are looked at besides every run not finished
 * now (src/store/sql/under-way.ts). Bounded so that the catch-up, at each start and each promotion, reads
 * at most this many index entries per role however many runs the role has. A run under way at the tick
 * and finished since is missed only when the role started more than this many runs while it was under
 * way; the tick then runs late (as if nothing had been under way) rather than being lost.
 */
export const UNDER_WAY_SCAN = 1000;

export function roleUnderWayAt(
  store: Pick<Reads, 'roleRunUnderWayAt'>,
  role: string,
  at: number,
): Promise<boolean> {
  return store.roleRunUnderWayAt(role, at, UNDER_WAY_SCAN);
}
