// A specialist's `concurrency` on the foreground paths (docs/orchestration.md): a person's `approve`,
// `reject` or `answer` that drives a child run on in the deciding process, and `resume <child>`, take the
// child's lease within the limit, as the parent's driver and the queue do. At the limit the child is not
// driven here: it is left (or put back) `queued` without a lease, for serve's workers or its parent's
// driver to take up when a place frees, and the person is told why.
import { NightshiftError } from '../errors.js';
import type { RunRecord } from '../store/types.js';
import type { EngineContext } from './context.js';
import { RunState } from './state.js';

/** The limit a foreground driver of `run` keeps: its role's `concurrency`, for a runnable child run. */
export function placeLimit(
  role: { concurrency?: number | undefined },
  run: Pick<RunRecord, 'parentRunId' | 'status'>,
): number | undefined {
  if (!run.parentRunId || (run.status !== 'queued' && run.status !== 'running')) return undefined;
  return role.concurrency;
}

/**
 * A run this process holds without driving it (a decision here leased it to us in its commit) and could
 * not take within its role's limit: back on the queue, `queued` and unleased, fenced by that lease so a
 * run someone else moved on meanwhile is left as it is. Nothing of it was run here.
 */
export async function handBackUnplaced(ctx: EngineContext, runId: string): Promise<void> {
  const snapshot = await ctx.store.loadRun(runId);
  if (!snapshot) return;
  const { run } = snapshot;
  if (run.leaseOwner !== ctx.owner || (run.status !== 'running' && run.status !== 'queued')) return;
  const state = new RunState(snapshot);
  const b = state.batch(ctx.clock.now()).set({ status: 'queued', leaseOwner: null, leaseUntil: null });
  const lease = { owner: ctx.owner, epoch: run.leaseEpoch };
  try {
    await state.commit(ctx.store, b, (batch) => ({ ...batch, lease }));
  } catch (err) {
    // Taken or moved on by someone else meanwhile: theirs now.
    if (!(NightshiftError.isInstance(err) && err.code === 'STORE_CONFLICT')) throw err;
  }
}
