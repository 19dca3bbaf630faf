// After a child run moves on outside its parent's driver (a human approved its draft or answered its
// escalation, or it was resumed by hand), its parent, paused while it waited, continues; and its parent's
// parent, up the chain, as long as each one ends.
import type { RunState } from '../engine/state.js';
import { TERMINAL_STATUSES } from '../store/types.js';

/**
 * Continues the parents of `state`'s run while the run below has ended; returns the topmost run reached.
 * `resumeParent` returns undefined when the parent is being driven elsewhere (its driver sees the child).
 */
export async function continueParents(
  state: RunState,
  resumeParent: (parentRunId: string) => Promise<RunState | undefined>,
): Promise<RunState> {
  let at = state;
  while (at.run.parentRunId && TERMINAL_STATUSES.includes(at.run.status)) {
    const parent = await resumeParent(at.run.parentRunId);
    if (!parent) return at;
    at = parent;
  }
  return at;
}
