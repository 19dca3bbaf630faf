// Who drives a run on after a human decision (decision 027). A run queued for workers (`serve`: events,
// webhooks, cron ticks, inbox items, `enqueue`) goes back on their queue: the decision commits the run as
// `queued` and the workers are woken, so the deciding process (the CLI, a channel's endpoint) runs no tool.
// A run started in the foreground (`nightshift run`) is driven on by the deciding process, as before.
import type { RunState } from '../engine/state.js';

/**
 * `auto`: the run's origin decides (queued for workers → `queue`, else `here`). `here`: the deciding
 * process drives the run on. `queue`: the run goes back on the workers' queue whatever its origin.
 */
export type DriveAfterDecision = 'auto' | 'here' | 'queue';

/** Whether the run was queued for workers when it started (older runs: any trigger but a manual one). */
export function queuedForWorkers(state: RunState): boolean {
  const first = state.steps[0];
  if (first?.kind !== 'run_started') return false;
  if (first.data.queued !== undefined) return first.data.queued;
  const kind = first.data.trigger?.kind;
  return kind !== undefined && kind !== 'manual';
}

/** Whether a decision on this run, made with `drive`, hands it back to the workers' queue. */
export function handsBack(state: RunState, drive: DriveAfterDecision | undefined): boolean {
  if (drive === 'queue') return true;
  if (drive === 'here') return false;
  return queuedForWorkers(state);
}
