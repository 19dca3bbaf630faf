// Running one tool call of the ledger: claimed (committed as `started`) before the side effect, run with
// the arguments exactly as decided, and recorded as finished together with the claim of the next call.
import { NightshiftError } from '../errors.js';
import type { ToolCallRecord } from '../store/types.js';
import { secondsLeftMs, secondsOverrun } from './budget.js';
import { decidedArgs } from './call-args.js';
import { deniedByDemotion } from './demotion.js';
import type { DrivenRun } from './driven-run.js';
import { mayRunNow } from './next-work.js';
import { overBudget } from './over-budget.js';
import { holdResultIfRuled } from './result-hold.js';
import { type CallOutcome, errorResult, parseArgs, runToolCall } from './tool-call.js';

/** The next call of `call`'s turn that may run now, if any. */
function nextPendingAfter(run: DrivenRun, call: ToolCallRecord): ToolCallRecord | undefined {
  const turn = run.state.callsOfTurn(call.step);
  return turn.find((c) => c.index > call.index && c.status === 'pending' && mayRunNow(c, turn, run.prepared));
}

/** Whether `call` was claimed by an earlier driver of the run that never finished it. */
function leftStarted(run: DrivenRun, call: ToolCallRecord): boolean {
  return call.status === 'started' && !run.claimed.has(call.key);
}

export async function executeCall(run: DrivenRun, call: ToolCallRecord): Promise<void> {
  const { state, prepared } = run;
  // The time budget is checked before every call, not only before model turns.
  const overrun = secondsOverrun(state.run, prepared.role.budget, run.activeMs(run.ctx.clock.now()));
  if (overrun) {
    await overBudget(run, overrun);
    return;
  }
  // Not run yet, decided before the role was demoted: judged at the rung the run acts at now. So is an
  // idempotent call an earlier driver left `started` (it crashed, or lost its lease): running it again is
  // a new side effect at today's rung, not the finish of one the old rung allowed.
  if (
    run.demotion &&
    (call.status === 'pending' || run.claimedNotRun.has(call.key) || leftStarted(run, call))
  ) {
    const verdict = await deniedByDemotion(run, call);
    if (verdict !== undefined) {
      // A call an earlier driver left `started` may have had its effect before that driver died: the
      // ledger says so rather than claim it never happened.
      // A call this driver claimed (its `tool_started` step, committed with the previous call's finish)
      // and never ran: the log says so, or the `tool_started` left before this deny reads as a call that
      // may have taken effect.
      const denied = leftStarted(run, call)
        ? `${verdict}; an earlier attempt was under way when its driver stopped and may have taken effect: not run again`
        : run.claimedNotRun.has(call.key)
          ? `${verdict}; it was claimed (tool_started) when the call before it finished, and never ran`
          : verdict;
      const b = run.batch();
      run.claimed.delete(call.key);
      run.claimedNotRun.delete(call.key);
      b.step('decision', { key: call.key, tool: call.tool, decision: 'deny', reason: denied });
      b.call({
        ...call,
        decision: 'deny',
        reason: denied,
        status: 'denied',
        result: { denied: true, reason: denied },
        isError: true,
        finishedAt: b.at,
      });
      const next = nextPendingAfter(run, call);
      if (next && run.timeLeft(b.at)) run.claim(b, next);
      await run.commit(b);
      return;
    }
  }
  if (!run.claimed.has(call.key)) {
    // Not claimed by this process: either pending (claim it now, before running) or an idempotent call
    // whose earlier attempt died (re-run under the same idempotency key).
    if (call.status === 'pending') {
      const b = run.batch();
      run.claim(b, call);
      await run.commit(b);
    } else {
      run.claimed.add(call.key);
    }
  }
  const current = state.calls.get(call.key)!;
  const tool = prepared.tools.get(current.tool);
  const { role } = prepared;
  let outcome: CallOutcome;
  /** Whether the tool ran (its result is then checked against the result rules). */
  let ran = false;
  if (!tool) {
    // Only reachable if a role changed under a paused run; fail closed.
    outcome = {
      result: { error: `tool '${current.tool}' is not available to this role any more` },
      isError: true,
    };
  } else {
    // The arguments as decided: the stored (redacted) ones with the secret values put back, checked
    // against the decided hash. Anything else is not run.
    const decided = decidedArgs(current, prepared.reveal);
    const parsed: ReturnType<typeof parseArgs> = decided.ok
      ? parseArgs(tool, { ...current, args: decided.args })
      : {
          result: errorResult(new NightshiftError('APPROVAL_MISMATCH', `${decided.reason}; not run`)),
          isError: true,
        };
    if (!('args' in parsed)) outcome = parsed;
    else {
      // The lease is re-checked by this process's clock right before the call, renewing it if it runs
      // short; nothing is awaited between this check and the call's start. A worker that was frozen
      // since it claimed the call stops here: the call stays `started`, and whoever holds the run now
      // decides about it.
      if (!(await run.held.ensure())) return;
      run.claimedNotRun.delete(current.key);
      const now = run.ctx.clock.now();
      const ended = run.held.callStarted();
      ran = true;
      outcome = await runToolCall(
        tool,
        parsed.args,
        current,
        {
          role,
          runId: state.run.id,
          idempotencyKey: current.key,
          fencingToken: run.held.lease.epoch,
          workspace: role.workspace,
          secrets: prepared.secrets,
          protectedPaths: run.ctx.protectedPaths?.(role) ?? [],
        },
        {
          lease: run.abort,
          timeLeftMs: secondsLeftMs(state.run, role.budget, run.activeMs(now)),
          timeLimitSeconds: role.budget.maxSeconds + state.run.grant.seconds,
          deadlines: run.deadlines,
        },
      ).finally(ended);
    }
  }
  // The run is another worker's now: record nothing (the call stays `started`).
  if (run.leaseLost) return;
  const b = run.batch();
  const { result, isError } = outcome;
  const finished: ToolCallRecord = {
    ...current,
    status: isError ? 'failed' : 'succeeded',
    result,
    isError,
    finishedAt: b.at,
  };
  b.call(finished);
  b.step('tool_finished', {
    key: current.key,
    tool: current.tool,
    ok: !isError,
    ...(outcome.stopped ? { stopped: outcome.stopped } : {}),
  });
  if (ran && holdResultIfRuled(run, b, finished, outcome.untruncated)) {
    await run.commit(b);
    return;
  }
  const next = nextPendingAfter(run, current);
  if (next && run.timeLeft(b.at)) run.claim(b, next);
  await run.commit(b);
}
