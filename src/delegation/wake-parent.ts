// A child run that ends while its parent is paused waiting for it (the child was continued by a human's
// decision, or by a worker) puts the parent back on the queue, so whoever drives queued work (a worker,
// or the process that continued the child: runtime.ts) takes the parent up and joins the child. A parent
// whose driver is following the child live is left alone: that driver sees the child end.
import type { Clock } from '../clock.js';
import { RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import type { RunRecord, Store } from '../store/types.js';

export async function wakeParent(store: Store, clock: Clock, child: RunRecord): Promise<void> {
  if (!child.parentRunId) return;
  const snapshot = await store.loadRun(child.parentRunId);
  if (!snapshot) return;
  const { run } = snapshot;
  if (run.status !== 'escalated' && run.status !== 'awaiting_approval') return;
  const now = clock.now();
  if (run.leaseOwner !== null && (run.leaseUntil ?? 0) > now) return;
  const state = RunState.withoutLog(snapshot);
  // Paused for a decision of its own, it stays paused: the child's result waits for that decision.
  if (state.blockedStatus() !== 'running') return;
  try {
    await state.commit(store, state.batch(now).set({ status: 'queued', notBefore: null }));
  } catch (err) {
    // Someone moved the parent on meanwhile (resumed it, cancelled it): theirs to drive.
    if (!(NightshiftError.isInstance(err) && err.code === 'STORE_CONFLICT')) throw err;
  }
}
