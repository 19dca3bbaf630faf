// Whether a run moved past the write a busy database blocked, for the worker's busy limit
// (queue/worker.ts, `serve.storeBusyLimitMs`). Each re-drive of a run stopped by a busy write first
// commits steps that say nothing of getting further: `run_resumed`, and, when the blocked write follows
// them, the same kind of model turn with its decisions, the claim of the same call, an executor's session
// started again. Counting those as progress let a write blocked for ever re-drive the run for ever (the
// count of the run's commits moves at every re-drive). A step of any other kind settles something the
// re-drive does not repeat (a tool call finished, a change set filed, an escalation raised, a child
// started or joined, an output checked, a budget spent): the run got past the write it met before.
import type { RunStep, StepKind } from '../steps/types.js';
import type { Store } from '../store/types.js';

/** Steps a re-drive may commit again before meeting the same blocked write. */
const REDRIVE_KIND_LIST: readonly StepKind[] = [
  'run_resumed',
  'model_turn',
  'decision',
  'tool_started',
  'executor_started',
  'executor_event',
];
const REDRIVE_KINDS: ReadonlySet<StepKind> = new Set(REDRIVE_KIND_LIST);

/** How many of the run's steps settled something: it changes only when a drive moved past a blocked write. */
export function settledSteps(steps: readonly Pick<RunStep, 'kind'>[]): number {
  let n = 0;
  for (const s of steps) if (!REDRIVE_KINDS.has(s.kind)) n++;
  return n;
}

/**
 * settledSteps of the run as stored, counted by the store (one small query at each busy error, not the
 * whole log read and decoded); undefined when there is no such run.
 */
export function settledStepsOf(store: Store, runId: string): Promise<number | undefined> {
  return store.countRunSteps(runId, REDRIVE_KIND_LIST);
}
