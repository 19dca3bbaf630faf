// The summary `runs --json` and `show` print for a stored run: the same object `run --json` printed
// when the run stopped (engine/summary.ts). Without this, `runs --json` listed a paused run with
// `pending: []`, and `show` of an orchestrator paused on its specialists named nothing to decide.
import { waitingChildren } from '../delegation/waiting-children.js';
import { type RunSummary, summarize } from '../engine/summary.js';
import type { RunRecord, RunSnapshot, Store } from '../store/types.js';

type Snapshot = Pick<RunSnapshot, 'run' | 'approvals' | 'escalations'>;

const PAUSED = new Set(['escalated', 'awaiting_approval']);

/** A paused orchestrator's summary lists its specialists' pending items too, as `run` prints them. */
export async function storedSummary(store: Store, snapshot: Snapshot): Promise<RunSummary> {
  const waitingOn = PAUSED.has(snapshot.run.status) ? await waitingChildren(store, snapshot.run.id) : [];
  return summarize(snapshot, waitingOn);
}

/** For a listed run: its approvals and escalations are read by run id (not its steps). */
export async function listedSummary(store: Store, run: RunRecord): Promise<RunSummary> {
  const [approvals, escalations] = await Promise.all([
    store.listApprovals({ runId: run.id }),
    store.listEscalations({ runId: run.id }),
  ]);
  return storedSummary(store, { run, approvals, escalations });
}
