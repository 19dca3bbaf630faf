// The summary `runs --json` prints for a listed run: the same object `run --json` printed when the run
// stopped. Without this, `runs --json` listed a paused run with `pending: []`.
import { summarizeRun } from '../delegation/waiting-children.js';
import type { RunSummary } from '../engine/summary.js';
import type { RunRecord, Store } from '../store/types.js';

/** For a listed run: its approvals and escalations are read by run id (not its steps). */
export async function listedSummary(store: Store, run: RunRecord): Promise<RunSummary> {
  const [approvals, escalations] = await Promise.all([
    store.listApprovals({ runId: run.id }),
    store.listEscalations({ runId: run.id }),
  ]);
  return summarizeRun(store, { run, approvals, escalations });
}
