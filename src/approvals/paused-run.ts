// Human decisions apply only to a run that is paused and not being executed anywhere.
import type { Clock } from '../clock.js';
import { RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import type { Store } from '../store/types.js';
import { type DriveAfterDecision, handsBack } from './hand-back.js';

export async function loadPausedRun(store: Store, clock: Clock, runId: string): Promise<RunState> {
  const snapshot = await store.loadRun(runId);
  if (!snapshot) throw new NightshiftError('RUN_NOT_FOUND', `no run ${runId}`);
  const { run } = snapshot;
  if (run.leaseOwner && run.leaseUntil !== null && run.leaseUntil > clock.now()) {
    throw new NightshiftError(
      'RUN_LEASED',
      `run ${runId} is still executing (${run.leaseOwner}); try again when it has paused`,
    );
  }
  return new RunState(snapshot);
}

/**
 * The status a paused run has once the given approval or escalation is settled: still paused for what
 * else it waits on, or runnable again: `running` for the deciding process to drive, or `queued` when the
 * decision hands it back to the workers (hand-back.ts).
 */
export function statusAfter(
  state: RunState,
  settled: { approvalId?: string; escalationId?: string },
  drive?: DriveAfterDecision,
): 'escalated' | 'awaiting_approval' | 'running' | 'queued' {
  if (state.pendingEscalations().some((e) => e.id !== settled.escalationId)) return 'escalated';
  if (state.pendingApprovals().some((a) => a.id !== settled.approvalId)) return 'awaiting_approval';
  return handsBack(state, drive) ? 'queued' : 'running';
}
