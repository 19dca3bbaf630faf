// Cancelling a run: it stops for good; pending approvals and escalations are closed so no inbox shows
// them, and nothing drafted or held will ever run.

import { checkActor } from '../approvals/actor.js';
import { loadPausedRun } from '../approvals/paused-run.js';
import type { Clock } from '../clock.js';
import { NightshiftError } from '../errors.js';
import { type Store, TERMINAL_STATUSES } from '../store/types.js';
import type { RunState } from './state.js';

export async function cancelRun(
  store: Store,
  clock: Clock,
  input: { runId: string; by: string | undefined; reason: string | undefined },
): Promise<RunState> {
  const by = checkActor(input.by);
  const state = await loadPausedRun(store, clock, input.runId);
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
  b.step('run_finished', { status: 'cancelled', output: null, error });
  b.set({ status: 'cancelled', error, finishedAt: b.at, leaseOwner: null, leaseUntil: null });
  b.auditEvent({ actor: by, action: 'run.cancelled', target: input.runId, data: { reason } });
  await state.commit(store, b);
  return state;
}
