// An executor's turn: the whole session of an agent CLI, gated call by call by the policy, then recorded
// as the run's one `model_turn`, with what the session proposed but did not do entered in the ledger.

import type {
  Executor,
  GateVerdict,
  SessionEvent,
  SessionOutcome,
  ThreadRequest,
  ToolRequest,
} from '../executors/types.js';
import type { EscalationRecord } from '../store/types.js';
import { MAX_TIMER_MS } from './abortable.js';
import type { DrivenRun } from './driven-run.js';
import { judgeCall } from './judge.js';
import { addUsage, applyVerdict, callRecord } from './ledger.js';
import { checkOutput } from './output.js';
import type { PreparedRole } from './prepare.js';
import type { RunState } from './state.js';

/** Whether the run's session has ended and been recorded (its `model_turn` step exists). */
export function sessionDone(state: RunState): boolean {
  return state.lastModelTurn()?.data.executor !== undefined;
}

/**
 * The rule executors add to the policy: a command the CLI would run itself, unconfined (Claude Code's
 * Bash, Codex with danger-full-access), runs outside any sandbox, which shell.exec allows only at `full`
 * with `scope.unsandboxedExec: true`. A command the CLI runs inside its own sandbox (Codex's read-only or
 * workspace-write) keeps the policy's verdict.
 */
function executorVerdict(prepared: PreparedRole, request: ToolRequest, verdict: GateVerdict): GateVerdict {
  const tool = prepared.tools.get(request.tool);
  if (verdict.decision !== 'allow' || request.deferred || request.sandboxed || tool?.effect !== 'exec')
    return verdict;
  const { role } = prepared;
  if (role.autonomy === 'full' && role.scope.unsandboxedExec) return verdict;
  return {
    decision: 'deny',
    reason: `${request.executorTool} would run the command itself, outside nightshift's sandbox; that is allowed only at autonomy full with scope.unsandboxedExec: true`,
  };
}

interface Judged {
  request: ToolRequest;
  verdict: GateVerdict & { rule?: { index: number; category: EscalationRecord['category'] } };
}

/** The final output, validated. Executors get no repair turn: the session has already ended. */
export async function finishSession(host: DrivenRun): Promise<void> {
  const turn = host.state.lastModelTurn();
  const text = String(turn?.data.text ?? '');
  const check = checkOutput(text, host.prepared.role.output);
  if (check.ok) {
    await host.finish(host.batch(), 'succeeded', check.value, null);
    return;
  }
  await host.finish(host.batch(), 'failed', null, {
    code: 'OUTPUT_INVALID',
    message: `the session's final answer does not match the role's output schema: ${check.errors.join('; ')}`,
    details: { errors: check.errors, text },
  });
}

function remainingMs(host: DrivenRun): number {
  const { budget } = host.prepared.role;
  const limit = (budget.maxSeconds + host.state.run.grant.seconds) * 1000;
  return Math.max(1000, limit - host.activeMs(host.ctx.clock.now()));
}

/**
 * A continuous agent's event (a run its supervisor made from the inbox) continues the agent's thread:
 * the one stored with its context (AgentRecord.thread), read here, when the session starts, so a worker
 * that took the agent over continues it too. Any other run starts afresh.
 */
async function agentThread(host: DrivenRun, executor: Executor): Promise<ThreadRequest | undefined> {
  const { role } = host.prepared;
  const { run } = host.state;
  if (role.mode !== 'continuous' || !run.idempotencyKey?.startsWith('inbox:')) return undefined;
  const stored = (await host.ctx.store.getAgent(role.name))?.thread;
  const resume =
    stored?.executor === executor.name && typeof stored.id === 'string' && stored.id ? stored.id : null;
  return { owner: role.name, resume };
}

/**
 * The session's turn and cost limits: what is left of the run's budget, and for a specialist's child run
 * no more than its parent had left (a session is one long turn; the parent sees its cost only at the join).
 */
function sessionLimits(host: DrivenRun): { maxTurns: number; maxCostUsd: number } {
  const { budget } = host.prepared.role;
  const { run } = host.state;
  const parent = host.ctx.parentBudgetLeft;
  const turns = budget.maxSteps + run.grant.steps - run.turns;
  const cost = budget.maxCostUsd + run.grant.costUsd - run.usage.costUsd;
  return {
    maxTurns: Math.max(1, Math.min(turns, parent?.steps ?? turns)),
    maxCostUsd: Math.max(0.0001, Math.min(cost, parent?.costUsd ?? cost)),
  };
}

export async function executorTurn(host: DrivenRun, executor: Executor): Promise<void> {
  const { prepared, state } = host;
  const { role } = prepared;
  const attempt = state.steps.filter((s) => s.kind === 'executor_started').length + 1;
  const thread = await agentThread(host, executor);
  {
    const b = host.batch();
    b.step('executor_started', {
      executor: executor.name,
      spec: executor.spec,
      attempt,
      ...(attempt > 1
        ? {
            note: thread?.resume
              ? `the previous session was cut off; this one resumes thread ${thread.resume} again`
              : 'the previous session was cut off; this one starts from the beginning',
          }
        : {}),
      ...(thread ? { thread: { resume: thread.resume } } : {}),
    });
    await host.commit(b);
  }

  // Commits happen one at a time, in the order the session produced them.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work);
    chain = next.catch(() => {});
    return next;
  };
  const judged: Judged[] = [];
  const gate = (request: ToolRequest): Promise<GateVerdict> =>
    serial(async () => {
      const { verdict: policy } = await judgeCall(prepared, request, state.run.input, request.copy);
      const verdict = { ...policy, ...executorVerdict(prepared, request, policy) };
      const b = host.batch();
      b.step('decision', {
        key: null,
        callId: request.id,
        executor: executor.name,
        executorTool: request.executorTool,
        tool: request.tool,
        decision: verdict.decision,
        reason: verdict.reason,
        ...(verdict.rule ? { rule: verdict.rule } : {}),
      });
      await host.commit(b);
      // Done (or drafted) on the CLI's copy of the workspace: only the copy's diff is filed, afterwards.
      const onCopyOnly = request.copy !== undefined && ['allow', 'draft'].includes(verdict.decision);
      if (!onCopyOnly) judged.push({ request, verdict });
      return { decision: verdict.decision, reason: verdict.reason };
    });
  const emit = (event: SessionEvent): Promise<void> =>
    serial(async () => {
      const b = host.batch();
      b.step('executor_event', { executor: executor.name, ...event });
      await host.commit(b);
    });

  const started = host.ctx.clock.now();
  const allowedMs = remainingMs(host);
  // A ref'd timer (unlike AbortSignal.timeout): the time limit holds even if nothing else keeps the
  // process alive.
  const timeout = new AbortController();
  // In steps of at most MAX_TIMER_MS: Node runs a longer delay after 1 ms.
  const until = performance.now() + allowedMs;
  let timer: ReturnType<typeof setTimeout>;
  const wait = () => {
    const left = until - performance.now();
    timer = setTimeout(
      left > MAX_TIMER_MS ? wait : () => timeout.abort(),
      Math.min(Math.max(0, left), MAX_TIMER_MS),
    );
  };
  wait();
  const signal = AbortSignal.any([host.abort.signal, timeout.signal]);
  const outcome = await executor
    .run({
      prompt: `Input:\n${JSON.stringify(state.run.input ?? null, null, 2)}`,
      system: prepared.system,
      workspace: role.workspace!,
      autonomy: role.autonomy,
      roleTools: role.tools,
      codexSandbox: role.executor?.codexSandbox ?? 'workspace-write',
      protectedPaths: [
        ...(host.ctx.protectedPaths?.(role) ?? []),
        ...(role.secretsFile ? [role.secretsFile] : []),
      ],
      ...sessionLimits(host),
      signal,
      thread,
      gate,
      emit,
    })
    .finally(() => clearTimeout(timer));
  await chain;
  if (host.abort.signal.aborted) return; // the lease is gone: the run is another worker's now
  if (timeout.signal.aborted) {
    outcome.error = {
      code: 'BUDGET_EXCEEDED',
      message: `the ${executor.name} session was stopped after ${Math.round(allowedMs / 1000)} s, the time left of the role's budget.maxSeconds`,
    };
  }
  await recordSession(host, executor, outcome, judged, started);
}

async function recordSession(
  host: DrivenRun,
  executor: Executor,
  outcome: SessionOutcome,
  judged: Judged[],
  started: number,
): Promise<void> {
  const { state, prepared } = host;
  const b = host.batch();
  const turnSeq = b.nextSeq();
  const failed = outcome.error !== undefined;
  b.step('model_turn', {
    executor: executor.name,
    text: outcome.text,
    calls: judged.map((j) => ({ id: j.request.id, tool: j.request.tool, args: j.request.args })),
    usage: outcome.usage,
    model: executor.spec,
    provider: executor.name,
    modelId: outcome.modelId,
    stopReason: failed ? 'other' : 'end',
    sessionTurns: outcome.turns,
    latencyMs: b.at - started,
    ...(outcome.thread ? { thread: outcome.thread } : {}),
  });
  b.set({
    turns: state.run.turns + Math.max(1, outcome.turns),
    usage: addUsage(state.run.usage, outcome.usage),
  });

  const check = failed ? undefined : checkOutput(outcome.text, prepared.role.output);
  // Nothing of a failed session (or one whose answer is unusable) is offered for approval.
  const fileNothing = failed || !check?.ok;
  let waiting = 0;
  for (const [index, { request, verdict }] of judged.entries()) {
    const record = callRecord(state.run.id, turnSeq, index, request, verdict);
    const runsLater = verdict.decision === 'draft' || verdict.decision === 'escalate' || request.deferred;
    if (verdict.decision !== 'deny' && runsLater && fileNothing) {
      Object.assign(record, {
        status: 'rejected',
        result: { notRun: true, reason: 'the session failed, so nothing it proposed is applied' },
        isError: true,
        finishedAt: b.at,
      });
    } else if (verdict.decision !== 'allow' || request.deferred) {
      // Denied, drafted, held, or allowed but not done by the session (Codex on a copy): as the verdict
      // says. All but a denied call wait: drafts for approval, held calls for an answer, the rest to run.
      const escalation =
        verdict.decision === 'escalate'
          ? host.newEscalation(b, {
              category: verdict.rule?.category ?? 'other',
              reason: verdict.reason,
              missing: null,
              source: 'tool_rule',
              callKey: record.key,
              context: {
                call: { tool: request.tool, args: request.args, key: record.key },
                input: state.run.input,
                executor: executor.name,
                ...(verdict.rule ? { rule: verdict.rule } : {}),
              },
            })
          : undefined;
      applyVerdict(record, verdict, b.at, escalation);
      if (verdict.decision !== 'deny') waiting++;
    } else if (outcome.notDone?.includes(request.id)) {
      Object.assign(record, {
        status: 'rejected',
        result: {
          notRun: true,
          reason: `${executor.name} did not apply it: another part of the same change was refused`,
        },
        isError: true,
        finishedAt: b.at,
      });
    } else {
      // Allowed and done by the CLI itself, inside the session; its result is among the session's events.
      Object.assign(record, { status: 'succeeded', result: { ranBy: executor.name }, startedAt: b.at });
      record.finishedAt = b.at;
    }
    b.call(record);
  }

  if (outcome.error) {
    await host.finish(b, 'failed', null, {
      code: outcome.error.code ?? 'EXECUTOR_FAILED',
      message: outcome.error.message,
      ...(outcome.error.details ? { details: outcome.error.details } : {}),
    });
    return;
  }
  if (!check?.ok) {
    const errors = check?.ok === false ? check.errors : [];
    await host.finish(b, 'failed', null, {
      code: 'OUTPUT_INVALID',
      message: `the session's final answer does not match the role's output schema: ${errors.join('; ')}`,
      details: { errors, text: outcome.text },
    });
    return;
  }
  if (waiting === 0) {
    await host.finish(b, 'succeeded', check.value, null);
    return;
  }
  if (judged.some((j) => j.verdict.decision === 'escalate')) b.set({ status: 'escalated' });
  // The loop goes on from the ledger: drafts become a change set, allowed deferred calls run.
  await host.commit(b);
}
