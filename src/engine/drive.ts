// The durable agent loop: model call → policy → tool calls → persist → … → validated output.
//
// Each iteration looks only at the persisted state (RunState mirrors the store) to choose the next piece
// of work (next-work.ts), does it, and commits the result before choosing again. So a process killed
// anywhere continues, on resume, from its last commit: a model turn that was not committed is asked again;
// a tool call that was committed as `started` but never finished is re-run only if the tool is idempotent,
// otherwise the run escalates, because the side effect may or may not have happened.
//
// The Driver keeps the loop and what every piece of work shares (the batch, the commit, the lease, the
// claims, the end of the run); each kind of work is its own module, handed the Driver as a DrivenRun.

import { elapsedOf, ID_PREFIX } from '../clock.js';
import { ancestorRuns } from '../delegation/ancestors.js';
import { runDelegations } from '../delegation/children.js';
import { wakeParent } from '../delegation/wake-parent.js';
import { NightshiftError } from '../errors.js';
import { type NewEscalation, raiseEscalation } from '../escalations/raise.js';
import { type InheritedManager, inheritedManagerOf } from '../managers/inherit.js';
import { routeFor } from '../managers/manager-for.js';
import {
  type CommitBatch,
  type EscalationRecord,
  type RunError,
  TERMINAL_STATUSES,
  type ToolCallRecord,
} from '../store/types.js';
import { isIdempotent } from '../tools/types.js';
import { LeaseStop, SegmentDeadline } from './abortable.js';
import { requestApproval } from './approval-request.js';
import { capAuthority, type Demotion, lowerRung } from './authority-cap.js';
import { secondsOverrun } from './budget.js';
import { cancelChildrenOfEnded } from './cancel.js';
import { demotionFor, demotionWalks } from './chain-demotion.js';
import type { EngineContext } from './context.js';
import type { DrivenRun } from './driven-run.js';
import { executeCall } from './execute-call.js';
import { HeldLease } from './lease.js';
import { takeTurn } from './model-turn.js';
import { describeWork, nextWork } from './next-work.js';
import type { PreparedRole } from './prepare.js';
import { backoffMs, isTransient, retryPolicy } from './run-retry.js';
import type { BatchBuilder, RunState } from './state.js';
import { failUnexpected } from './unexpected.js';
import { holdUnknownOutcome } from './unknown-outcome.js';

/**
 * Drives a run until it finishes or pauses for a human. The caller must hold the run's lease.
 * Returns when the run is terminal, paused, or another worker took it over (STORE_CONFLICT).
 */
export async function driveRun(
  ctx: EngineContext,
  prepared: PreparedRole,
  state: RunState,
  /** A run recorded just now from the version found active then: no demotion to look for yet. */
  fresh = false,
): Promise<void> {
  // A child run acts at no more than its parent's rung: the work only ever sees the capped role.
  // So is the manager a specialist without its own inherits: resolved here, once, from the store, the
  // same way the manager path finds it (managers/inherit.ts), so the route and the manager run agree.
  // Both look up the delegation chain: its runs are read once, and only when either needs them.
  const needsChain = state.run.parentRunId != null && (!prepared.role.manager || demotionWalks(ctx, fresh));
  const ancestors = needsChain ? await ancestorRuns(ctx.store, state.run) : [];
  const inherited = await inheritedManagerOf(ctx.store, prepared.role, ancestors);
  // A role demoted since this run started (its active version has a lower rung), or a role above it in
  // its delegation chain, caps the run too, each time it is driven: a paused run does not get its old
  // authority back when a person answers.
  const demotion = await demotionFor(ctx, prepared, state.run, fresh, ancestors);
  const cap = demotion ? lowerRung(demotion.to, state.run.autonomyCap) : state.run.autonomyCap;
  const driver = new Driver(ctx, capAuthority(prepared, { autonomyCap: cap }), state, inherited, demotion);
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
    driver.stop();
    await driver.releaseAfterShutdown();
  }
}

/** One run being driven by this process; the members DrivenRun documents are what the work uses. */
class Driver implements DrivenRun {
  leaseLost = false;
  doing = 'starting';
  readonly held: HeldLease;
  readonly claimed = new Set<string>();
  readonly claimedNotRun = new Set<string>();
  readonly abort = new LeaseStop();
  readonly deadlines = new SegmentDeadline();
  /** When this drive began, on the monotonic clock: a run's active time is not moved by a clock step. */
  private readonly segmentStart: number;
  private readonly baseActiveMs: number;

  constructor(
    readonly ctx: EngineContext,
    readonly prepared: PreparedRole,
    readonly state: RunState,
    /** The orchestrator's manager, when this run's role names none (managers/inherit.ts). */
    private readonly inherited?: InheritedManager,
    readonly demotion?: Demotion,
  ) {
    this.segmentStart = elapsedOf(ctx.clock);
    this.baseActiveMs = state.run.activeMs;
    this.held = new HeldLease(
      ctx,
      state.run.id,
      { owner: ctx.owner, epoch: state.run.leaseEpoch },
      state.run.leaseUntil ?? 0,
      (reason) => this.loseLease(reason),
    );
    ctx.stopDriving?.addEventListener('abort', this.onStopDriving, { once: true });
    if (ctx.stopDriving?.aborted) this.onStopDriving();
  }

  /** Stopped because the worker shuts down (ctx.stopDriving), holding a lease it had not lost before. */
  private shutDown = false;

  private readonly onStopDriving = () => {
    if (!this.leaseLost) this.shutDown = true;
    this.loseLease('the worker is shutting down');
  };

  /** The run is no longer driven here: its lease renewals and the shutdown listener stop. */
  stop(): void {
    this.held.stop();
    this.deadlines.dispose();
    this.ctx.stopDriving?.removeEventListener('abort', this.onStopDriving);
  }

  /**
   * A run stopped by a clean shutdown goes back on the queue at once (`queued`, no lease), so another
   * worker takes it now rather than when the lease would have run out (up to leaseMs later, or at the
   * next dead-holder sweep on this host). Called once the loop is over, so nothing of this driver is left
   * to commit; fenced by seq and lease like every commit here, so a run that committed meanwhile (finished,
   * paused, taken over) is left as it is. A clean stop is not a crash: the next worker takes it without
   * counting an attempt. Calls claimed here but never started go back to pending (they did not happen);
   * a call that was in flight stays `started`, as after a crash (decision 009): an idempotent one runs
   * again under its key, another escalates. If the write fails (the store is down or closing), the lease
   * expires as before.
   */
  async releaseAfterShutdown(): Promise<void> {
    if (!this.shutDown || this.state.run.status !== 'running') return;
    this.shutDown = false;
    const b = this.batch().set({ status: 'queued', leaseOwner: null, leaseUntil: null });
    for (const key of this.claimedNotRun) {
      const c = this.state.calls.get(key);
      if (c?.status === 'started') b.call({ ...c, status: 'pending', startedAt: null });
    }
    try {
      await this.commit(b);
    } catch {
      // Left to its lease, which expires as it did before this release existed.
    }
  }

  private loseLease(reason: string): void {
    this.leaseLost = true;
    this.abort.abort(new NightshiftError('RUN_LEASED', `this worker stopped driving the run: ${reason}`));
  }

  /**
   * The run's active time at `at` (a wall-clock moment of the runtime's clock, at most now): measured on
   * the monotonic clock, so a wall clock stepped an hour forward is not an hour of budget.maxSeconds
   * spent. `at` only says how long ago the moment asked about was.
   */
  activeMs(at: number): number {
    const ago = Math.max(0, this.ctx.clock.now() - at);
    // Whole milliseconds, as the store keeps them (the monotonic clock has fractions).
    return this.baseActiveMs + Math.max(0, Math.round(elapsedOf(this.ctx.clock) - ago - this.segmentStart));
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
    // Stamped as it is sent: the store's acceptance confirms the lease as of this moment (lease.ts).
    const sent = this.held.stamp();
    await this.state.commit(this.ctx.store, b, (batch) => {
      extendedTo = batch.run?.leaseUntil;
      // The batch is this commit's own (BatchBuilder.build or the redactor made it): the lease is set on
      // it rather than on a copy of it.
      const fenced = this.redactBatch(batch);
      fenced.lease = this.held.lease;
      return fenced;
    });
    if (typeof extendedTo === 'number') this.held.extended(extendedTo, sent);
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
          await executeCall(this, work.call);
          break;
        case 'unknown_outcome':
          await holdUnknownOutcome(this, work.call);
          break;
        case 'request_approval':
          await requestApproval(this, work.calls);
          break;
        case 'delegate':
          // Paused: a child run waits for a human; the run goes on when it is resumed.
          if ((await runDelegations(this, work.calls)) === 'paused') return;
          break;
        case 'pause':
          await this.pause(work.status);
          return;
        case 'model':
          await takeTurn(this);
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
    // An orchestrator that ended (failed for good, or succeeded past a child it could not take up again)
    // leaves no child of its waiting for it (a place, a person): nobody would read the child's result.
    if (this.prepared.specialists.size > 0)
      await cancelChildrenOfEnded(this.ctx.store, this.ctx.clock, this.state.run);
    // A child run's parent that paused waiting for it goes back on the queue to join it.
    if (this.state.run.parentRunId) await wakeParent(this.ctx.store, this.ctx.clock, this.state.run);
  }

  /**
   * Marks the call started in `b` (committed with it): the claim that precedes the side effect. The batch
   * also extends the lease (it is fenced by it), so the claim's commit leaves the call a full lease.
   */
  claim(b: BatchBuilder, call: ToolCallRecord): void {
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

  timeLeft(at: number): boolean {
    return secondsOverrun(this.state.run, this.prepared.role.budget, this.activeMs(at)) === undefined;
  }

  newEscalation(b: BatchBuilder, e: NewEscalation): EscalationRecord {
    const of = { runId: this.state.run.id, role: this.prepared.role.name };
    const route = routeFor(this.prepared.role, this.state.run, this.inherited);
    // To people at once when the role has no manager: they are told in the same commit as the pause.
    return raiseEscalation(b, this.ctx.ids.next(ID_PREFIX.escalation), of, e, route, {
      escalate: this.prepared.role.escalate,
      people: this.ctx.people,
    });
  }
}
