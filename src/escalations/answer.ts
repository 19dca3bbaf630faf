// Answering an escalation, as a person. The answer is logged with who gave it and goes into the run's
// context; the run then continues. A held tool call runs only if the answer explicitly allows it (once, as
// recorded). The write itself is decide.ts's, shared with manager agents' decisions.

import { checkActor, type NightshiftSigned } from '../approvals/actor.js';
import type { AfterDecision } from '../approvals/paused-run.js';
import type { Clock } from '../clock.js';
import type { RunState } from '../engine/state.js';
import type { PeopleDirectory } from '../people/config.js';
import { checkMayDecide } from '../people/may-decide.js';
import type { Budget } from '../roles/schema.js';
import type { Store } from '../store/types.js';
import { settleEscalation } from './decide.js';

export interface AnswerInput extends NightshiftSigned {
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
  const by = checkActor(input.by, input);
  return settleEscalation(store, clock, {
    escalationId: input.escalationId,
    decision: input.allowCall ? 'allow' : 'answer',
    text: input.answer,
    by,
    budget: input.budget,
    withholdResult: input.withholdResult,
    after: input.after,
    mayDecide: (e) => checkMayDecide(input.people, by, e.role, `escalation ${e.id}`),
  });
}
