// Cancelling a run: it stops for good, even mid-execution; pending approvals and escalations are closed so
// no inbox shows them, and nothing drafted or held will ever run; manager runs still deciding them stop too.

import { checkActor } from '../approvals/actor.js';
import type { Clock } from '../clock.js';
import { wakeParent } from '../delegation/wake-parent.js';
import { NightshiftError } from '../errors.js';
import { managerRunId, managerRunKey } from '../managers/manager-for.js';
import { idForMessage } from '../message-text.js';
import { type RunRecord, type Store, TERMINAL_STATUSES } from '../store/types.js';
import { RunState } from './state.js';

/** How often a cancel is tried again when the run's worker committed a step in between. */
const CANCEL_ATTEMPTS = 5;

/**
 * Cancels a run whether it is paused or executing. An executing run is not waited for: the cancellation
 * is committed over it (fenced by the run's step number, so a step its worker commits at the same moment
 * makes the cancel read the run again and retry), and the worker, whose lease renewal now fails because
 * the run is no longer `running`, aborts the model call or tool call it has in flight and stops.
 */
export async function cancelRun(
  store: Store,
  clock: Clock,
  input: { runId: string; by: string | undefined; reason: string | undefined },
): Promise<RunState> {
  return cancelRunAs(store, clock, { ...input, by: checkActor(input.by) });
}

/**
 * cancelRun for the runtime's own cancels, under a name people may not use (`nightshift`): the escalation
 * path closing a manager run whose matter was decided or passed on.
 */
export async function cancelRunAs(
  store: Store,
  clock: Clock,
  input: { runId: string; by: string; reason: string | undefined },
): Promise<RunState> {
  const by = input.by;
  for (let attempt = 1; ; attempt++) {
    const snapshot = await store.loadRun(input.runId);
    if (!snapshot)
      throw new NightshiftError('RUN_NOT_FOUND', `no run ${idForMessage(input.runId)} (see nightshift runs)`);
    // The log is not read: a run whose steps this version cannot read must still be cancellable.
    const state = RunState.withoutLog(snapshot);
    try {
      const matters = [...state.pendingEscalations(), ...state.pendingApprovals()].map((m) => m.id);
      await commitCancel(store, clock, state, by, input);
      await closeManagerRuns(store, clock, matters, input.runId, by);
      await cancelChildren(store, clock, input.runId, by, `its parent run ${input.runId} was cancelled`);
      // A child cancelled on its own: its waiting parent goes on (its model sees the cancellation).
      await wakeParent(store, clock, state.run);
      return state;
    } catch (err) {
      const raced = NightshiftError.isInstance(err) && err.code === 'STORE_CONFLICT';
      if (!raced || attempt >= CANCEL_ATTEMPTS) throw err;
    }
  }
}

/**
 * The manager runs still deciding the matters this cancel closed (docs/escalation.md: one per escalation,
 * or per change set a manager approves) stop too: nothing is left for them to decide, and a manager left
 * running would spend its model's turns on a decision every tool of it now refuses. Signed `nightshift`,
 * as the escalation path's own closes are.
 */
async function closeManagerRuns(
  store: Store,
  clock: Clock,
  matters: string[],
  runId: string,
  by: string,
): Promise<void> {
  for (const matter of matters) {
    const manager = await store.getRun(managerRunId(matter));
    if (!manager || manager.idempotencyKey !== managerRunKey(matter)) continue;
    if (TERMINAL_STATUSES.includes(manager.status)) continue;
    try {
      await cancelRunAs(store, clock, {
        runId: manager.id,
        by: 'nightshift',
        reason: `${matter} was closed: its run ${runId} was cancelled by ${by}`,
      });
    } catch (err) {
      // It ended in between: nothing left to stop.
      if (!(NightshiftError.isInstance(err) && err.code === 'RUN_NOT_RESUMABLE')) throw err;
    }
  }
}

/**
 * A run's child runs (its delegations) stop with it; those that ended already are left as they are.
 * Signed by `by` (already checked), or by `nightshift` when the run ended on its own.
 */
async function cancelChildren(
  store: Store,
  clock: Clock,
  runId: string,
  by: string,
  reason: string,
): Promise<void> {
  const children = await store.listRuns({ parentRunId: runId, limit: 10_000 });
  for (const child of children) {
    if (TERMINAL_STATUSES.includes(child.status)) continue;
    try {
      await cancelRunAs(store, clock, { runId: child.id, by, reason });
    } catch (err) {
      // It ended in between: nothing left to stop.
      if (!(NightshiftError.isInstance(err) && err.code === 'RUN_NOT_RESUMABLE')) throw err;
    }
  }
}

/**
 * Whether a run's end is final for its children: succeeded, failed or cancelled, and not a continuous
 * agent's failed run (its supervisor reopens a failed one to continue from its last persisted step, where
 * an open delegation is followed again, docs/reliability.md), which keeps its children. A run that
 * succeeded is never reopened: a child it did not join (its take-up failed with a tool error the model
 * went past) has nobody left to read its result (decision 049).
 */
export function endedForGood(run: RunRecord): boolean {
  if (run.status === 'cancelled' || run.status === 'succeeded') return true;
  return run.status === 'failed' && !(run.idempotencyKey ?? '').startsWith('inbox:');
}

/**
 * A parent that ended for good without joining its children (failed: its budget spent while a child
 * waited for a place, more budget denied, an unexpected error, a crash loop; or succeeded after a child's
 * take-up failed with a tool error its model did not act on) leaves nobody to read their results: the
 * children that have not ended (queued for a place, paused for a person, handed to the workers) are
 * cancelled, and theirs, so no worker spends on them and no inbox asks about them (docs/orchestration.md,
 * "Links, crashes, cancel"). A parent queued for a retry is not ended: its next attempt follows them.
 * Called after the commit that ended `parent`; the workers' claim cancels a child of an ended parent a
 * crash left behind (runtime/work.ts).
 */
export async function cancelChildrenOfEnded(store: Store, clock: Clock, parent: RunRecord): Promise<void> {
  if (!endedForGood(parent)) return;
  // Read again: a continuous agent's supervisor may have reopened it since the commit that failed it.
  const now = await store.getRun(parent.id);
  if (!now || !endedForGood(now)) return;
  const why =
    now.status === 'succeeded' ? ' without joining this run' : parent.error ? ` (${parent.error.code})` : '';
  await cancelChildren(
    store,
    clock,
    parent.id,
    'nightshift',
    `its parent run ${parent.id} ${now.status}${why}`,
  );
}

async function commitCancel(
  store: Store,
  clock: Clock,
  state: RunState,
  by: string,
  input: { runId: string; reason: string | undefined },
): Promise<void> {
  if (TERMINAL_STATUSES.includes(state.run.status)) {
    throw new NightshiftError('RUN_NOT_RESUMABLE', `run ${input.runId} already ${state.run.status}`);
  }
  const reason = input.reason?.trim() || 'cancelled';
  const b = state.batch(clock.now());
  for (const a of state.pendingApprovals())
    b.approval({ ...a, status: 'cancelled', decidedAt: b.at, decidedBy: by, note: reason }, 'pending');
  for (const e of state.pendingEscalations())
    b.escalation({ ...e, status: 'cancelled', answeredBy: by, answeredAt: b.at }, 'pending');
  for (const c of state.calls.values()) {
    if (c.status === 'drafted' || c.status === 'held' || c.status === 'pending') {
      b.call({
        ...c,
        status: 'rejected',
        result: { cancelled: true, by, reason },
        isError: true,
        finishedAt: b.at,
      });
    }
  }
  const error = { code: 'CANCELLED', message: `cancelled by ${by}: ${reason}` };
  const holder = state.run.leaseOwner;
  const executing = holder !== null && (state.run.leaseUntil ?? 0) > clock.now();
  b.step('run_finished', {
    status: 'cancelled',
    output: null,
    error,
    ...(executing ? { interrupted: holder } : {}),
  });
  b.set({ status: 'cancelled', error, finishedAt: b.at, leaseOwner: null, leaseUntil: null });
  b.auditEvent({ actor: by, action: 'run.cancelled', target: input.runId, data: { reason } });
  await state.commit(store, b);
}
