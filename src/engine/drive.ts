// The durable agent loop: model call → policy → tool calls → persist → … → validated output.
//
// Each iteration looks only at the persisted state (RunState mirrors the store) to choose the next piece
// of work, does it, and commits the result before choosing again. So a process killed anywhere continues,
// on resume, from its last commit: a model turn that was not committed is asked again; a tool call that was
// committed as `started` but never finished is re-run only if the tool is idempotent, otherwise the run
// escalates, because the side effect may or may not have happened.
import { hashJson } from '../canonical-json.js';
import type { Clock, IdSource } from '../clock.js';
import { NightshiftError } from '../errors.js';
import { type NewEscalation, raiseEscalation } from '../escalations/raise.js';
import type { ModelResponse } from '../models/types.js';
import { ESCALATE_TOOL } from '../policy/decide.js';
import type { EscalationCategory } from '../roles/conditions.js';
import { DEFAULT_MAX_OUTPUT_TOKENS } from '../roles/schema.js';
import {
  type CommitBatch,
  type EscalationRecord,
  type RunError,
  type Store,
  TERMINAL_STATUSES,
  type ToolCallRecord,
} from '../store/types.js';
import { isIdempotent } from '../tools/types.js';
import { timeLimit, untilAborted } from './abortable.js';
import {
  type BudgetOverrun,
  budgetOverrun,
  dailyCostOverrun,
  describeOverrun,
  secondsLeftMs,
  secondsOverrun,
  utcDayStart,
} from './budget.js';
import { decidedArgs } from './call-args.js';
import { buildMessages } from './conversation.js';
import { type EscalateArgs, normaliseCategory } from './escalate-tool.js';
import { executorTurn, finishSession, type SessionHost, sessionDone } from './executor-turn.js';
import { callRecord, judgeCall } from './judge.js';
import { HeldLease } from './lease.js';
import { checkOutput } from './output.js';
import type { PreparedRole } from './prepare.js';
import { backoffMs, isTransient, retryPolicy } from './run-retry.js';
import type { BatchBuilder, RunState } from './state.js';
import { type CallOutcome, errorResult, parseArgs, runToolCall } from './tool-call.js';
import { failUnexpected } from './unexpected.js';

export interface EngineContext {
  store: Store;
  clock: Clock;
  ids: IdSource;
  /** Lease owner id of this process: `<host>/<pid>/<random>`. */
  owner: string;
  /** How long a lease lasts without renewal. */
  leaseMs: number;
  /**
   * Put a run that failed for a transient reason back in the queue (per the role's retry policy) instead
   * of failing it. Set for runs driven by a worker; a run started in the foreground fails at once.
   */
  retryFailures?: boolean;
  /**
   * Runs this process is driving now. The lease owner is per process, so this is what keeps two drivers
   * in one process (a worker and a human's `approve` continuing the same run) from both driving it.
   */
  driving?: Set<string>;
  /** Host paths tools must not expose for a role (see ToolContext.protectedPaths). */
  protectedPaths?: (role: PreparedRole['role']) => readonly string[];
  /**
   * Called before a run's success is committed (emits the role's `emit` events, idempotently); what it
   * returns is kept in the run's `run_finished` step.
   */
  beforeSuccess?: (
    role: PreparedRole['role'],
    run: RunState['run'],
    output: unknown,
  ) => Promise<Record<string, unknown> | undefined>;
}

export type Work =
  | { kind: 'execute'; call: ToolCallRecord }
  | { kind: 'unknown_outcome'; call: ToolCallRecord }
  | { kind: 'request_approval'; calls: ToolCallRecord[] }
  | { kind: 'pause'; status: 'escalated' | 'awaiting_approval' }
  | { kind: 'model' };

/**
 * Whether a pending call may run now. A turn is decided as a whole: while any of its calls waits for a
 * human (held by an escalation, or drafted), its other side effects wait too — a refund held for a
 * manager must not be preceded by the e-mail announcing it. Read calls run regardless.
 */
export function mayRunNow(
  call: ToolCallRecord,
  turn: readonly ToolCallRecord[],
  prepared: PreparedRole,
): boolean {
  if (prepared.tools.get(call.tool)?.effect === 'read') return true;
  return !turn.some((c) => c.status === 'held' || c.status === 'drafted');
}

/** What the driver is doing, in words, for the message of an unexpected failure. */
function describeWork(work: Work): string {
  switch (work.kind) {
    case 'execute':
      return `running tool call ${work.call.key} (${work.call.tool})`;
    case 'unknown_outcome':
      return `holding tool call ${work.call.key} whose outcome is unknown`;
    case 'request_approval':
      return 'filing drafted calls for approval';
    case 'pause':
      return `pausing the run (${work.status})`;
    case 'model':
      return 'taking a model turn';
  }
}

/** Picks the next piece of work from persisted state. `claimed` holds the calls this process started. */
export function nextWork(state: RunState, prepared: PreparedRole, claimed: Set<string>): Work {
  // A run-level escalation (the time budget ran out between two calls of a turn) holds every call.
  if (state.pendingEscalations().some((e) => e.callKey === null))
    return { kind: 'pause', status: 'escalated' };
  const turn = state.lastModelTurn();
  if (turn) {
    const calls = state.callsOfTurn(turn.seq);
    for (const call of calls) {
      if (call.status === 'pending' && mayRunNow(call, calls, prepared)) return { kind: 'execute', call };
      if (call.status === 'started') {
        const tool = prepared.tools.get(call.tool);
        if (claimed.has(call.key) || (tool !== undefined && isIdempotent(tool, call.args))) {
          return { kind: 'execute', call };
        }
        return { kind: 'unknown_outcome', call };
      }
    }
    const unfiled = calls.filter((c) => c.status === 'drafted' && c.approvalId === null);
    if (unfiled.length > 0) return { kind: 'request_approval', calls: unfiled };
  }
  const blocked = state.blockedStatus();
  if (blocked !== 'running') return { kind: 'pause', status: blocked };
  return { kind: 'model' };
}

/**
 * Drives a run until it finishes or pauses for a human. The caller must hold the run's lease.
 * Returns when the run is terminal, paused, or another worker took it over (STORE_CONFLICT).
 */
export async function driveRun(ctx: EngineContext, prepared: PreparedRole, state: RunState): Promise<void> {
  const driver = new Driver(ctx, prepared, state);
  driver.held.start();
  try {
    await driver.loop();
  } catch (err) {
    // Another worker advanced the run, or took its lease: it is theirs now; stop without touching it.
    if (NightshiftError.isInstance(err) && err.code === 'STORE_CONFLICT') return;
    if (driver.leaseLost) return;
    // Anything else is recorded once (a failed run, or a scheduled retry for an infrastructure error),
    // never left `running` for the next worker to trip over again.
    await failUnexpected(driver, err);
  } finally {
    driver.held.stop();
  }
}

class Driver implements SessionHost {
  leaseLost = false;
  /** What the driver was doing, for the message of an unexpected failure. */
  doing = 'starting';
  /** The run's lease as this driver holds it: checked before every call, renewed while it runs. */
  readonly held: HeldLease;

  loseLease(reason = 'this worker lost the run lease'): void {
    this.leaseLost = true;
    this.abort.abort(new NightshiftError('RUN_LEASED', `this worker stopped driving the run: ${reason}`));
  }
  private readonly claimed = new Set<string>();
  /** Calls this driver claimed (committed as started) and has not started yet. */
  private readonly claimedNotRun = new Set<string>();
  /** Aborted if the lease is lost, so long-running tools can stop early. */
  readonly abort = new AbortController();
  private readonly segmentStart: number;
  private readonly baseActiveMs: number;

  constructor(
    readonly ctx: EngineContext,
    readonly prepared: PreparedRole,
    readonly state: RunState,
  ) {
    this.segmentStart = ctx.clock.now();
    this.baseActiveMs = state.run.activeMs;
    this.held = new HeldLease(
      ctx,
      state.run.id,
      { owner: ctx.owner, epoch: state.run.leaseEpoch },
      state.run.leaseUntil ?? 0,
      (reason) => this.loseLease(reason),
    );
  }

  activeMs(now: number): number {
    return this.baseActiveMs + Math.max(0, now - this.segmentStart);
  }

  batch(): BatchBuilder {
    const now = this.ctx.clock.now();
    return this.state.batch(now).set({ activeMs: this.activeMs(now) });
  }

  /**
   * Everything persisted is scrubbed of secret values, a call's arguments too. Its hash (`argsHash`,
   * computed before this, over the arguments as the model gave them) is what the policy decided and an
   * approval binds; the call runs with the values put back and checked against it (call-args.ts).
   */
  private readonly redactBatch = (batch: CommitBatch): CommitBatch => {
    const redact = this.prepared.redact;
    return redact ? redact(batch) : batch;
  };

  async commit(b: BatchBuilder): Promise<void> {
    // Secret values a tool returned (or the model echoed) are scrubbed before anything is stored; the
    // in-memory state applies the same scrubbed batch, so the model never sees them either. Every batch
    // is fenced by this driver's lease as well as the run's seq.
    let extendedTo: number | null | undefined;
    await this.state.commit(this.ctx.store, b, (batch) => {
      extendedTo = batch.run?.leaseUntil;
      return { ...this.redactBatch(batch), lease: this.held.lease };
    });
    if (typeof extendedTo === 'number') this.held.extended(extendedTo);
  }

  async loop(): Promise<void> {
    for (;;) {
      if (TERMINAL_STATUSES.includes(this.state.run.status)) return;
      if (this.state.run.status === 'queued') return; // scheduled for a retry
      if (this.leaseLost) return;
      const work = nextWork(this.state, this.prepared, this.claimed);
      this.doing = describeWork(work);
      switch (work.kind) {
        case 'execute':
          await this.execute(work.call);
          break;
        case 'unknown_outcome':
          await this.holdUnknownOutcome(work.call);
          break;
        case 'request_approval':
          await this.requestApproval(work.calls);
          break;
        case 'pause':
          await this.pause(work.status);
          return;
        case 'model':
          await this.modelTurn();
          break;
      }
    }
  }

  private async pause(status: 'escalated' | 'awaiting_approval'): Promise<void> {
    const run = this.state.run;
    if (run.status === status && run.leaseOwner === null) return;
    await this.commit(this.batch().set({ status, leaseOwner: null, leaseUntil: null }));
  }

  async finish(b: BatchBuilder, status: 'succeeded' | 'failed', output: unknown, error: RunError | null) {
    const run = this.state.run;
    if (status === 'failed' && error && this.ctx.retryFailures && isTransient(error)) {
      const policy = retryPolicy(this.prepared.role);
      const attempt = run.attempt ?? 1;
      if (attempt < policy.maxAttempts) {
        const notBefore = b.at + backoffMs(policy, attempt);
        b.step('run_retry_scheduled', { attempt, nextAttempt: attempt + 1, notBefore, error });
        b.set({
          status: 'queued',
          attempt: attempt + 1,
          notBefore,
          error,
          leaseOwner: null,
          leaseUntil: null,
        });
        await this.commit(b);
        return;
      }
    }
    if (status === 'succeeded') this.doing = "delivering the role's emit events before recording success";
    const extra =
      status === 'succeeded' && this.ctx.beforeSuccess
        ? // Delivered as it will be stored: the listeners get secret values by name, never the values.
          await this.ctx.beforeSuccess(this.prepared.role, run, this.prepared.redact?.(output) ?? output)
        : undefined;
    b.step('run_finished', { status, output: output ?? null, error, ...extra });
    b.set({ status, output: output ?? null, error, finishedAt: b.at, leaseOwner: null, leaseUntil: null });
    await this.commit(b);
  }

  // ── tool calls ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * Marks the call started in `b` (committed with it): the claim that precedes the side effect. The batch
   * also extends the lease (it is fenced by it), so the claim's commit leaves the call a full lease.
   */
  private claim(b: BatchBuilder, call: ToolCallRecord): void {
    b.call({ ...call, status: 'started', startedAt: b.at });
    // A claim lost to a power cut would let a call that did happen run again: for a call that must not
    // run twice, the commit is synced to disk before the call starts (decision 001).
    const tool = this.prepared.tools.get(call.tool);
    if (tool === undefined || !isIdempotent(tool, call.args)) b.mustSurvivePowerLoss();
    b.step('tool_started', { key: call.key, tool: call.tool });
    b.set({ leaseUntil: b.at + this.ctx.leaseMs });
    this.claimed.add(call.key);
    this.claimedNotRun.add(call.key);
  }

  /** Whether the time budget leaves room to claim another call at `at`. */
  private timeLeft(at: number): boolean {
    return secondsOverrun(this.state.run, this.prepared.role.budget, this.activeMs(at)) === undefined;
  }

  private nextPendingAfter(call: ToolCallRecord): ToolCallRecord | undefined {
    const turn = this.state.callsOfTurn(call.step);
    return turn.find(
      (c) => c.index > call.index && c.status === 'pending' && mayRunNow(c, turn, this.prepared),
    );
  }

  private async execute(call: ToolCallRecord): Promise<void> {
    // The time budget is checked before every call, not only before model turns.
    const overrun = secondsOverrun(
      this.state.run,
      this.prepared.role.budget,
      this.activeMs(this.ctx.clock.now()),
    );
    if (overrun) {
      await this.overBudget(overrun);
      return;
    }
    if (!this.claimed.has(call.key)) {
      // Not claimed by this process: either pending (claim it now, before running) or an idempotent call
      // whose earlier attempt died (re-run under the same idempotency key).
      if (call.status === 'pending') {
        const b = this.batch();
        this.claim(b, call);
        await this.commit(b);
      } else {
        this.claimed.add(call.key);
      }
    }
    const current = this.state.calls.get(call.key)!;
    const tool = this.prepared.tools.get(current.tool);
    const { role } = this.prepared;
    let outcome: CallOutcome;
    if (!tool) {
      // Only reachable if a role changed under a paused run; fail closed.
      outcome = {
        result: { error: `tool '${current.tool}' is not available to this role any more` },
        isError: true,
      };
    } else {
      // The arguments as decided: the stored (redacted) ones with the secret values put back, checked
      // against the decided hash. Anything else is not run.
      const decided = decidedArgs(current, this.prepared.reveal);
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
        if (!(await this.held.ensure())) return;
        this.claimedNotRun.delete(current.key);
        const now = this.ctx.clock.now();
        const ended = this.held.callStarted();
        outcome = await runToolCall(
          tool,
          parsed.args,
          current,
          {
            role,
            runId: this.state.run.id,
            idempotencyKey: current.key,
            fencingToken: this.held.lease.epoch,
            workspace: role.workspace,
            secrets: this.prepared.secrets,
            protectedPaths: this.ctx.protectedPaths?.(role) ?? [],
          },
          {
            lease: this.abort.signal,
            timeLeftMs: secondsLeftMs(this.state.run, role.budget, this.activeMs(now)),
            timeLimitSeconds: role.budget.maxSeconds + this.state.run.grant.seconds,
          },
        ).finally(ended);
      }
    }
    // The run is another worker's now: record nothing (the call stays `started`).
    if (this.leaseLost) return;
    const b = this.batch();
    const { result, isError } = outcome;
    b.call({ ...current, status: isError ? 'failed' : 'succeeded', result, isError, finishedAt: b.at });
    b.step('tool_finished', {
      key: current.key,
      tool: current.tool,
      ok: !isError,
      ...(outcome.stopped ? { stopped: outcome.stopped } : {}),
    });
    const next = this.nextPendingAfter(current);
    if (next && this.timeLeft(b.at)) this.claim(b, next);
    await this.commit(b);
  }

  private async holdUnknownOutcome(call: ToolCallRecord): Promise<void> {
    const b = this.batch();
    const reason = `${call.tool} was started but the process stopped before it finished, so whether it happened is unknown; it is not idempotent, so it will not be run again without a human`;
    const escalation = this.newEscalation(b, {
      category: 'unknown_outcome',
      reason,
      missing: 'whether the call took effect',
      source: 'unknown_outcome',
      callKey: call.key,
      context: { call: { tool: call.tool, args: call.args, key: call.key } },
    });
    b.call({ ...call, status: 'held', escalationId: escalation.id });
    b.set({ status: 'escalated' });
    await this.commit(b);
  }

  private async requestApproval(calls: ToolCallRecord[]): Promise<void> {
    const b = this.batch();
    const id = this.ctx.ids.next('apr');
    const role = this.prepared.role;
    b.approval({
      id,
      runId: this.state.run.id,
      role: role.name,
      roleVersion: this.state.run.roleVersion,
      autonomy: role.autonomy,
      status: 'pending',
      callKeys: calls.map((c) => c.key),
      changeSetHash: changeSetHash(calls),
      calls: calls.map((c) => ({
        key: c.key,
        tool: c.tool,
        args: c.args,
        effect: this.prepared.tools.get(c.tool)?.effect ?? 'external',
        reason: c.reason,
      })),
      requestedAt: b.at,
      decidedAt: null,
      decidedBy: null,
      note: null,
    });
    for (const c of calls) b.call({ ...c, approvalId: id });
    b.step('approval_requested', { approvalId: id, callKeys: calls.map((c) => c.key) });
    if (this.state.run.status !== 'escalated') b.set({ status: 'awaiting_approval' });
    await this.commit(b);
  }

  newEscalation(b: BatchBuilder, e: NewEscalation): EscalationRecord {
    const of = { runId: this.state.run.id, role: this.prepared.role.name };
    return raiseEscalation(b, this.ctx.ids.next('esc'), of, e);
  }

  // ── model turns ─────────────────────────────────────────────────────────────────────────────────────

  private async modelTurn(): Promise<void> {
    const { role, model } = this.prepared;
    // An executor's session, once recorded, is the run's only turn: what is left is to finish it.
    if (model.executor && sessionDone(this.state)) {
      await finishSession(this);
      return;
    }
    const now = this.ctx.clock.now();
    const overrun =
      budgetOverrun(this.state.run, role.budget, this.activeMs(now)) ??
      (role.budget.maxCostUsdPerDay === undefined
        ? undefined
        : dailyCostOverrun(
            role.budget,
            await this.ctx.store.roleCostSince(role.name, utcDayStart(now)),
            this.state.escalations.values(),
          ));
    if (overrun) {
      await this.overBudget(overrun);
      return;
    }

    if (model.executor) {
      await executorTurn(this, model.executor);
      return;
    }
    const started = this.ctx.clock.now();
    const seconds = role.budget.maxSeconds + this.state.run.grant.seconds;
    // Aborted when this worker loses the lease (the turn's answer could not be committed anyway) or when
    // the time budget runs out while the model is still answering (its answer is dropped, not recorded).
    const limit = timeLimit(
      this.abort.signal,
      secondsLeftMs(this.state.run, role.budget, this.activeMs(started)),
      `the run's time budget (budget.maxSeconds with grants: ${seconds} s) ran out while the model was answering`,
    );
    let response: ModelResponse;
    try {
      response = await untilAborted(
        model.turn({
          system: this.prepared.system,
          messages: buildMessages(this.state),
          tools: this.prepared.toolSpecs,
          outputSchema: role.output,
          maxOutputTokens: role.limits.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
          signal: limit.signal,
        }),
        limit.signal,
      );
    } catch (err) {
      // The run is another worker's now: record nothing.
      if (this.leaseLost) return;
      if (limit.timedOut()) {
        // Nothing of the unfinished turn is recorded (its tokens are not counted: the answer never came).
        const activeS = this.activeMs(this.ctx.clock.now()) / 1000;
        await this.overBudget(
          { dimension: 'seconds', limit: seconds, used: Math.max(seconds, activeS) },
          { stopped: 'model_turn' },
        );
        return;
      }
      const e = NightshiftError.isInstance(err)
        ? err
        : new NightshiftError('MODEL_ERROR', String((err as Error)?.message ?? err), { cause: err });
      await this.finish(this.batch(), 'failed', null, {
        code: e.code,
        message: e.message,
        ...(e.details ? { details: e.details } : {}),
        ...(e.retryable === undefined ? {} : { retryable: e.retryable }),
      });
      return;
    } finally {
      limit.dispose();
    }

    const b = this.batch();
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
      worker: this.ctx.owner,
    });
    const usage = this.state.run.usage;
    b.set({
      turns: this.state.run.turns + 1,
      usage: {
        inputTokens: usage.inputTokens + response.usage.inputTokens,
        outputTokens: usage.outputTokens + response.usage.outputTokens,
        cachedInputTokens: usage.cachedInputTokens + response.usage.cachedInputTokens,
        costUsd: usage.costUsd + response.usage.costUsd,
      },
    });

    if (response.calls.length === 0) {
      await this.finalAnswer(b, response.text);
      return;
    }

    const records: ToolCallRecord[] = [];
    for (const [index, request] of response.calls.entries())
      records.push(await this.decideCall(b, turnSeq, index, request));
    if (records.some((r) => r.status === 'held')) b.set({ status: 'escalated' });
    const firstPending = records.find((r) => r.status === 'pending' && mayRunNow(r, records, this.prepared));
    if (firstPending && this.timeLeft(b.at)) this.claim(b, b.callInBatch(firstPending.key)!);
    await this.commit(b);
  }

  /** A budget ran out: the run fails or escalates, as the role's `budget.onExceed` says. */
  private async overBudget(overrun: BudgetOverrun, extra: { stopped?: 'model_turn' } = {}): Promise<void> {
    const { role } = this.prepared;
    const b = this.batch();
    const reason = `${describeOverrun(overrun)}${extra.stopped === 'model_turn' ? '; the model call in flight was stopped and its answer dropped' : ''}`;
    // Calls this driver claimed but never started go back to pending: they did not happen, and must not
    // look like an unknown outcome to whoever continues the run.
    const unclaimed: string[] = [];
    for (const key of this.claimedNotRun) {
      const c = this.state.calls.get(key);
      if (c?.status === 'started') {
        b.call({ ...c, status: 'pending', startedAt: null });
        unclaimed.push(key);
      }
    }
    this.claimedNotRun.clear();
    b.step('budget_exceeded', { ...overrun, ...extra, ...(unclaimed.length ? { unclaimed } : {}) });
    if (role.budget.onExceed === 'fail') {
      await this.finish(b, 'failed', null, {
        code: 'BUDGET_EXCEEDED',
        message: reason,
        details: { ...overrun },
      });
      return;
    }
    this.newEscalation(b, {
      category: 'budget',
      reason,
      missing: 'more budget, or a decision to stop',
      source: 'budget',
      callKey: null,
      context: { ...overrun, usage: this.state.run.usage, turns: this.state.run.turns },
    });
    b.set({ status: 'escalated' });
    await this.commit(b);
  }

  private async decideCall(
    b: BatchBuilder,
    turnSeq: number,
    index: number,
    request: ModelResponse['calls'][number],
  ): Promise<ToolCallRecord> {
    const key = `${this.state.run.id}:${turnSeq}:${index}`;
    const { verdict, parsedArgs } = await judgeCall(this.prepared, request, this.state.run.input);
    b.step('decision', {
      key,
      tool: request.tool,
      decision: verdict.decision,
      reason: verdict.reason,
      ...(verdict.rule ? { rule: verdict.rule } : {}),
    });
    const record = callRecord(this.state.run.id, turnSeq, index, request, verdict);
    switch (verdict.decision) {
      case 'allow':
        break;
      case 'draft':
        record.status = 'drafted';
        break;
      case 'deny':
        record.status = 'denied';
        record.result = { denied: true, reason: verdict.reason };
        record.isError = true;
        record.finishedAt = b.at;
        break;
      case 'escalate': {
        const fromModel = request.tool === ESCALATE_TOOL;
        const args = (parsedArgs ?? {}) as Partial<EscalateArgs>;
        const category: EscalationCategory = fromModel
          ? normaliseCategory(args.category ?? 'other')
          : (verdict.rule?.category ?? 'other');
        const reason = fromModel
          ? `${args.reason ?? ''}${category === 'other' && args.category && args.category !== 'other' ? ` [category: ${args.category}]` : ''}`
          : verdict.reason;
        const escalation = this.newEscalation(b, {
          category,
          reason,
          missing: fromModel ? (args.missing ?? null) : null,
          source: fromModel ? 'model' : 'tool_rule',
          callKey: key,
          context: {
            call: { tool: request.tool, args: request.args, key },
            input: this.state.run.input,
            ...(verdict.rule ? { rule: verdict.rule } : {}),
          },
        });
        record.status = 'held';
        record.escalationId = escalation.id;
        break;
      }
    }
    b.call(record);
    return record;
  }

  private async finalAnswer(b: BatchBuilder, text: string): Promise<void> {
    const check = checkOutput(text, this.prepared.role.output);
    if (check.ok) {
      await this.finish(b, 'succeeded', check.value, null);
      return;
    }
    const repairs = this.state.steps.filter((s) => s.kind === 'output_invalid').length;
    if (repairs === 0) {
      // One repair turn: the model sees the validation errors and answers again.
      b.step('output_invalid', { errors: check.errors, text });
      await this.commit(b);
      return;
    }
    await this.finish(b, 'failed', null, {
      code: 'OUTPUT_INVALID',
      message: `the final output does not match the role's output schema after one repair turn: ${check.errors.join('; ')}`,
      details: { errors: check.errors, text },
    });
  }
}

export function changeSetHash(calls: Pick<ToolCallRecord, 'argsHash'>[]): string {
  return hashJson(calls.map((c) => c.argsHash));
}
