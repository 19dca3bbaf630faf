// Answering an escalation, as a person. The answer is logged with who gave it and goes into the run's
// context; the run then continues. A held tool call runs only if the answer explicitly allows it (once, as
// recorded). The write itself is decide.ts's, shared with manager agents' decisions.

import { checkActor } from '../approvals/actor.js';
import type { Clock } from '../clock.js';
import type { RunState } from '../engine/state.js';
import type { Budget } from '../roles/schema.js';
import type { Store } from '../store/types.js';
import { settleEscalation } from './decide.js';

export interface AnswerInput {
  escalationId: string;
  answer: string;
  by: string | undefined;
  /** Let the held tool call run once (tool-rule and unknown-outcome escalations only). */
  allowCall?: boolean | undefined;
  /** The role's budget, to grant one more allotment when a budget escalation is answered. */
  budget?: Budget | undefined;
}

export async function answerEscalation(store: Store, clock: Clock, input: AnswerInput): Promise<RunState> {
  const by = checkActor(input.by);
  return settleEscalation(store, clock, {
    escalationId: input.escalationId,
    decision: input.allowCall ? 'allow' : 'answer',
    text: input.answer,
    by,
    budget: input.budget,
  });
}
