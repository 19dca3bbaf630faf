// A budget ran out (steps, cost, daily cost or time): the run fails or escalates, as the role's
// `budget.onExceed` says. Checked before every model turn and before every tool call.
import type { RetryWait } from '../models/types.js';
import { type BudgetOverrun, describeOverrun } from './budget.js';
import type { DrivenRun } from './driven-run.js';

/** Seconds as people read them: whole when whole, else to a tenth. */
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * What the provider did that the model call was waiting out, in the reader's words:
 * `anthropic rate-limited it (HTTP 429 rate_limit_error), retry-after 30 s`.
 */
export function describeRetryWait(w: RetryWait): string {
  const what =
    w.status === 429
      ? `rate-limited it (HTTP 429${w.providerErrorType ? ` ${w.providerErrorType}` : ''})`
      : w.status !== undefined
        ? `failed it (HTTP ${w.status}${w.providerErrorType ? ` ${w.providerErrorType}` : ''})`
        : `failed it (${w.providerErrorType ?? 'the connection dropped'})`;
  return `${w.provider} ${what}, ${w.retryAfter ? 'retry-after' : 'backing off'} ${seconds(w.waitMs)}`;
}

export async function overBudget(
  run: DrivenRun,
  overrun: BudgetOverrun,
  extra: { stopped?: 'model_turn'; waitingToRetry?: RetryWait } = {},
): Promise<void> {
  const { role } = run.prepared;
  const { state } = run;
  const b = run.batch();
  // A call stopped while it waited to retry says so: "the model was answering" sent the reader to the
  // model, when the provider had refused the call and asked for a wait longer than the time left.
  const stopped =
    extra.stopped !== 'model_turn'
      ? ''
      : extra.waitingToRetry
        ? `; the model call was waiting to retry: ${describeRetryWait(extra.waitingToRetry)}`
        : '; the model call in flight was stopped and its answer dropped';
  const reason = `${describeOverrun(overrun)}${stopped}`;
  // Calls this driver claimed but never started go back to pending: they did not happen, and must not
  // look like an unknown outcome to whoever continues the run.
  const unclaimed: string[] = [];
  for (const key of run.claimedNotRun) {
    const c = state.calls.get(key);
    if (c?.status === 'started') {
      b.call({ ...c, status: 'pending', startedAt: null });
      unclaimed.push(key);
    }
  }
  run.claimedNotRun.clear();
  b.step('budget_exceeded', { ...overrun, ...extra, ...(unclaimed.length ? { unclaimed } : {}) });
  if (role.budget.onExceed === 'fail') {
    await run.finish(b, 'failed', null, {
      code: 'BUDGET_EXCEEDED',
      message: reason,
      details: { ...overrun, ...(extra.waitingToRetry ? { waitingToRetry: extra.waitingToRetry } : {}) },
    });
    return;
  }
  run.newEscalation(b, {
    category: 'budget',
    reason,
    missing: 'more budget, or a decision to stop',
    source: 'budget',
    callKey: null,
    context: { ...overrun, usage: state.run.usage, turns: state.run.turns },
  });
  b.set({ status: 'escalated' });
  await run.commit(b);
}
