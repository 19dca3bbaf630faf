// A continuous agent's executor thread after a handled event: the thread its run's session ran in, read
// from the run's log (the executor's `model_turn` step), to be saved with the agent's context.
import { readStep } from '../steps/read.js';
import type { AgentThread, RunSnapshot } from '../store/types.js';

/** The thread the run's last executor session ran in; undefined when no session recorded one. */
export function threadOfRun(snapshot: Pick<RunSnapshot, 'steps'> | undefined): AgentThread | undefined {
  const steps = snapshot?.steps ?? [];
  for (let i = steps.length - 1; i >= 0; i--) {
    if (steps[i]!.kind !== 'model_turn') continue;
    const step = readStep(steps[i]!);
    if (step.kind === 'model_turn' && step.data.executor && step.data.thread)
      return { executor: step.data.executor, id: step.data.thread.id };
  }
  return undefined;
}

/**
 * The thread the agent keeps: the one its last session ran in, else the one it had. A session that
 * could not resume the stored thread started a new one, which replaces it.
 */
export function keptThread(
  previous: AgentThread | null | undefined,
  ran: AgentThread | undefined,
): AgentThread | null {
  return ran ?? previous ?? null;
}
