// Starting and resuming runs. A run is recorded (with its input and role version) before any model call,
// so an accepted run is never lost; input escalation rules are checked here, before the model sees anything.

import { canonicalJson } from '../canonical-json.js';
import { ID_PREFIX } from '../clock.js';
import { NightshiftError } from '../errors.js';
import { raiseEscalation } from '../escalations/raise.js';
import { inheritedManager } from '../managers/inherit.js';
import { managerRunId, routeFor, subjectOfManagerRun } from '../managers/manager-for.js';
import { idForMessage } from '../message-text.js';
import { agentSpec } from '../models/resolve.js';
import { inputEscalations } from '../policy/decide.js';
import type { Role } from '../roles/schema.js';
import type { CommitBatch, RoleVersionRecord, RunRecord, RunSnapshot } from '../store/types.js';
import { TERMINAL_STATUSES } from '../store/types.js';
import type { Redactor } from '../tools/secrets.js';
import { lowerRung } from './authority-cap.js';
import { cancelChildrenOfEnded, endedForGood } from './cancel.js';
import type { ChildRunner, ChildStart, EngineContext } from './context.js';
import { driveRun } from './drive.js';
import { acquireLease, holderIsDeadHere } from './lease.js';
import { validateJson } from './output.js';
import { handBackUnplaced } from './place.js';
import type { PreparedRole } from './prepare.js';
import { retryPolicy } from './run-retry.js';
import { BatchBuilder, RunState } from './state.js';
import { failClaimedRun } from './unexpected.js';

export interface StartOptions {
  /** Makes a repeated start (a redelivered event) return the existing run instead of a second one. */
  idempotencyKey?: string | undefined;
  /** Who asked for the run, for the audit log. */
  actor?: string | undefined;
  /** Record the run as `queued` for a worker to pick up, instead of driving it here. */
  queue?: boolean | undefined;
  /** What started it (manual, event, webhook, cron), kept with the first step. */
  trigger?: Record<string, unknown> | undefined;
  /** The input was checked against the role's input schema already (a continuous agent's event payload). */
  inputChecked?: boolean | undefined;
  /** The run's id, when the caller derives it (a manager run's, from its escalation's); else a new one. */
  runId?: string | undefined;
  /**
   * Scrubs the role's secret values from the input before it is stored (and so before the model sees
   * it). The input's escalation rules are checked before, on the input as given.
   */
  redact?: Redactor | undefined;
  /** A delegation's child run: its id and its link to the parent's call (delegation/children.ts). */
  child?: ChildStart | undefined;
  /** Told the run's id once it is recorded, before it is driven (a caller that answers before it ends). */
  onRecorded?: ((runId: string) => void) | undefined;
  /**
   * How a retried start continues an abandoned run: with the role version and model the run was recorded
   * with (runtime.ts, as `resume` does), not the ones this start prepared, which may have changed since.
   * Without it the retry resumes only when they are the same, and otherwise reports the run as it stands.
   */
  resumeAbandoned?: ((runId: string) => Promise<RunState>) | undefined;
}

// Per store, each role version's write: done, or in flight. Runs started while the first write of a version
// is in flight wait for that write instead of sending their own (a burst of events into a fresh worker
// started ~64 identical writes per worker before the first answer; bench/README.md, 2026-12-02 perfpg).
const registeredVersions = new WeakMap<object, Map<string, Promise<void>>>();

/** The role as stored with each version: enough to run it again without its file. */
export function roleRecordSpec(role: Role): Record<string, unknown> {
  const { inlineTools: _inline, ...rest } = role;
  return rest as unknown as Record<string, unknown>;
}

/** The role a stored version describes (without inline tools: those live only in the defining process). */
export function roleFromRecord(record: RoleVersionRecord): Role {
  return { ...(record.spec as unknown as Omit<Role, 'inlineTools'>), inlineTools: [] };
}

async function registerRoleVersion(ctx: EngineContext, role: Role): Promise<void> {
  const seen = registeredVersions.get(ctx.store) ?? new Map<string, Promise<void>>();
  registeredVersions.set(ctx.store, seen);
  const key = `${role.name}@${role.version}`;
  let written = seen.get(key);
  if (!written) {
    written = ctx.store.putRoleVersion({
      name: role.name,
      version: role.version,
      spec: roleRecordSpec(role),
      createdAt: ctx.clock.now(),
    });
    seen.set(key, written);
    // A failed write is forgotten (every run waiting on it fails with its error): the next run writes again.
    const mine = written;
    written.catch(() => {
      if (seen.get(key) === mine) seen.delete(key);
    });
  }
  await written;
}

/** Throws INPUT_INVALID when the input does not match the role's input schema. */
export function checkRunInput(role: Role, input: unknown): void {
  if (!role.input) return;
  // Checked as the store will keep it (JSON): a Date is its ISO string, NaN is null, an undefined key is absent.
  const check = validateJson(JSON.parse(JSON.stringify(input ?? null)), role.input);
  if (!check.ok) {
    throw new NightshiftError(
      'INPUT_INVALID',
      `input for role ${role.name} does not match its input schema: ${check.errors.join('; ')}`,
      { details: { errors: check.errors } },
    );
  }
}

export async function startRun(
  ctx: EngineContext,
  prepared: PreparedRole,
  input: unknown,
  options: StartOptions = {},
): Promise<RunState> {
  const { state, created } = await recordRun(ctx, prepared.role, agentSpec(prepared.agent), input, {
    ...options,
    redact: options.redact ?? prepared.redact,
  });
  options.onRecorded?.(state.run.id);
  // The caller resolved the role's active version a moment ago (runtime.ts): its first drive needs no
  // second read of it (a demotion in between is caught the next time the run is driven).
  if (created && state.run.status === 'running') await driveRun(withChildren(ctx), prepared, state, true);
  else if (
    !created &&
    !options.queue &&
    abandoned(state.run, ctx.clock.now()) &&
    (options.resumeAbandoned !== undefined || sameRole(state.run, prepared))
  ) {
    // A retried foreground start (`nightshift run --idempotency-key K` again after the first was killed):
    // the run's driver is gone, so the retry continues it from its last committed step, as `resume` would,
    // under the ledger rules (a finished call is not repeated; a non-idempotent one in flight escalates).
    try {
      if (options.resumeAbandoned) return await options.resumeAbandoned(state.run.id);
      return await resumeRun(withChildren(ctx), prepared, state.run.id);
    } catch (err) {
      // Another retry took it first: report it as it stands, as for a live driver.
      if (!NightshiftError.isInstance(err) || err.code !== 'RUN_LEASED') throw err;
      const snapshot = await ctx.store.loadRun(state.run.id);
      return snapshot ? new RunState(snapshot) : state;
    }
  }
  return state;
}

/** Whether `prepared` is the role version and model `run` was recorded with (what drives it may not change). */
function sameRole(run: RunRecord, prepared: PreparedRole): boolean {
  return run.roleVersion === prepared.role.version && run.model === agentSpec(prepared.agent);
}

/**
 * Whether a `running` run has no live driver: its lease holder is a dead process on this host, or its
 * lease ran out (a driver elsewhere that stopped renewing). A live driver's run is left to it.
 */
function abandoned(run: RunRecord, now: number): boolean {
  if (run.status !== 'running') return false;
  if (!run.leaseOwner) return true;
  return holderIsDeadHere(run.leaseOwner) || (run.leaseUntil ?? 0) <= now;
}

/**
 * Child runs are started and continued the way any run is: recorded, then driven here. A specialist with a
 * `concurrency` has its child recorded `queued`, with no lease, and taken up within that limit by `resume`
 * (its parent's driver waits while the places are full): driving it at once would put one more of its
 * runs in flight whatever the limit says. The queue leaves it to the parent's driver (claim-pick.ts).
 */
const childRunner: ChildRunner = {
  async start(ctx, prepared, input, child) {
    const limited = prepared.role.concurrency !== undefined;
    const { state, created } = await recordRun(ctx, prepared.role, agentSpec(prepared.agent), input, {
      ...(limited ? { queue: true } : {}),
      child,
      actor: child.actor,
      redact: prepared.redact,
      trigger: { kind: 'delegation', parentRunId: child.parentRunId, callKey: child.parentCallKey },
    });
    if (created && state.run.status === 'running') await driveRun(withChildren(ctx), prepared, state);
    return { state, created };
  },
  resume: (ctx, prepared, runId) => resumeRun(ctx, prepared, runId, { limit: prepared.role.concurrency }),
};

/** `ctx` with the child runner the delegation work needs (drive.ts cannot import this module). */
function withChildren(ctx: EngineContext): EngineContext {
  return ctx.children ? ctx : { ...ctx, children: childRunner };
}

/** A run ready to be recorded: the row, its first records, and its input as stored (redacted). */
export interface NewRun {
  run: RunRecord;
  init: Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'>;
  stored: unknown;
}

/**
 * Records a new run (or finds the one its idempotency key names) without preparing the role: all that
 * queuing a run needs, so a process can queue runs of a role it does not serve (no model client, tools or
 * MCP servers of its own).
 */
export async function recordRun(
  ctx: EngineContext,
  role: Role,
  modelSpec: string,
  input: unknown,
  options: StartOptions = {},
): Promise<{ state: RunState; created: boolean }> {
  const { run, init, stored } = await newRun(ctx, role, modelSpec, input, options);
  const { run: recorded, created } = await ctx.store.createRun(run, init);
  if (!created) {
    refuseReusedKey(recorded, role.name, stored);
    const snapshot = await ctx.store.loadRun(recorded.id);
    if (!snapshot) throw new NightshiftError('RUN_NOT_FOUND', `run ${recorded.id} vanished while being read`);
    return { state: new RunState(snapshot), created: false };
  }
  const state = RunState.created({
    run,
    steps: [...init.steps],
    toolCalls: [],
    approvals: [],
    escalations: (init.escalations ?? []).map((e) => e.record),
  });
  return { state, created: true };
}

/**
 * The run `recordRun` records, built but not written (an event records the runs of all its roles in one
 * write: runtime/events.ts). Checks the input and the key, and stores the role's version.
 */
export async function newRun(
  ctx: EngineContext,
  role: Role,
  modelSpec: string,
  input: unknown,
  options: StartOptions = {},
): Promise<NewRun> {
  if (!options.inputChecked) checkRunInput(role, input);
  // `manager:<escalation or approval id>` names the one manager run of a matter: nobody else may take the key.
  const managing = subjectOfManagerRun({ idempotencyKey: options.idempotencyKey ?? null });
  if (managing !== undefined && options.runId !== managerRunId(managing)) {
    throw new NightshiftError(
      'USAGE',
      `idempotency key '${options.idempotencyKey}' is reserved: keys starting with 'manager:' name manager runs`,
    );
  }
  await registerRoleVersion(ctx, role);
  const now = ctx.clock.now();
  const id = options.child?.id ?? options.runId ?? ctx.ids.next(ID_PREFIX.run);
  const matched = inputEscalations(role.escalation, input);
  // From here on only the redacted input exists: in the run, its first step and its escalations.
  const stored = (options.redact ? options.redact(input) : input) ?? null;
  const run: RunRecord = {
    id,
    role: role.name,
    roleVersion: role.version,
    model: modelSpec,
    status: matched.length > 0 ? 'escalated' : options.queue ? 'queued' : 'running',
    input: stored,
    output: null,
    error: null,
    seq: 0,
    turns: 0,
    usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0 },
    activeMs: 0,
    grant: { steps: 0, costUsd: 0, seconds: 0 },
    idempotencyKey: options.idempotencyKey ?? null,
    leaseOwner: matched.length > 0 || options.queue ? null : ctx.owner,
    leaseUntil: matched.length > 0 || options.queue ? null : now + ctx.leaseMs,
    // A run driven here at once is leased from its creation: that is its first acquisition.
    leaseEpoch: matched.length > 0 || options.queue ? 0 : 1,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    attempt: 1,
    notBefore: null,
    ...(options.child
      ? {
          parentRunId: options.child.parentRunId,
          parentCallKey: options.child.parentCallKey,
          autonomyCap: options.child.autonomyCap,
        }
      : {}),
  };
  const b = new BatchBuilder(id, 0, now);
  b.step('run_started', {
    input: stored,
    model: modelSpec,
    // A child run's rung is its parent's when that is lower (authority-cap.ts).
    autonomy: lowerRung(role.autonomy, options.child?.autonomyCap),
    roleVersion: role.version,
    trigger: options.trigger ?? { kind: 'manual' },
    // Who drives it: decisions on a run queued for workers hand it back to them (approvals/hand-back.ts).
    // A child follows its parent (without this a `delegation` trigger would count as queued), also when
    // it is recorded queued only to wait for a place among its specialist's `concurrency`.
    ...(options.child ? { queued: options.child.queued } : options.queue ? { queued: true } : {}),
  });
  // A child run's input rules route as its later escalations will: to the manager it inherits, if any.
  const inherited = matched.length > 0 ? await inheritedManager(ctx.store, role, run) : undefined;
  const route = routeFor(role, { id, idempotencyKey: run.idempotencyKey }, inherited);
  for (const { index, rule } of matched) {
    raiseEscalation(
      b,
      ctx.ids.next(ID_PREFIX.escalation),
      { runId: id, role: role.name },
      {
        category: rule.category,
        reason: `escalation rule ${index} (${rule.category}) matched the input${rule.reason ? `: ${rule.reason}` : ''}`,
        missing: null,
        source: 'input_rule',
        callKey: null,
        context: { input: stored, rule: { index, category: rule.category } },
      },
      route,
      // Told in the run's first commit, with the pause (the outbox, src/notifications/).
      { escalate: role.escalate, people: ctx.people },
    );
  }
  const first = b.build();
  const { steps } = first;
  const escalations = first.escalations ?? [];
  const notifications = first.notifications ?? [];
  const tiers = first.tiers ?? [];
  run.seq = steps.length;
  const init = {
    steps,
    escalations,
    ...(notifications.length > 0 ? { notifications } : {}),
    ...(tiers.length > 0 ? { tiers } : {}),
    audit: [
      {
        at: now,
        actor: options.actor ?? 'system',
        action: 'run.created',
        runId: id,
        target: role.name,
        data: {},
      },
      ...(first.audit ?? []),
    ],
    at: now,
  };
  return { run, init, stored };
}

/** Whether a run found under a key is the start asked for again (its role, its input as stored). */
export function isSameStart(existing: RunRecord, role: string, input: unknown): boolean {
  const sameInput =
    (existing.idempotencyKey ?? '').startsWith('inbox:') ||
    canonicalJson(existing.input) === canonicalJson(JSON.parse(JSON.stringify(input)));
  return existing.role === role && sameInput;
}

/**
 * A key names one start: the same key again is a redelivery and gets the first run, but only when it
 * asks for the same thing. Another role or another input under a key already used would otherwise be
 * answered with a run that is not what was asked for, and the new input dropped without a word; it is
 * refused instead, and no run is recorded. A continuous agent's run (`inbox:<item>`) is recorded by the
 * runtime itself, with the agent's context at that moment in its input, so only its role is compared.
 */
function refuseReusedKey(existing: RunRecord, role: string, input: unknown): void {
  if (isSameStart(existing, role, input)) return;
  const key = existing.idempotencyKey ?? '';
  const what = existing.role !== role ? `a run of role ${existing.role}` : 'a run with another input';
  throw new NightshiftError(
    'IDEMPOTENCY_KEY_REUSED',
    `idempotency key '${key}' already started ${what} (${existing.id}); no run was recorded: use a new key for a new request`,
    { details: { runId: existing.id, role: existing.role, status: existing.status } },
  );
}

/**
 * The run's lease within `limit`; at the limit, a run this process held without driving it (a decision
 * here leased it in its commit) goes back on the queue before `CONCURRENCY_LIMIT` is thrown (place.ts).
 */
async function leaseWithin(ctx: EngineContext, runId: string, limit: number | undefined): Promise<number> {
  try {
    return await acquireLease(ctx, runId, limit);
  } catch (err) {
    if (NightshiftError.isInstance(err) && err.code === 'CONCURRENCY_LIMIT')
      await handBackUnplaced(ctx, runId);
    throw err;
  }
}

/**
 * Continues a run from its last persisted step: after a crash, or after a human approved, rejected or
 * answered. A paused run with nothing to do stays paused; a finished run is returned as it is.
 */
export async function resumeRun(
  ctx: EngineContext,
  prepared: PreparedRole,
  runId: string,
  /**
   * `claimed`: the run as the queue handed it out (leased to us, with its snapshot). `limit`: take the
   * lease only while fewer than this many other runs of the role are in flight (a specialist's
   * `concurrency`), else `CONCURRENCY_LIMIT`.
   */
  options: { claimed?: RunSnapshot; limit?: number | undefined } = {},
): Promise<RunState> {
  if (!options.claimed) {
    // Only the run row first (one query); the full snapshot is read once, after the lease is ours.
    const run = await ctx.store.getRun(runId);
    if (!run) throw new NightshiftError('RUN_NOT_FOUND', `no run ${idForMessage(runId)}`);
    if (TERMINAL_STATUSES.includes(run.status)) return new RunState((await ctx.store.loadRun(runId))!);
    // A child whose parent ended for good (a crash came between the parent's end and the cancel of its
    // children) is cancelled, not driven, by a hand resume or a decision as by a worker's claim
    // (runtime/work.ts, decision 049): nobody will read its result.
    if (run.parentRunId) {
      const parent = await ctx.store.getRun(run.parentRunId);
      if (parent && endedForGood(parent)) {
        await cancelChildrenOfEnded(ctx.store, ctx.clock, parent);
        return new RunState((await ctx.store.loadRun(runId))!);
      }
    }
  }
  if (ctx.driving?.has(runId)) {
    throw new NightshiftError('RUN_LEASED', `run ${runId} is being executed by this process already`);
  }
  ctx.driving?.add(runId);
  try {
    // A run handed out by the queue (claimNextRun) is leased to us already.
    const epoch = options.claimed
      ? options.claimed.run.leaseEpoch
      : await leaseWithin(ctx, runId, options.limit);
    // Reload after taking the lease (the previous holder may have committed in between); a claimed run's
    // snapshot was read with the claim itself.
    const fresh = options.claimed ?? (await ctx.store.loadRun(runId));
    if (!fresh) throw new NightshiftError('RUN_NOT_FOUND', `no run ${idForMessage(runId)}`);
    let state: RunState;
    try {
      state = new RunState(fresh);
    } catch (err) {
      // A log this version cannot read (StepDataInvalidError): the run is failed once, saying why, and the
      // lease goes with it, as a worker does with such a run; not left leased to this process.
      if (options.claimed) throw err;
      const leased = { ...fresh.run, leaseOwner: ctx.owner, leaseEpoch: epoch };
      await failClaimedRun(ctx.store, ctx.clock, leased, err, retryPolicy(prepared.role));
      throw err;
    }
    if (TERMINAL_STATUSES.includes(state.run.status)) return state;
    if (state.run.leaseOwner !== ctx.owner || state.run.leaseEpoch !== epoch)
      state.run = { ...state.run, leaseOwner: ctx.owner, leaseEpoch: epoch };
    // Recorded when picking up a run that had got somewhere (a crash, a takeover, a retry); a fresh run
    // from the queue starts without an extra commit (the claim already made it `running`).
    const freshStart = options.claimed && state.run.status === 'running' && state.steps.length === 1;
    if ((state.run.status === 'running' || state.run.status === 'queued') && !freshStart) {
      const b = state.batch(ctx.clock.now()).set({ status: 'running' });
      b.step('run_resumed', { owner: ctx.owner, epoch });
      await state.commit(ctx.store, b, (batch) => ({ ...batch, lease: { owner: ctx.owner, epoch } }));
    }
    await driveRun(withChildren(ctx), prepared, state);
    return state;
  } finally {
    ctx.driving?.delete(runId);
  }
}
