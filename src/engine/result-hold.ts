// Escalation rules on results: a call's result, checked against the role's result rules in the commit
// that records it. When one matches, the same commit raises the escalation (the result in its context)
// and pauses the run, lease released: no model turn and no further call of the turn happens until a
// human (or a manager) answers, and there is no moment at which the result is stored but the run is not
// paused, so a crash can neither lose the result nor run the call again.
import { resultEscalation } from '../policy/decide.js';
import type { ToolCallRecord } from '../store/types.js';
import type { DrivenRun } from './driven-run.js';
import type { BatchBuilder } from './state.js';

/**
 * Checks the finished call's result against the result rules; when one matches, raises its escalation
 * and pauses the run in `b`. Returns whether it did (then nothing else may be claimed in `b`).
 */
export function holdResultIfRuled(
  run: DrivenRun,
  b: BatchBuilder,
  finished: ToolCallRecord,
  /** The whole result when `finished.result` is stored truncated: the rules judge all of it. */
  untruncated?: unknown,
): boolean {
  const { role } = run.prepared;
  const call = { tool: finished.tool, args: finished.args };
  const verdict = resultEscalation(role.escalation, {
    call,
    input: run.state.run.input,
    result: untruncated === undefined ? finished.result : untruncated,
  });
  if (!verdict?.rule) return false;
  run.newEscalation(b, {
    category: verdict.rule.category,
    reason: verdict.reason,
    missing: null,
    source: 'result_rule',
    callKey: finished.key,
    context: {
      call: { ...call, key: finished.key },
      // What the model has not seen yet: kept here too, so an answer that withholds it from the model
      // does not lose it.
      result: finished.result,
      isError: finished.isError,
      input: run.state.run.input,
      rule: verdict.rule,
    },
  });
  b.set({ status: 'escalated', leaseOwner: null, leaseUntil: null });
  return true;
}
