// Human decisions apply only to a run that is paused and not being executed anywhere.
import type { Clock } from '../clock.js';
import { RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import { idForMessage } from '../message-text.js';
import type { RunPatch, Store } from '../store/types.js';
import { type DriveAfterDecision, handsBack } from './hand-back.js';

export async function loadPausedRun(store: Store, clock: Clock, runId: string): Promise<RunState> {
  const snapshot = await store.loadRun(runId);
  if (!snapshot) throw new NightshiftError('RUN_NOT_FOUND', `no run ${idForMessage(runId)}`);
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

/** How the deciding process wants the run once it is runnable again. */
export interface AfterDecision {
  /** Who drives it on (hand-back.ts); default `auto`. */
  drive?: DriveAfterDecision | undefined;
  /**
   * The deciding process, when it will drive the run on itself: the run is leased to it in the decision's
   * commit, so a worker polling for runs without a lease does not take it first.
   */
  holder?: { owner: string; until: number } | undefined;
}

/** The run's patch in a decision's commit: its status after it (statusAfter), and its lease. */
export function runAfterDecision(
  state: RunState,
  settled: { approvalId?: string; escalationId?: string },
  o: AfterDecision,
): RunPatch {
  const status = statusAfter(state, settled, o.drive);
  if (status === 'running' && o.holder)
    return { status, leaseOwner: o.holder.owner, leaseUntil: o.holder.until };
  return { status };
}
