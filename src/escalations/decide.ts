// Settling an escalation: the one write every decision makes, whoever decides (a person through answer.ts,
// a manager agent through its decision tools). The decision, who made it and the held call's fate are
// committed together, conditional on the escalation still being pending, so two deciders never both win
// and a held call is released at most once.
import { type AfterDecision, loadPausedRun, runAfterDecision } from '../approvals/paused-run.js';
import type { Clock } from '../clock.js';
import { type BudgetDimension, grantFor } from '../engine/budget.js';
import { cancelChildrenOfEnded } from '../engine/cancel.js';
import { decideAgainIfRaced } from '../engine/decide-again.js';
import type { RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import type { Budget } from '../roles/schema.js';
import type { EscalationRecord, Store } from '../store/types.js';

/**
 * `answer`: the run continues with the text; `allow`: the held call runs once; `deny`: it is refused (for a
 * result rule's escalation, whose call has run already: the model is not shown the result).
 */
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
  /**
   * A person's answer to a result rule's escalation that keeps the result from the model (`--withhold-result`);
   * a manager's `deny` of such an escalation means the same.
   */
  withholdResult?: boolean | undefined;
  /** Who drives the run on once it is runnable again (approvals/hand-back.ts); a manager's: the queue. */
  after?: AfterDecision | undefined;
  /** Checked once the escalation is read and before anything is written: may `by` decide its role? */
  mayDecide?: ((escalation: EscalationRecord) => void) | undefined;
}

/** The escalation `id`, which must still wait for a decision (NOT_FOUND, NOT_PENDING otherwise). */
/**
 * How each door spells the two options, since the same refusal reaches the CLI, the HTTP API and a
 * manager's tools: naming only the CLI flag told an API caller to change something it cannot send.
 */
const DOORS = ' (CLI: --allow-call / --withhold-result; API: allowCall / withholdResult)';

export async function readPendingEscalation(store: Store, id: string): Promise<EscalationRecord> {
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

export function settleEscalation(store: Store, clock: Clock, input: SettleInput): Promise<RunState> {
  // Each attempt reads the escalation afresh: a decider that lost the race hears ESCALATION_NOT_PENDING.
  return decideAgainIfRaced(() => settleOnce(store, clock, input));
}

async function settleOnce(store: Store, clock: Clock, input: SettleInput): Promise<RunState> {
  const text = input.text.trim();
  if (text === '')
    throw new NightshiftError('USAGE', 'a decision needs text: what should the agent know or do?');
  const { by, decision } = input;
  const escalation = await readPendingEscalation(store, input.escalationId);
  input.mayDecide?.(escalation);
  const state = await loadPausedRun(store, clock, escalation.runId);
  const held = escalation.callKey ? state.calls.get(escalation.callKey) : undefined;
  // A result rule's escalation holds a result, not a call: the call has run; what is decided is whether
  // the model sees the result (`deny` / withholdResult: it does not).
  const heldResult = escalation.source === 'result_rule';
  const canRunCall = held != null && held.tool !== 'escalate' && !heldResult;
  if (decision === 'allow' && !canRunCall) {
    throw new NightshiftError(
      'USAGE',
      heldResult
        ? `escalation ${escalation.id} holds the result of a call that has already run, not a call; answer without allowing a call (the model then sees the result), or withholding the result${DOORS}`
        : `escalation ${escalation.id} holds no tool call to allow; answer without allowing a call${DOORS}`,
    );
  }
  const withhold = input.withholdResult === true || (heldResult && decision === 'deny');
  if (withhold && !heldResult) {
    throw new NightshiftError(
      'USAGE',
      `escalation ${escalation.id} holds no tool result (its source is ${escalation.source}); answer without withholding a result${DOORS}`,
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
  if (held && withhold) {
    // The call ran and its result is kept in the escalation's context; the model gets this instead.
    b.call({
      ...held,
      result: {
        withheld: true,
        reason: `the result was withheld by ${by} (escalation ${escalation.id}, ${escalation.category})`,
        answer,
      },
      isError: true,
    });
  }
  // A budget escalation denied ends the run: granting nothing would only raise the same escalation again.
  const budgetDenied = escalation.source === 'budget' && decision === 'deny';
  if (escalation.source === 'budget' && input.budget && !budgetDenied) {
    const overrun = escalation.context as { dimension: BudgetDimension; limit?: unknown; used?: unknown };
    const extra = grantFor(overrun, input.budget);
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
    ...(heldResult ? { withheldResult: withhold } : {}),
  });
  b.auditEvent({
    actor: by,
    action: 'escalation.answered',
    target: escalation.id,
    data: {
      allowCall: decision === 'allow',
      ...(input.byManager ? { decision, text } : {}),
      ...(heldResult ? { withheldResult: withhold } : {}),
    },
  });
  if (budgetDenied) {
    const error = { code: 'BUDGET_EXCEEDED', message: `more budget was denied by ${by}: ${text}` };
    b.step('run_finished', { status: 'failed', output: null, error });
    b.set({ status: 'failed', error, finishedAt: b.at });
  } else {
    // A manager's decision never drives the run in the manager's process: the run is queued for whoever
    // drives it (the CLI that started it, or serve's workers).
    const after = input.byManager ? { ...input.after, drive: 'queue' as const } : (input.after ?? {});
    b.set(runAfterDecision(state, { escalationId: escalation.id }, after));
  }
  // The run as this decision left it (handed back, a worker may have taken it on already).
  await state.commit(store, b);
  // Ended without its children's results: those still queued or paused stop too.
  if (budgetDenied) await cancelChildrenOfEnded(store, clock, state.run);
  return state;
}
