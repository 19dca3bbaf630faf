// Running a turn's delegations: each `delegate.<specialist>` call is a child run of the specialist, created
// idempotently (its id is derived from the call's key, so a crash between creating the child and
// committing the parent finds the child instead of making a second), driven here concurrently with the
// turn's other delegations, and joined in one commit: each call's result is its child's validated output
// (or a tool error the model reads), and the children's turns and cost are added to this run's budget.
// A child that pauses for a human pauses this run too, without its lease; it goes on when resumed.
// A specialist with a `concurrency` has its child wait, queued, for a place: this driver takes it up
// when fewer than that many of the specialist's runs are in flight, backing off meanwhile.
import { setTimeout as sleep } from 'node:timers/promises';
import { queuedForWorkers } from '../approvals/hand-back.js';
import { sha256 } from '../canonical-json.js';
import { lowerRung } from '../engine/authority-cap.js';
import { type BudgetOverrun, secondsOverrun } from '../engine/budget.js';
import type { EngineContext } from '../engine/context.js';
import type { DrivenRun } from '../engine/driven-run.js';
import { addUsage } from '../engine/ledger.js';
import { overBudget } from '../engine/over-budget.js';
import type { PreparedRole } from '../engine/prepare.js';
import { holdResultIfRuled } from '../engine/result-hold.js';
import { errorResult, jsonSafe } from '../engine/tool-call.js';
import { NightshiftError } from '../errors.js';
import { DELEGATE_PREFIX } from '../roles/specialists.js';
import { type RunRecord, TERMINAL_STATUSES, type ToolCallRecord } from '../store/types.js';
import { isDelegation } from './tools.js';

/** The id of the child run answering `callKey`: the same on every attempt. */
export function childRunId(callKey: string): string {
  return `run_${sha256(`delegation:${callKey}`).slice(0, 26)}`;
}

type PausedRun = RunRecord & { status: 'escalated' | 'awaiting_approval' };

type Settled =
  | { kind: 'ended'; child: RunRecord }
  | { kind: 'waiting'; child: PausedRun }
  | { kind: 'error'; result: unknown }
  /** This run's time budget ran out while its child waited for a place. */
  | { kind: 'overrun'; overrun: BudgetOverrun };

/** Paused for a human and driven by nobody. */
function waitingForHuman(child: RunRecord, now: number): child is PausedRun {
  const leased = child.leaseOwner !== null && (child.leaseUntil ?? 0) > now;
  return (child.status === 'escalated' || child.status === 'awaiting_approval') && !leased;
}

const DEFAULT_FAN_OUT = 4;

/**
 * Runs the open delegations of one turn (`calls`, all of the same turn). Returns 'paused' when a child
 * waits for a human (this run is paused and its lease given back), else 'joined'.
 */
export async function runDelegations(run: DrivenRun, calls: ToolCallRecord[]): Promise<'paused' | 'joined'> {
  const { state, prepared } = run;
  const overrun = secondsOverrun(state.run, prepared.role.budget, run.activeMs(run.ctx.clock.now()));
  if (overrun) {
    await overBudget(run, overrun);
    return 'joined';
  }
  // The fan-out bound counts the turn's delegations in the order the model asked for them, so the same
  // calls are refused on every attempt. A delegation the policy denied (its input refused, say) starts
  // nothing and takes no place; that verdict is fixed when the turn is recorded, so the count is too.
  const maxFanOut = prepared.role.delegation?.maxFanOut ?? DEFAULT_FAN_OUT;
  const turn = state.callsOfTurn(calls[0]!.step).filter((c) => isDelegation(c.tool) && c.decision !== 'deny');
  const allowed = new Set(turn.slice(0, maxFanOut).map((c) => c.key));

  // Claimed together, each with the id its child will have, before any child exists.
  // (The first may have been claimed with the model's turn.)
  const claim = run.batch();
  const announced = new Set(state.steps.flatMap((s) => (s.kind === 'child_started' ? [s.data.key] : [])));
  for (const call of calls) {
    if (call.status === 'pending') run.claim(claim, call);
    const specialist = prepared.specialists.get(specialistName(call));
    if (allowed.has(call.key) && specialist && !announced.has(call.key)) {
      claim.step('child_started', {
        key: call.key,
        childRunId: childRunId(call.key),
        role: specialist.role.name,
        autonomy: lowerRung(specialist.role.autonomy, prepared.role.autonomy),
      });
    }
  }
  if (claim.nextSeq() > state.run.seq + 1) await run.commit(claim);
  if (run.leaseLost) return 'joined';

  const noteQueued = queuedNotes(run);
  const settled = await Promise.all(
    calls.map(async (call): Promise<[ToolCallRecord, Settled]> => {
      run.claimedNotRun.delete(call.key);
      if (!allowed.has(call.key)) {
        const result = {
          error: `refused: this turn asked for ${turn.length} delegations; delegation.maxFanOut is ${maxFanOut}. Ask for the rest in a later turn.`,
          code: 'DELEGATION_LIMIT',
        };
        return [call, { kind: 'error', result }];
      }
      try {
        return [call, await settleChild(run, call, noteQueued)];
      } catch (err) {
        if (run.leaseLost) throw err;
        // A child that could not be started or continued (its input refused, its model missing) is the
        // model's to deal with, as a tool error; the store failing is not.
        if (NightshiftError.isInstance(err) && err.code !== 'STORE_ERROR' && err.code !== 'STORE_CONFLICT')
          return [call, { kind: 'error', result: errorResult(err) }];
        throw err;
      }
    }),
  );
  if (run.leaseLost) return 'joined';
  // The wait for a place used up this run's time: it stops there, as a run out of time does (its
  // `onExceed`); the children stay as they are, and an answer that grants time follows them again.
  const spent = settled.find(([, s]) => s.kind === 'overrun')?.[1];
  if (spent?.kind === 'overrun') {
    await overBudget(run, spent.overrun);
    return 'joined';
  }
  return join(run, settled);
}

/** Commits what the children came to; pauses this run while any of them waits for a human. */
async function join(run: DrivenRun, settled: [ToolCallRecord, Settled][]): Promise<'paused' | 'joined'> {
  const { state } = run;
  const b = run.batch();
  let usage = state.run.usage;
  let turns = state.run.turns;
  let waitingFor: 'escalated' | 'awaiting_approval' | undefined;
  let held = false;
  for (const [call, outcome] of settled) {
    const current = state.calls.get(call.key) ?? call;
    // An overrun never gets here (runDelegations stops the run first).
    if (outcome.kind === 'overrun') continue;
    if (outcome.kind === 'waiting') {
      const { child } = outcome;
      if (waitingFor !== 'escalated') waitingFor = child.status;
      b.step('child_waiting', { key: call.key, childRunId: child.id, status: child.status });
      continue;
    }
    const { result, isError, child, untruncated } =
      outcome.kind === 'error'
        ? { result: outcome.result, isError: true, child: undefined, untruncated: undefined }
        : { ...childResult(specialistName(call), outcome.child), child: outcome.child };
    const finished: ToolCallRecord = {
      ...current,
      status: isError ? 'failed' : 'succeeded',
      result,
      isError,
      finishedAt: b.at,
    };
    b.call(finished);
    b.step('tool_finished', {
      key: call.key,
      tool: call.tool,
      ok: !isError,
      ...(child ? { childRunId: child.id, childTurns: child.turns, childCostUsd: child.usage.costUsd } : {}),
    });
    // A result rule on `delegate.*` judges the child's result as any tool's (docs/escalation-rules.md):
    // in this commit, before the model sees it; each matching call raises its own escalation.
    // The rules judge the whole result, as for a tool's truncated one.
    if (child && holdResultIfRuled(run, b, finished, untruncated)) held = true;
    if (child) {
      // The child's cost and model turns count against this run's budget too.
      usage = addUsage(usage, child.usage);
      turns += child.turns;
    }
  }
  b.set({ usage, turns });
  if (held) waitingFor = 'escalated';
  if (waitingFor) {
    b.set({ status: waitingFor, leaseOwner: null, leaseUntil: null });
    await run.commit(b);
    return 'paused';
  }
  if (state.run.status !== 'running') b.set({ status: 'running' });
  await run.commit(b);
  return 'joined';
}

/**
 * What the parent's model reads: the child's output and id, or why it has none. Capped like any tool's
 * result (256 KiB serialized, then `{ truncated, bytes, head }`): a specialist's output is no exception to
 * what the parent's context and the store hold; `untruncated` is the whole, for the result rules.
 */
function childResult(
  specialist: string,
  child: RunRecord,
): { result: unknown; isError: boolean; untruncated?: unknown } {
  if (child.status === 'succeeded')
    return { ...jsonSafe({ runId: child.id, output: child.output }), isError: false };
  const why = child.error ? `[${child.error.code}] ${child.error.message}` : child.status;
  return {
    result: {
      error: `specialist ${specialist} ${child.status}: ${why}`,
      code: child.error?.code ?? 'DELEGATION_FAILED',
      runId: child.id,
    },
    isError: true,
  };
}

function specialistName(call: ToolCallRecord): string {
  return call.tool.slice(DELEGATE_PREFIX.length);
}

/** The child of `call`: created here if it does not exist yet, driven until it ends or waits for a human. */
async function settleChild(run: DrivenRun, call: ToolCallRecord, noteQueued: QueuedNote): Promise<Settled> {
  const { ctx, prepared, state } = run;
  const name = specialistName(call);
  const specialist = prepared.specialists.get(name);
  if (!specialist) {
    return {
      kind: 'error',
      result: {
        error: `specialist '${name}' is not available to this role any more`,
        code: 'TOOL_NOT_FOUND',
      },
    };
  }
  const runner = ctx.children;
  if (!runner) throw new NightshiftError('INTERNAL', 'this engine context cannot start child runs');
  // A child fails at once on a transient error (the parent's model is told); its parent is what retries.
  // What the parent has left bounds an executor child's session (engine/executor-turn.ts).
  // (and no more than what this run was itself allowed by its own parent).
  const { budget } = prepared.role;
  const above = ctx.parentBudgetLeft;
  const childCtx: EngineContext = {
    ...ctx,
    retryFailures: false,
    parentBudgetLeft: {
      steps: Math.min(budget.maxSteps + state.run.grant.steps - state.run.turns, above?.steps ?? Infinity),
      costUsd: Math.min(
        budget.maxCostUsd + state.run.grant.costUsd - state.run.usage.costUsd,
        above?.costUsd ?? Infinity,
      ),
    },
  };
  const id = childRunId(call.key);
  let child = await ctx.store.getRun(id);
  if (!child) {
    try {
      const { state: started } = await runner.start(childCtx, specialist, call.args, {
        id,
        parentRunId: state.run.id,
        parentCallKey: call.key,
        autonomyCap: prepared.role.autonomy,
        actor: `run:${state.run.id}`,
        queued: queuedForWorkers(state),
      });
      child = started.run;
    } catch (err) {
      // Another driver of this run created it first (a takeover racing a frozen worker): take up theirs.
      child = await ctx.store.getRun(id);
      if (!child) throw err;
    }
  }
  return follow(run, childCtx, specialist, child, (c) => noteQueued(call.key, c, specialist));
}

/** Records, once per call, that its child waits for a place among its specialist's `concurrency`. */
type QueuedNote = (key: string, child: RunRecord, specialist: PreparedRole) => Promise<void>;

/**
 * The `child_queued` steps of one turn's delegations, committed one after another: the children are
 * followed concurrently, and each commit to this run must be built on the one before (its seq).
 */
function queuedNotes(run: DrivenRun): QueuedNote {
  let last: Promise<void> = Promise.resolve();
  return (key, child, specialist) => {
    const note = async () => {
      const noted = run.state.steps.some((s) => s.kind === 'child_queued' && s.data.key === key);
      if (noted || run.leaseLost) return;
      const b = run.batch();
      b.step('child_queued', {
        key,
        childRunId: child.id,
        role: specialist.role.name,
        concurrency: specialist.role.concurrency ?? 0,
      });
      await run.commit(b);
    };
    const next = last.then(note);
    last = next.catch(() => {});
    return next;
  };
}

/** The first wait for a place, doubled after each refusal up to the last: few claims while it is full. */
const PLACE_WAIT_FIRST_MS = 50;
const PLACE_WAIT_MAX_MS = 1000;

/**
 * Follows a child that exists until it ends or waits for a human: continued here when nobody drives it
 * (a crash left it, or it was queued), waited for while another process does.
 */
async function follow(
  run: DrivenRun,
  childCtx: EngineContext,
  specialist: PreparedRole,
  start: RunRecord,
  noteQueued: (child: RunRecord) => Promise<void>,
): Promise<Settled> {
  let child = start;
  let placeWaits = 0;
  for (;;) {
    if (TERMINAL_STATUSES.includes(child.status)) return { kind: 'ended', child };
    if (waitingForHuman(child, childCtx.clock.now())) return { kind: 'waiting', child };
    if (run.leaseLost) throw new NightshiftError('RUN_LEASED', 'this worker stopped driving the parent run');
    let wait = Math.min(500, Math.max(20, childCtx.leaseMs / 10));
    try {
      child = (await childCtx.children!.resume(childCtx, specialist, child.id)).run;
      placeWaits = 0;
      continue;
    } catch (err) {
      if (!NightshiftError.isInstance(err)) throw err;
      if (err.code === 'CONCURRENCY_LIMIT') {
        // The specialist's places are full: say so in this run's log (once), and wait longer each time.
        await noteQueued(child);
        // The wait counts towards this run's maxSeconds: checked here, not only at the join.
        const overrun = secondsOverrun(
          run.state.run,
          run.prepared.role.budget,
          run.activeMs(childCtx.clock.now()),
        );
        if (overrun) return { kind: 'overrun', overrun };
        wait =
          Math.min(PLACE_WAIT_MAX_MS, PLACE_WAIT_FIRST_MS * 2 ** placeWaits++) * (0.75 + Math.random() / 4);
      } else if (err.code !== 'RUN_LEASED') throw err;
    }
    // Driven elsewhere (or by this process, for another caller), or no place yet: wait for it to end or
    // pause, or for a place. A lost lease (or a shutdown) ends the wait at once.
    await sleep(wait, undefined, { signal: run.abort.signal }).catch(() => {});
    const again = await childCtx.store.getRun(child.id);
    if (!again) throw new NightshiftError('RUN_NOT_FOUND', `child run ${child.id} vanished`);
    child = again;
  }
}
