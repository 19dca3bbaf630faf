// Answering an escalation. The answer is logged with who gave it and goes into the run's context; the
// run then continues. A held tool call runs only if the answer explicitly allows it (once, as recorded).

import { checkActor } from '../approvals/actor.js';
import { type AfterDecision, loadPausedRun, runAfterDecision } from '../approvals/paused-run.js';
import type { Clock } from '../clock.js';
import { type BudgetDimension, grantFor } from '../engine/budget.js';
import type { RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import type { PeopleDirectory } from '../people/config.js';
import { checkMayDecide } from '../people/may-decide.js';
import type { Budget } from '../roles/schema.js';
import type { EscalationRecord, Store } from '../store/types.js';

export interface AnswerInput {
  escalationId: string;
  answer: string;
  by: string | undefined;
  /** Let the held tool call run once (tool-rule and unknown-outcome escalations only). */
  allowCall?: boolean | undefined;
  /**
   * A result rule's escalation only: the model is not shown the held result; it sees that a human withheld
   * it, and the answer. The result stays in the escalation's context. (Allowing is the plain answer.)
   */
  withholdResult?: boolean | undefined;
  /** The role's budget, to grant one more allotment when a budget escalation is answered. */
  budget?: Budget | undefined;
  /** The configured people: `by` must be one who may decide the escalation's role (none: anyone may). */
  people?: PeopleDirectory | undefined;
  /** Who drives the run on once it is runnable again. */
  after?: AfterDecision | undefined;
}

export async function answerEscalation(store: Store, clock: Clock, input: AnswerInput): Promise<RunState> {
  const by = checkActor(input.by);
  const text = input.answer.trim();
  if (text === '')
    throw new NightshiftError('USAGE', 'an answer needs text: what should the agent know or do?');
  const escalation = await store.getEscalation(input.escalationId);
  if (!escalation)
    throw new NightshiftError(
      'ESCALATION_NOT_FOUND',
      `no escalation ${input.escalationId} (see nightshift inbox)`,
    );
  if (escalation.status !== 'pending') {
    throw new NightshiftError(
      'ESCALATION_NOT_PENDING',
      `escalation ${escalation.id} is already ${escalation.status}${escalation.answeredBy ? ` by ${escalation.answeredBy}` : ''}`,
    );
  }
  checkMayDecide(input.people, by, escalation.role, `escalation ${escalation.id}`);
  const state = await loadPausedRun(store, clock, escalation.runId);
  const held = escalation.callKey ? state.calls.get(escalation.callKey) : undefined;
  const heldResult = escalation.source === 'result_rule';
  const canRunCall = held != null && held.tool !== 'escalate' && !heldResult;
  if (input.allowCall && !canRunCall) {
    throw new NightshiftError(
      'USAGE',
      heldResult
        ? `escalation ${escalation.id} holds the result of a call that has already run, not a call; answer without --allow-call (the model then sees the result), or with --withhold-result`
        : `escalation ${escalation.id} holds no tool call to allow; answer without --allow-call`,
    );
  }
  const withhold = input.withholdResult === true;
  if (withhold && !heldResult) {
    throw new NightshiftError(
      'USAGE',
      `escalation ${escalation.id} holds no tool result (it is a ${escalation.source} escalation); answer without --withhold-result`,
    );
  }
  const b = state.batch(clock.now());
  const answered: EscalationRecord = {
    ...escalation,
    status: 'answered',
    answer: text,
    answeredBy: by,
    answeredAt: b.at,
    allowCall: input.allowCall === true,
  };
  b.escalation(answered, 'pending');
  if (held && held.status === 'held') {
    if (input.allowCall) {
      b.call({ ...held, status: 'pending', reason: `${held.reason}; allowed by ${by}` });
    } else {
      const result =
        held.tool === 'escalate'
          ? { answer: text, answeredBy: by }
          : {
              notRun: true,
              reason: `held by escalation ${escalation.id} (${escalation.category})`,
              answer: text,
              answeredBy: by,
            };
      b.call({ ...held, status: 'answered', result, isError: held.tool !== 'escalate', finishedAt: b.at });
    }
  }
  if (held && heldResult && withhold) {
    // The call ran and its result is kept in the escalation's context; the model gets this instead.
    b.call({
      ...held,
      result: {
        withheld: true,
        reason: `the result was withheld by ${by} (escalation ${escalation.id}, ${escalation.category})`,
        answer: text,
      },
      isError: true,
    });
  }
  if (escalation.source === 'budget' && input.budget) {
    const dimension = escalation.context.dimension as BudgetDimension;
    const extra = grantFor(dimension, input.budget);
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
    answer: text,
    by,
    callKey: escalation.callKey,
    allowCall: input.allowCall === true,
    ...(heldResult ? { withheldResult: withhold } : {}),
  });
  b.auditEvent({
    actor: by,
    action: 'escalation.answered',
    target: escalation.id,
    data: { allowCall: input.allowCall === true, ...(heldResult ? { withheldResult: withhold } : {}) },
  });
  b.set(runAfterDecision(state, { escalationId: escalation.id }, input.after ?? {}));
  // The run as this answer left it (handed back, a worker may have taken it on already).
  await state.commit(store, b);
  return state;
}
