// A call committed as `started` by a worker that stopped, or lost the run's lease (frozen, cut off from the
// store: it may still be alive), before the call finished, whose tool is not
// idempotent: whether it happened is unknown, so it is held for a human instead of being run again.
import type { ToolCallRecord } from '../store/types.js';
import type { DrivenRun } from './driven-run.js';

export async function holdUnknownOutcome(run: DrivenRun, call: ToolCallRecord): Promise<void> {
  const b = run.batch();
  const reason = `${call.tool} was started but the worker driving the run stopped or lost the run (its lease expired) before the call finished, so whether it happened is unknown; it is not idempotent, so it will not be run again without a human`;
  const escalation = run.newEscalation(b, {
    category: 'unknown_outcome',
    reason,
    missing: 'whether the call took effect',
    source: 'unknown_outcome',
    callKey: call.key,
    context: { call: { tool: call.tool, args: call.args, key: call.key } },
  });
  b.call({ ...call, status: 'held', escalationId: escalation.id });
  b.set({ status: 'escalated' });
  await run.commit(b);
}
