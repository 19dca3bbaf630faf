// A budget ran out (steps, cost, daily cost or time): the run fails or escalates, as the role's
// `budget.onExceed` says. Checked before every model turn and before every tool call.
import { type BudgetOverrun, describeOverrun } from './budget.js';
import type { DrivenRun } from './driven-run.js';

export async function overBudget(
  run: DrivenRun,
  overrun: BudgetOverrun,
  extra: { stopped?: 'model_turn' } = {},
): Promise<void> {
  const { role } = run.prepared;
  const { state } = run;
  const b = run.batch();
  const reason = `${describeOverrun(overrun)}${extra.stopped === 'model_turn' ? '; the model call in flight was stopped and its answer dropped' : ''}`;
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
      details: { ...overrun },
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
