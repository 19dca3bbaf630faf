// Settling an escalation: the one write every decision makes, whoever decides (a person through answer.ts,
// a manager agent through its decision tools). The decision, who made it and the held call's fate are
// committed together, conditional on the escalation still being pending, so two deciders never both win
// and a held call is released at most once.
import { loadPausedRun, statusAfter } from '../approvals/paused-run.js';
import type { Clock } from '../clock.js';
import { type BudgetDimension, grantFor } from '../engine/budget.js';
import { RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import type { Budget } from '../roles/schema.js';
import type { EscalationRecord, Store } from '../store/types.js';

/** `answer`: the run continues with the text; `allow`: the held call runs once; `deny`: it is refused. */
export type EscalationDecision = 'answer' | 'allow' | 'deny';

export interface SettleInput {
  escalationId: string;
  decision: EscalationDecision;
  /** The answer, the note that goes with an allow, or the reason of a deny. */
  text: string;
  /** Who decided, already checked: a person's name, or `manager:<role>/<run id>`. */
  by: string;
  /** The escalated role's budget, to grant one more allotment when a budget escalation is answered. */
  budget?: Budget | undefined;
  /**
   * A manager agent decided: the step says which decision it was, and a run free to go on is queued (for
   * whoever drives it: the CLI that started it, or serve's workers), not left for the decider to drive.
   */
  byManager?: boolean;
}

export async function pendingEscalation(store: Store, id: string): Promise<EscalationRecord> {
  const escalation = await store.getEscalation(id);
  if (!escalation)
    throw new NightshiftError('ESCALATION_NOT_FOUND', `no escalation ${id} (see nightshift inbox)`);
  if (escalation.status !== 'pending') {
    throw new NightshiftError(
      'ESCALATION_NOT_PENDING',
      `escalation ${escalation.id} is already ${escalation.status}${escalation.answeredBy ? ` by ${escalation.answeredBy}` : ''}`,
    );
  }
  return escalation;
}

export async function settleEscalation(store: Store, clock: Clock, input: SettleInput): Promise<RunState> {
  const text = input.text.trim();
  if (text === '')
    throw new NightshiftError('USAGE', 'a decision needs text: what should the agent know or do?');
  const { by, decision } = input;
  const escalation = await pendingEscalation(store, input.escalationId);
  const state = await loadPausedRun(store, clock, escalation.runId);
  const held = escalation.callKey ? state.calls.get(escalation.callKey) : undefined;
  const canRunCall = held != null && held.tool !== 'escalate';
  if (decision === 'allow' && !canRunCall) {
    throw new NightshiftError(
      'USAGE',
      `escalation ${escalation.id} holds no tool call to allow; answer without --allow-call`,
    );
  }
  const answer = decision === 'deny' ? `denied: ${text}` : text;
  const b = state.batch(clock.now());
  const answered: EscalationRecord = {
    ...escalation,
    status: 'answered',
    answer,
    answeredBy: by,
    answeredAt: b.at,
    allowCall: decision === 'allow',
  };
  b.escalation(answered, 'pending');
  if (held && held.status === 'held') {
    if (decision === 'allow') {
      b.call({ ...held, status: 'pending', reason: `${held.reason}; allowed by ${by}` });
    } else if (held.tool === 'escalate') {
      b.call({ ...held, status: 'answered', result: { answer, answeredBy: by }, finishedAt: b.at });
    } else if (decision === 'deny') {
      const result = { denied: true, reason: `denied by ${by}: ${text}` };
      b.call({ ...held, status: 'denied', result, isError: true, finishedAt: b.at });
    } else {
      const result = {
        notRun: true,
        reason: `held by escalation ${escalation.id} (${escalation.category})`,
        answer,
        answeredBy: by,
      };
      b.call({ ...held, status: 'answered', result, isError: true, finishedAt: b.at });
    }
  }
  // A budget escalation denied ends the run: granting nothing would only raise the same escalation again.
  const budgetDenied = escalation.source === 'budget' && decision === 'deny';
  if (escalation.source === 'budget' && input.budget && !budgetDenied) {
    const extra = grantFor(escalation.context.dimension as BudgetDimension, input.budget);
    const g = state.run.grant;
    b.set({
      grant: {
        steps: g.steps + extra.steps,
        costUsd: g.costUsd + extra.costUsd,
        seconds: g.seconds + extra.seconds,
      },
    });
  }
  b.step('escalation_answered', {
    escalationId: escalation.id,
    category: escalation.category,
    answer,
    by,
    callKey: escalation.callKey,
    allowCall: decision === 'allow',
    ...(input.byManager ? { decision } : {}),
  });
  b.auditEvent({
    actor: by,
    action: 'escalation.answered',
    target: escalation.id,
    data: { allowCall: decision === 'allow', ...(input.byManager ? { decision, text } : {}) },
  });
  if (budgetDenied) {
    const error = { code: 'BUDGET_EXCEEDED', message: `more budget was denied by ${by}: ${text}` };
    b.step('run_finished', { status: 'failed', output: null, error });
    b.set({ status: 'failed', error, finishedAt: b.at });
  } else {
    const next = statusAfter(state, { escalationId: escalation.id });
    b.set({ status: next === 'running' && input.byManager ? 'queued' : next });
  }
  await store.commit(b.build());
  return new RunState((await store.loadRun(escalation.runId))!);
}
