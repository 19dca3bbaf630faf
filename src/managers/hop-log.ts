// What the escalation path and the draft path share: writing a hop into the paused run's log exactly once,
// closing a manager run that has nothing left to decide, and the small reads both make.
import type { Clock } from '../clock.js';
import { cancelRunAs } from '../engine/cancel.js';
import { type BatchBuilder, RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import { idForMessage } from '../message-text.js';
import { type RunRecord, type Store, TERMINAL_STATUSES } from '../store/types.js';

/** How often a hop is written again when the paused run moved on in between (a person decided). */
const HOP_ATTEMPTS = 5;
/** The runtime's name in logs and cancels it makes on its own. */
export const SYSTEM = 'nightshift';

/** The paused matter a hop is about, as the paused run's state shows it. */
export interface HopSubject {
  runId: string;
  /** Still waiting for a decision (a hop on a decided matter is not written). */
  pending(state: RunState): boolean;
  /** This hop is in the log already. */
  logged(state: RunState): boolean;
}

/**
 * Writes a hop into the paused run's log once: skipped when the matter is no longer pending, the same hop
 * is there already, or the run is executing (the next look writes it).
 */
export async function logHopOnce(
  store: Store,
  clock: Clock,
  subject: HopSubject,
  write: (b: BatchBuilder) => void,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const state = await loadState(store, subject.runId);
    const now = clock.now();
    if (!subject.pending(state) || subject.logged(state)) return;
    if (state.run.leaseOwner && (state.run.leaseUntil ?? 0) > now) return;
    const b = state.batch(now);
    write(b);
    try {
      await state.commit(store, b);
      return;
    } catch (err) {
      const raced = NightshiftError.isInstance(err) && err.code === 'STORE_CONFLICT';
      if (!raced || attempt >= HOP_ATTEMPTS) throw err;
    }
  }
}

/** Cancels a manager run that has nothing left to decide (signed `nightshift`); a no-op once it ended. */
export async function closeRun(store: Store, clock: Clock, runId: string, reason: string): Promise<void> {
  const run = await store.getRun(runId);
  if (!run || TERMINAL_STATUSES.includes(run.status)) return;
  try {
    await cancelRunAs(store, clock, { runId, by: SYSTEM, reason });
  } catch (err) {
    // Finished on its own in between: nothing left to close.
    if (!(NightshiftError.isInstance(err) && err.code === 'RUN_NOT_RESUMABLE')) throw err;
  }
}

export function leased(run: RunRecord, clock: Clock): boolean {
  return run.leaseOwner !== null && (run.leaseUntil ?? 0) > clock.now();
}

/** A run some process may drive now: queued, or running with its lease run out. */
export function drivable(run: RunRecord, clock: Clock): boolean {
  return run.status === 'queued' || (run.status === 'running' && !leased(run, clock));
}

export async function loadState(store: Store, runId: string): Promise<RunState> {
  const snapshot = await store.loadRun(runId);
  if (!snapshot) throw new NightshiftError('RUN_NOT_FOUND', `no run ${idForMessage(runId)}`);
  return new RunState(snapshot);
}

/** Why a manager run stopped without deciding, in words, for the hop that passes its matter to people. */
export function stoppedWithoutDeciding(run: RunRecord, actor: string, ownReason: string | undefined): string {
  switch (run.status) {
    case 'escalated':
      return `${actor} passed it up: ${ownReason ?? 'it escalated'}`;
    case 'awaiting_approval':
      return `${actor} drafted a change that needs a person's approval`;
    case 'failed':
      return `${actor} failed without deciding: ${run.error?.message ?? 'unknown error'}`;
    default:
      return `${actor} ${run.status === 'cancelled' ? 'was cancelled' : 'finished'} without deciding`;
  }
}
