// Whether a role was busy at a past cron tick, for the catch-up at start (triggers/cron.ts). A tick that
// `overlap: skip` skipped left nothing in the store (no run, no key), so a worker starting later cannot
// tell it from a tick missed while no worker was up; it applies the overlap rule as of the tick instead:
// a run of the role under way at that moment means the tick was skipped, or would have been, and catching
// it up would run work the schedule deliberately left out (docs/deployment.md, "Cron").
import type { RunRecord } from '../store/records/run.js';

/** How many of the role's runs created before the tick are looked at (newest first). */
export const UNDER_WAY_SCAN = 1000;
const PAGE = 100;

/**
 * Whether the run was queued or running at `at`: created before it and not finished by it. A run paused
 * for a person now (awaiting approval, escalated) counts only if it changed after `at` — one paused
 * already at the tick was not queued or running then, and a live worker would have fired the tick.
 */
export function underWayAt(run: RunRecord, at: number): boolean {
  if (run.createdAt >= at) return false;
  if (run.status === 'queued' || run.status === 'running') return true;
  if (run.status === 'awaiting_approval' || run.status === 'escalated') return run.updatedAt > at;
  return run.finishedAt !== null && run.finishedAt > at;
}

export async function roleUnderWayAt(
  store: {
    listRuns(filter: {
      role: string;
      createdUntil: number;
      after?: { at: number; id: string };
      limit: number;
    }): Promise<RunRecord[]>;
  },
  role: string,
  at: number,
): Promise<boolean> {
  let after: { at: number; id: string } | undefined;
  for (let seen = 0; seen < UNDER_WAY_SCAN; seen += PAGE) {
    const runs = await store.listRuns({ role, createdUntil: at, after, limit: PAGE });
    if (runs.some((r) => underWayAt(r, at))) return true;
    if (runs.length < PAGE) return false;
    const last = runs[runs.length - 1]!;
    after = { at: last.createdAt, id: last.id };
  }
  return false;
}
