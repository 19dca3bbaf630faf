// A turn of the role's agent. For a model: its answer, recorded with the policy's verdict on every call it
// asked for (one commit, which also claims the first call that may run), or, with no calls, its final
// answer checked against the role's output schema. An executor runs its whole session instead
// (executor-turn.ts). Either way the budgets are checked first.
import { NightshiftError } from '../errors.js';
import type { NewEscalation } from '../escalations/raise.js';
import type { ModelResponse, RetryWait } from '../models/types.js';
import { ESCALATE_TOOL, type PolicyDecision } from '../policy/decide.js';
import type { EscalationCategory } from '../roles/conditions.js';
import { DEFAULT_MAX_OUTPUT_TOKENS } from '../roles/schema.js';
import type { ToolCallRecord } from '../store/types.js';
import { timeLimit, withSignal } from './abortable.js';
import { budgetOverrun, dailyCostOverrun, secondsLeftMs, utcDayStart } from './budget.js';
import { buildMessages } from './conversation.js';
import type { DrivenRun } from './driven-run.js';
import { type EscalateArgs, normaliseCategory } from './escalate-tool.js';
import { executorTurn, finishSession, sessionDone } from './executor-turn.js';
import { judgeCall } from './judge.js';
import { addUsage, applyVerdict, callRecord } from './ledger.js';
import { mayRunNow } from './next-work.js';
import { checkOutput } from './output.js';
import { overBudget } from './over-budget.js';
import type { BatchBuilder } from './state.js';

export async function takeTurn(run: DrivenRun): Promise<void> {
  const { prepared, state } = run;
  const { role, agent } = prepared;
  // An executor's session, once recorded, is the run's only turn: what is left is to finish it.
  if (agent.kind === 'executor' && sessionDone(state)) {
    await finishSession(run);
    return;
  }
  const now = run.ctx.clock.now();
  const overrun =
    budgetOverrun(state.run, role.budget, run.activeMs(now)) ??
    (role.budget.maxCostUsdPerDay === undefined
      ? undefined
      : dailyCostOverrun(
          role.budget,
          await run.ctx.store.roleCostSince(role.name, utcDayStart(now)),
          state.escalations.values(),
        ));
  if (overrun) {
    await overBudget(run, overrun);
    return;
  }

  if (agent.kind === 'executor') {
    await executorTurn(run, agent.executor);
    return;
  }
  const { model } = agent;
  const started = run.ctx.clock.now();
  const seconds = role.budget.maxSeconds + state.run.grant.seconds;
  // Aborted when this worker loses the lease (the turn's answer could not be committed anyway) or when
  // the time budget runs out while the model is still answering (its answer is dropped, not recorded).
  const limit = timeLimit(
    run.abort,
    secondsLeftMs(state.run, role.budget, run.activeMs(started)),
    `the run's time budget (budget.maxSeconds with grants: ${seconds} s) ran out while the model was answering`,
    run.deadlines,
  );
  // The adapter's last wait before a retry, and when it ends (performance.now, the limit's clock): the time
  // budget running out inside it is told as a wait to retry, not as a model that kept answering.
  let retryWait: { wait: RetryWait; endsAt: number } | undefined;
  const onRetryWait = (wait: RetryWait) => {
    retryWait = { wait, endsAt: performance.now() + wait.waitMs };
  };
  let response: ModelResponse;
  try {
    response = await limit.race(
      model.turn(
        // `signal` a getter: the signal is made only if the model reads it (see timeLimit, withSignal).
        withSignal(
          {
            system: prepared.system,
            messages: buildMessages(state),
            tools: prepared.toolSpecs,
            outputSchema: role.output,
            maxOutputTokens: role.limits.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
            onRetryWait,
          },
          limit,
        ),
      ),
    );
  } catch (err) {
    // The run is another worker's now: record nothing.
    if (run.leaseLost) return;
    if (limit.timedOut()) {
      // Nothing of the unfinished turn is recorded (its tokens are not counted: the answer never came).
      const activeS = run.activeMs(run.ctx.clock.now()) / 1000;
      const waiting = retryWait && performance.now() < retryWait.endsAt ? retryWait.wait : undefined;
      await overBudget(
        run,
        { dimension: 'seconds', limit: seconds, used: Math.max(seconds, activeS) },
        { stopped: 'model_turn', ...(waiting ? { waitingToRetry: waiting } : {}) },
      );
      return;
    }
    const e = NightshiftError.isInstance(err)
      ? err
      : new NightshiftError('MODEL_ERROR', String((err as Error)?.message ?? err), { cause: err });
    await run.finish(run.batch(), 'failed', null, {
      code: e.code,
      message: e.message,
      ...(e.details ? { details: e.details } : {}),
      ...(e.retryable === undefined ? {} : { retryable: e.retryable }),
    });
    return;
  } finally {
    limit.dispose();
  }

  // The answer, committed: its calls with their verdicts, or its final answer.
  const b = run.batch();
  const turnSeq = b.nextSeq();
  b.step('model_turn', {
    text: response.text,
    calls: response.calls.map((c) => ({ id: c.id, tool: c.tool, args: c.args })),
    usage: response.usage,
    model: model.spec,
    provider: model.provider,
    modelId: response.modelId,
    stopReason: response.stopReason,
    latencyMs: b.at - started,
    // Which worker (host/pid/lease id) took the turn: for operators, and for tests that check sharing.
    worker: run.ctx.owner,
  });
  b.set({ turns: state.run.turns + 1, usage: addUsage(state.run.usage, response.usage) });

  // A refusal is never acted on, even when the turn also asks for calls (Anthropic may stop with `refusal`
  // after a whole tool-use block): its calls stay in the step, none is judged or run.
  if (response.calls.length === 0 || response.stopReason === 'refusal') {
    await finalAnswer(run, b, response);
    return;
  }

  const records: ToolCallRecord[] = [];
  for (const [index, request] of response.calls.entries())
    records.push(await decideCall(run, b, turnSeq, index, request));
  if (records.some((r) => r.status === 'held')) b.set({ status: 'escalated' });
  const firstPending = records.find((r) => r.status === 'pending' && mayRunNow(r, records, prepared));
  // Claimed in the same commit: the record is the batch's own (decideCall added it).
  if (firstPending && run.timeLeft(b.at)) run.claim(b, firstPending);
  await run.commit(b);
}

/** One call of the turn: judged, its decision recorded, and its ledger row as the verdict implies. */
async function decideCall(
  run: DrivenRun,
  b: BatchBuilder,
  turnSeq: number,
  index: number,
  request: ModelResponse['calls'][number],
): Promise<ToolCallRecord> {
  const { verdict, parsedArgs } = await judgeCall(run.prepared, request, run.state.run.input);
  const record = callRecord(run.state.run.id, turnSeq, index, request, verdict);
  b.step('decision', {
    key: record.key,
    tool: request.tool,
    decision: verdict.decision,
    reason: verdict.reason,
    ...(verdict.rule ? { rule: verdict.rule } : {}),
  });
  const escalation =
    verdict.decision === 'escalate'
      ? run.newEscalation(b, heldCall(run, record.key, request, verdict, parsedArgs))
      : undefined;
  b.call(applyVerdict(record, verdict, b.at, escalation));
  return record;
}

/**
 * The escalation holding an escalated call: the model's own (the `escalate` tool, its category normalised,
 * a made-up one kept in the reason) or a tool rule's.
 */
function heldCall(
  run: DrivenRun,
  key: string,
  request: ModelResponse['calls'][number],
  verdict: PolicyDecision,
  parsedArgs: unknown,
): NewEscalation {
  const fromModel = request.tool === ESCALATE_TOOL;
  const args = (parsedArgs ?? {}) as Partial<EscalateArgs>;
  const category: EscalationCategory = fromModel
    ? normaliseCategory(args.category ?? 'other')
    : (verdict.rule?.category ?? 'other');
  const reason = fromModel
    ? `${args.reason ?? ''}${category === 'other' && args.category && args.category !== 'other' ? ` [category: ${args.category}]` : ''}`
    : verdict.reason;
  return {
    category,
    reason,
    missing: fromModel ? (args.missing ?? null) : null,
    source: fromModel ? 'model' : 'tool_rule',
    callKey: key,
    context: {
      call: { tool: request.tool, args: request.args, key },
      input: run.state.run.input,
      ...(verdict.rule ? { rule: verdict.rule } : {}),
    },
  };
}

/**
 * A turn without calls: the final answer, validated; one repair turn when it does not match the schema. An
 * answer the output token limit cut off, or a refusal, is never the run's output (even with no output schema,
 * where any text would pass): the run fails with a code that says which, and is not retried (the same
 * request would meet the same limit or the same refusal).
 */
async function finalAnswer(run: DrivenRun, b: BatchBuilder, response: ModelResponse): Promise<void> {
  const { text, stopReason } = response;
  if (stopReason === 'max_tokens') {
    const limit = run.prepared.role.limits.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    await run.finish(b, 'failed', null, {
      code: 'OUTPUT_TRUNCATED',
      // Anthropic's model_context_window_exceeded comes here too: the message names both limits.
      message: `the model's final answer was cut off at its output token limit (limits.maxOutputTokens: ${limit}) or its context window; raise the limit or ask the role for a shorter answer`,
      details: { maxOutputTokens: limit, text },
      retryable: false,
    });
    return;
  }
  if (stopReason === 'refusal') {
    await run.finish(b, 'failed', null, {
      code: 'MODEL_REFUSED',
      message: `the model declined the task, or the provider's content filter stopped its answer: ${shortText(text, 300) || '(no reason given)'}`,
      details: { text },
      retryable: false,
    });
    return;
  }
  const check = checkOutput(text, run.prepared.role.output);
  if (check.ok) {
    await run.finish(b, 'succeeded', check.value, null);
    return;
  }
  const repairs = run.state.steps.filter((s) => s.kind === 'output_invalid').length;
  if (repairs === 0) {
    // One repair turn: the model sees the validation errors and answers again.
    b.step('output_invalid', { errors: check.errors, text });
    await run.commit(b);
    return;
  }
  await run.finish(b, 'failed', null, {
    code: 'OUTPUT_INVALID',
    message: `the final output does not match the role's output schema after one repair turn: ${check.errors.join('; ')}`,
    details: { errors: check.errors, text },
  });
}

/** At most `max` code points of `text` (never half a surrogate pair), with an ellipsis when cut. */
function shortText(text: string, max: number): string {
  const points = Array.from(text);
  return points.length > max ? `${points.slice(0, max).join('')}…` : text;
}
