// createRuntime: the public entry point, and the composition root. It opens the store and wires the
// runtime's parts, one job each: the roles it knows and prepares (runtime/roles.ts), where events go
// (runtime/events.ts) and the worker (runtime/work.ts). The CLI and the server use this API, as library
// users do. The public types are in runtime/types.ts.
import { SIGNED_BY_NIGHTSHIFT } from './approvals/actor.js';
import { approve, reject } from './approvals/decide-approval.js';
import type { AfterDecision } from './approvals/paused-run.js';
import { type Clock, createIdSource, systemClock } from './clock.js';
import { chainsOf } from './delegation/chain.js';
import { continueParents } from './delegation/parents.js';
import { summarizeRun } from './delegation/waiting-children.js';
import { type Autonomy, RUN_STATUSES, type RunStatus } from './domain.js';
import { cancelRun, endedForGood } from './engine/cancel.js';
import type { EngineContext } from './engine/context.js';
import { holderIsDeadHere, newLeaseOwner } from './engine/lease.js';
import { handBackUnplaced, placeLimit } from './engine/place.js';
import { resumeRun, roleFromRecord, startRun } from './engine/start.js';
import { RunState } from './engine/state.js';
import type { RunSummary } from './engine/summary.js';
import { NightshiftError } from './errors.js';
import { answerEscalation } from './escalations/answer.js';
import { isManagerRunKey } from './managers/manager-for.js';
import { createManagerPath } from './managers/path.js';
import { idForMessage } from './message-text.js';
import { sendDueNotifications } from './notifications/sender.js';
import { sweepTiers } from './notifications/tier-sweep.js';
import { loadRoleFile } from './roles/load.js';
import type { Role } from './roles/schema.js';
import { guardClosedRuntime, guardClosedStore } from './runtime/closed.js';
import { registerDoorDeliver } from './runtime/door-deliver.js';
import { createEventRouting } from './runtime/events.js';
import { checkIdempotencyKey } from './runtime/idempotency-key.js';
import { openStore } from './runtime/open-store.js';
import { checkRoleArgument } from './runtime/role-argument.js';
import { createKnownRoles } from './runtime/roles.js';
import type { DecisionDrive, Runtime, RuntimeOptions, WorkHandle } from './runtime/types.js';
import { startWork } from './runtime/work.js';
import { sharedFreshRead } from './store/shared-read.js';
import { StoreClock } from './store/store-clock.js';
import type { RunFilter } from './store/types.js';
import { tapCommits } from './telemetry/commit-tap.js';
import { traceObserverFromEnv } from './telemetry/traces/from-env.js';
import { loadSecrets, revealerFor } from './tools/secrets.js';
import { activeRoleFor } from './versions/active.js';

export type {
  AgentStatusView,
  DecisionDrive,
  DeliverOptions,
  Delivery,
  EmitOptions,
  Inbox,
  NotifyOptions,
  NotifyPass,
  RunOptions,
  Runtime,
  RuntimeOptions,
  WorkHandle,
  WorkOptions,
} from './runtime/types.js';

/**
 * @example
 * const runtime = await createRuntime({ dataDir: '.nightshift' });
 * const result = await runtime.run('roles/refund-desk.yaml', { ticket: 'T-1' });
 * if (result.status === 'awaiting_approval') await runtime.approve(result.pending[0], { by: 'alice' });
 */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const env = options.env ?? process.env;
  const opened = await openStore(options);
  // A store given in the options is the caller's, possibly shared with other runtimes: only one this
  // runtime opened is closed by it (a second runtime's close must not pull the store from under the first).
  const ownsStore = options.store === undefined;
  // Spans for each committed step when the OTEL_EXPORTER_OTLP_* variables say where to send them.
  const traces = await traceObserverFromEnv(env);
  const observers = [...(options.observers ?? []), ...(traces ? [traces] : [])];
  const store = tapCommits(opened.store, observers, options.onObserverError);
  const dataDir = opened.dataDir;
  let clock: Clock;
  try {
    await store.init();
    // Over a shared database, lease ends and timestamps are written on the database's clock, so one
    // host's stepped wall clock cannot make the others read its leases as expired (store-clock.ts).
    clock = options.clock ?? (store.clockNow ? await StoreClock.open(() => store.clockNow!()) : systemClock);
  } catch (err) {
    // Nothing was opened for the caller: let the pool (or the SQLite file) go, so a caller that tries
    // again (serve waiting for its database, store-start.ts) does not leak one per attempt.
    if (ownsStore) await opened.store.close().catch(() => {});
    throw err;
  }
  const ctx: EngineContext = {
    store,
    clock,
    ids: options.ids ?? createIdSource(clock),
    owner: newLeaseOwner(),
    leaseMs: options.leaseMs ?? 30_000,
    driving: new Set(),
    people: options.people,
  };
  const roles = createKnownRoles({
    store,
    env,
    models: options.models,
    dataDir,
    protectedPaths: options.protectedPaths,
    onRoleSecrets: options.onRoleSecrets,
  });
  // New runs get the role's active version, if one was promoted (src/versions/active.ts). Reads asked for
  // in the same turn of the event loop (a burst of events) share one statement sent after they all asked
  // (src/store/shared-read.ts): each still sees every promotion committed before it asked.
  const source = options.roleSource ?? 'active';
  const current =
    source === 'file'
      ? async (role: Role) => role
      : sharedFreshRead((role: Role) => activeRoleFor(store, role, source));
  // A run is capped at its role's active rung when that is lower (a demotion reaches paused runs).
  // Reads of one role at once are shared (as the active version's are above); a stored version never
  // changes, so its rung is parsed once per process, not once per drive.
  if (source !== 'file') {
    const rungs = new Map<string, Autonomy>();
    ctx.activeRung = sharedFreshRead(async (role: string) => {
      const active = await store.activePromotion(role);
      if (!active) return undefined;
      const key = `${role}@${active.version}`;
      let autonomy = rungs.get(key);
      if (!autonomy) {
        const stored = await store.getRoleVersion(role, active.version);
        if (!stored) return undefined;
        autonomy = roleFromRecord(stored).autonomy;
        rungs.set(key, autonomy);
      }
      return { autonomy, version: active.version };
    });
  }
  const events = createEventRouting(ctx, roles, current);
  const managers = createManagerPath(ctx, roles, options.loadRole ?? ((file) => loadRoleFile(file)));
  ctx.protectedPaths = (role) => roles.protectedPaths(role);
  ctx.beforeSuccess = (role, run, output) => events.emitOutput(role, run, output);

  /**
   * The approved run's role's secret values, to check the drafted calls' arguments against their hashes
   * (their stored form is redacted). Undefined when they cannot be read here: the run's worker checks
   * them again before each call runs.
   */
  async function revealerForApproval(approvalId: string) {
    const approval = await store.getApproval(approvalId);
    if (!approval) return undefined;
    try {
      const { role } = await roles.ofRun(approval.runId);
      return revealerFor(loadSecrets(role, env));
    } catch {
      return undefined;
    }
  }

  /**
   * A decision's `role` option, checked before the decision is recorded: a role object, the version the
   * decided run was recorded with (as resume checks it). Nothing to check when none is given or the
   * approval or escalation is unknown (the decision says so itself).
   */
  async function checkDecisionRole(method: string, role: Role | undefined, runId: string | undefined) {
    if (role === undefined) return;
    checkRoleArgument(method, role, { paths: false });
    if (runId !== undefined) await roles.ofRun(runId, role);
  }

  /** The workers started in this process (`work`), woken when a decision here queues a run. */
  const workers = new Set<WorkHandle>();

  async function summary(state: RunState): Promise<RunSummary> {
    // A paused orchestrator waits on its specialists' items: they are listed with it, by run id.
    return summarizeRun(store, {
      run: state.run,
      approvals: [...state.approvals.values()],
      escalations: [...state.escalations.values()],
    });
  }

  /**
   * Resumes one run here, a manager run with its decision tools. A specialist's child run keeps its role's
   * `concurrency` (engine/place.ts): at the limit, CONCURRENCY_LIMIT, and it stays queued for the workers.
   */
  async function drive(runId: string): Promise<void> {
    const { role, run } = await roles.ofRun(runId);
    const base = await roles.prepare(role, run.model === role.model ? undefined : run.model);
    await resumeRun(ctx, await managers.prepareRun(base, run), runId, { limit: placeLimit(role, run) });
  }

  /**
   * Drives what the run's escalations set going in this process (its manager runs, then the run again
   * once a manager decided), so `run`, `answer`, `approve` and `resume` return where it all stopped.
   */
  async function settled(runId: string, known?: RunState): Promise<RunSummary> {
    // A run that ended set nothing going: no reads for it. One waiting on a change set may have: its
    // role's manager may approve drafts (decision 029).
    const going: RunStatus[] = ['escalated', 'queued', 'awaiting_approval'];
    // Still `running` here means the driver stopped without ending it: another process cancelled it or
    // took it over meanwhile (its commit was refused). What the store says is the answer, not the state
    // this process last had (a cancelled run was reported `running`, exit 3).
    if (known?.run.status === 'running') {
      const stored = await store.loadRun(runId);
      if (stored && stored.run.status !== 'running') return settled(runId, new RunState(stored));
      return summary(stored ? new RunState(stored) : known);
    }
    if (known && !going.includes(known.run.status)) return summary(known);
    try {
      await managers.settle(runId, drive);
    } catch (err) {
      // A worker (nightshift serve) drives one of them: it goes on there. Or a specialist's run is at its
      // role's concurrency: it waits, queued, for the workers or its orchestrator's driver.
      const elsewhere = NightshiftError.isInstance(err) && err.code === 'RUN_LEASED';
      const noPlace = NightshiftError.isInstance(err) && err.code === 'CONCURRENCY_LIMIT';
      if (!elsewhere && !noPlace) throw err;
      if (noPlace) for (const w of workers) w.wake();
    }
    const snapshot = await store.loadRun(runId);
    if (!snapshot) throw new NightshiftError('RUN_NOT_FOUND', `no run ${idForMessage(runId)}`);
    return summary(new RunState(snapshot));
  }

  /**
   * After a human decision: drive the run on if nothing else blocks it. A run the decision handed back to
   * the workers' queue is theirs: wake this process's workers, if any (others are woken by the store).
   */
  async function continueRun(state: RunState, role: Role | undefined): Promise<RunSummary> {
    if (state.run.status === 'queued') {
      for (const w of workers) w.wake();
      return summary(state);
    }
    if (state.run.status !== 'running') return settled(state.run.id, state);
    try {
      return await runtime.resume(state.run.id, { role });
    } catch (err) {
      // A worker (nightshift serve) picked it up first: the decision stands and the run goes on there.
      if (NightshiftError.isInstance(err) && err.code === 'RUN_LEASED') return summary(state);
      // It cannot go on here (its role's inline tools were not given, a model client failed to start): the
      // decision stands, and the lease its commit gave this process goes back with the run to the queue,
      // for a worker that has the role or a later resume({ role }). Left leased, nobody could take it until
      // the lease ran out, not even this process's own resume (RUN_LEASED).
      for (const w of workers) w.wake();
      await handBackUnplaced(ctx, state.run.id).catch(() => {});
      throw err;
    }
  }

  /** A decision's wishes for the run after it: who drives it on, and the lease if it is this process. */
  function after(o: DecisionDrive): AfterDecision {
    return { drive: o.drive, holder: { owner: ctx.owner, until: clock.now() + ctx.leaseMs } };
  }

  /** A manager run still deciding a change set a person decided has nothing left to decide: closed. */
  async function closingDraftManager(state: RunState, approvalId: string): Promise<RunState> {
    const decided = state.approvals.get(approvalId);
    if (decided) await managers.closeDraftManagerRun(decided);
    return state;
  }

  /**
   * Continues a parent whose child has ended; undefined when another process drives it (it sees the child).
   * A parent that is itself a specialist's child run keeps its role's `concurrency` (engine/place.ts): at
   * the limit it is left queued, for serve's workers or its own orchestrator's driver, and `placeWait`
   * says so (the chain stops there).
   */
  async function resumeParent(
    parentRunId: string,
    placeWait: { role?: string; concurrency?: number },
  ): Promise<RunState | undefined> {
    const { role, run } = await roles.ofRun(parentRunId);
    const ready = await roles.prepare(role, run.model === role.model ? undefined : run.model);
    const limit = placeLimit(role, run);
    try {
      return await resumeRun(ctx, ready, parentRunId, { limit });
    } catch (err) {
      if (NightshiftError.isInstance(err) && err.code === 'RUN_LEASED') return undefined;
      if (!(limit !== undefined && NightshiftError.isInstance(err) && err.code === 'CONCURRENCY_LIMIT'))
        throw err;
      for (const w of workers) w.wake();
      const snapshot = await store.loadRun(parentRunId);
      if (!snapshot) throw new NightshiftError('RUN_NOT_FOUND', `no run ${idForMessage(parentRunId)}`);
      placeWait.role = role.name;
      placeWait.concurrency = limit;
      return new RunState(snapshot);
    }
  }

  let closed = false;
  /** Each worker of this runtime, with what close() aborts it by. */
  const stopping = new Map<WorkHandle, AbortController>();
  const runtime: Runtime = {
    store: guardClosedStore(store, () => closed),
    async run(roleOrFile, input, runOptions = {}) {
      checkIdempotencyKey(runOptions.idempotencyKey, 'the idempotency key');
      checkRoleArgument('run', roleOrFile, { paths: true });
      const given = typeof roleOrFile === 'string' ? await loadRoleFile(roleOrFile) : roleOrFile;
      const role = await current(given);
      roles.remember(role);
      const ready = await roles.prepare(role, runOptions.model);
      const state = await startRun(ctx, ready, input, {
        idempotencyKey: runOptions.idempotencyKey,
        actor: runOptions.actor,
        onRecorded: runOptions.onStarted,
        // A retry of a start whose process died continues the run as `resume` would: with the role
        // version and model it was recorded with, whatever the role file says now.
        resumeAbandoned: async (runId) => {
          const { role: recorded, run } = await roles.ofRun(runId);
          const base = await roles.prepare(recorded, run.model === recorded.model ? undefined : run.model);
          return resumeRun(ctx, await managers.prepareRun(base, run), runId);
        },
      });
      return settled(state.run.id, state);
    },
    async enqueue(roleOrFile, input, runOptions = {}) {
      checkIdempotencyKey(runOptions.idempotencyKey, 'the idempotency key');
      // As `run` takes it: a role file's path or a role object (a path used to reach prepare() as an
      // object without a model, a TypeError nobody could act on).
      checkRoleArgument('enqueue', roleOrFile, { paths: true });
      const given = typeof roleOrFile === 'string' ? await loadRoleFile(roleOrFile) : roleOrFile;
      const role = await current(given);
      roles.remember(role);
      const ready = await roles.prepare(role, runOptions.model);
      const state = await startRun(ctx, ready, input, {
        idempotencyKey: runOptions.idempotencyKey,
        actor: runOptions.actor,
        trigger: runOptions.trigger,
        queue: true,
      });
      return summary(state);
    },
    async resume(runId, resumeOptions = {}) {
      if (resumeOptions.role !== undefined) checkRoleArgument('resume', resumeOptions.role, { paths: false });
      const { role, run } = await roles.ofRun(runId, resumeOptions.role);
      const base = await roles.prepare(role, run.model === role.model ? undefined : run.model);
      // A specialist's child keeps its role's `concurrency` here too (engine/place.ts): at the limit it is
      // left queued (put back, if a decision here leased it) for the workers or its parent's driver.
      const limit = placeLimit(role, run);
      let state: RunState;
      try {
        state = await resumeRun(ctx, await managers.prepareRun(base, run), runId, { limit });
      } catch (err) {
        if (!(limit !== undefined && NightshiftError.isInstance(err) && err.code === 'CONCURRENCY_LIMIT'))
          throw err;
        for (const w of workers) w.wake();
        const snapshot = await store.loadRun(runId);
        if (!snapshot) throw new NightshiftError('RUN_NOT_FOUND', `no run ${idForMessage(runId)}`);
        return {
          ...(await summary(new RunState(snapshot))),
          waitsForPlace: { role: role.name, concurrency: limit },
        };
      }
      // A manager run resumed by hand goes on to the run it decided for: always settled.
      if (isManagerRunKey(run.idempotencyKey)) return settled(runId);
      // A child cancelled here, not driven, as its parent had ended for good (engine/start.ts, decision
      // 049): that cancel is the outcome; the parent's end came without it.
      if (state.run.status === 'cancelled' && run.status !== 'cancelled' && run.parentRunId) {
        const parent = await store.getRun(run.parentRunId);
        if (parent && endedForGood(parent)) return summary(state);
      }
      // A child run that ended continues its parent (and so on up): what a decision on a specialist's
      // draft or escalation leads to is the orchestrator's outcome, reported here.
      const placeWait: { role?: string; concurrency?: number } = {};
      const top = await continueParents(state, (id) => resumeParent(id, placeWait));
      const outcome = await settled(top.run.id, top);
      if (placeWait.role === undefined || placeWait.concurrency === undefined) return outcome;
      return { ...outcome, waitsForPlace: { role: placeWait.role, concurrency: placeWait.concurrency } };
    },
    async approve(approvalId, given) {
      const o = decisionOptions('approve', given);
      await checkDecisionRole('approve', o.role, (await store.getApproval(approvalId))?.runId);
      const reveal = await revealerForApproval(approvalId);
      const state = await approve(store, clock, {
        approvalId,
        by: o.by,
        [SIGNED_BY_NIGHTSHIFT]: o[SIGNED_BY_NIGHTSHIFT],
        note: o.note,
        reveal,
        people: ctx.people,
        after: after(o),
      });
      return continueRun(await closingDraftManager(state, approvalId), o.role);
    },
    async reject(approvalId, given) {
      const o = decisionOptions('reject', given);
      await checkDecisionRole('reject', o.role, (await store.getApproval(approvalId))?.runId);
      const state = await reject(store, clock, {
        approvalId,
        by: o.by,
        [SIGNED_BY_NIGHTSHIFT]: o[SIGNED_BY_NIGHTSHIFT],
        note: o.reason,
        people: ctx.people,
        after: after(o),
      });
      return continueRun(await closingDraftManager(state, approvalId), o.role);
    },
    async answer(escalationId, text, given) {
      const o = decisionOptions('answer', given);
      const escalation = await store.getEscalation(escalationId);
      await checkDecisionRole('answer', o.role, escalation?.runId);
      const budget = escalation
        ? (await roles.ofRun(escalation.runId).catch(() => undefined))?.role.budget
        : undefined;
      const state = await answerEscalation(store, clock, {
        escalationId,
        answer: text,
        by: o.by,
        [SIGNED_BY_NIGHTSHIFT]: o[SIGNED_BY_NIGHTSHIFT],
        allowCall: o.allowCall,
        withholdResult: o.withholdResult,
        budget,
        people: ctx.people,
        after: after(o),
      });
      // A manager run still deciding it has nothing left to decide.
      const answered = state.escalations.get(escalationId);
      if (answered) await managers.closeManagerRun(answered);
      return continueRun(state, o.role);
    },
    async cancel(runId, given) {
      const o = decisionOptions('cancel', given);
      return summary(await cancelRun(store, clock, { runId, by: o.by, reason: o.reason }));
    },
    work(o) {
      // close() stops this worker too (its own signal still works), before the store goes away under it.
      const stop = new AbortController();
      const signal = o?.signal instanceof AbortSignal ? AbortSignal.any([o.signal, stop.signal]) : o?.signal;
      const stopDriving = o?.stopDriving ? AbortSignal.any([o.stopDriving, stop.signal]) : stop.signal;
      const handle = startWork(ctx, roles, events, managers, { ...o, signal, stopDriving });
      stopping.set(handle, stop);
      handle.done.finally(() => stopping.delete(handle));
      // Decisions made through this runtime wake it when they hand a run back to the queue.
      workers.add(handle);
      handle.done.finally(() => workers.delete(handle));
      return handle;
    },
    emit: (event, payload, emitOptions) => events.emit(event, payload, emitOptions),
    // A caller's key is held to the same rule as run/enqueue/emit's (serve's doors compose theirs:
    // runtime/door-deliver.ts).
    deliver: async (role, payload, d) => {
      // Plain JavaScript callers get no compile error for a missing options object or a trigger without
      // its kind: say so instead of a TypeError, or a run recorded with actor `trigger:undefined`.
      const trigger = (d as { trigger?: unknown } | null | undefined)?.trigger;
      if (
        trigger === null ||
        typeof trigger !== 'object' ||
        Array.isArray(trigger) ||
        typeof (trigger as { kind?: unknown }).kind !== 'string' ||
        (trigger as { kind: string }).kind === ''
      )
        throw new NightshiftError(
          'USAGE',
          `runtime.deliver(): options.trigger must be an object with a non-empty string kind (what delivered it, e.g. { kind: 'event', event: 'refund.requested' }), got ${describeTrigger(d, trigger)}; nothing was recorded`,
        );
      checkIdempotencyKey(d.idempotencyKey, 'the idempotency key');
      checkRoleArgument('deliver', role, { paths: false });
      return events.deliver(role, payload, d);
    },
    async agents() {
      const now = clock.now();
      const agents = await store.listAgents();
      return Promise.all(
        agents.map(async (a) => ({
          role: a.role,
          status: a.status,
          owner: a.owner,
          heartbeatAt: a.heartbeatAt,
          leaseUntil: a.leaseUntil,
          // A holder that is a process of this host gone (killed with `kill -9`) holds nothing, whatever
          // its lease says: the next worker to look takes the agent over at once.
          live: a.owner !== null && (a.leaseUntil ?? 0) >= now && !holderIsDeadHere(a.owner),
          restarts: a.restarts,
          takeovers: a.takeovers,
          failures: a.failures,
          inbox: await store.inboxDepth(a.role),
          runId: a.runId,
          lastError: a.lastError ? { code: a.lastError.code, message: a.lastError.message } : null,
          escalationId: a.escalationId,
          context: a.context,
          thread: a.thread ?? null,
        })),
      );
    },
    async inbox() {
      const [approvals, escalations] = await Promise.all([
        store.listApprovals({ status: 'pending' }),
        store.listEscalations({ status: 'pending' }),
      ]);
      const chains = await chainsOf(
        store,
        [...approvals, ...escalations].map((x) => x.runId),
      );
      return { approvals, escalations, chains };
    },
    get: (runId) => store.loadRun(runId),
    list: async (filter) => store.listRuns(checkRunFilter(filter)),
    async notify(o) {
      const tiersPassed = await sweepTiers({
        store,
        clock,
        people: ctx.people,
        pathOfRun: async (runId) => (await roles.ofRun(runId).catch(() => undefined))?.role.escalate,
      });
      const sent = await sendDueNotifications({ store, clock, owner: ctx.owner, ...o });
      return { tiersPassed, ...sent };
    },
    async close() {
      // Closing twice is harmless (a `finally` that closes again must not throw).
      if (closed) return;
      closed = true;
      // Workers stop taking work, and the runs they drive stop where they are and go back on the queue
      // (as with `stopDriving`): their commits would fail on the closed store anyway. A tool that ignores
      // its abort signal does not hold close() up for more than CLOSE_WAIT_MS.
      for (const stop of stopping.values()) stop.abort();
      const waited = Promise.allSettled([...stopping.keys()].map((w) => w.done));
      await Promise.race([waited, new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref())]);
      await roles.dispose();
      if (ownsStore) await store.close();
      // The spans of the last commits are sent before the process may exit.
      await traces?.shutdown();
    },
  };
  const guarded = guardClosedRuntime(runtime, () => closed);
  registerDoorDeliver(guarded, (role, payload, d) =>
    closed ? guarded.deliver(role, payload, d) : events.deliver(role, payload, d),
  );
  return guarded;
}

/**
 * A decision's options as given from plain JavaScript: none at all is taken as `{}` (so the decision says
 * who is missing, `ACTOR_INVALID`, as it does for `{}`), anything but an object is a USAGE error.
 */
function decisionOptions<T extends object>(method: string, given: T | undefined): T {
  if (given === undefined || given === null) return {} as T;
  if (typeof given !== 'object' || Array.isArray(given))
    throw new NightshiftError(
      'USAGE',
      `runtime.${method}(): options must be an object ({ by: NAME, ... }), got ${Array.isArray(given) ? 'an array' : typeof given}; nothing was changed`,
    );
  return given;
}

/**
 * `list`'s filter from plain JavaScript: one status given as a string is taken as a list of one (it reached
 * the SQL as a string), and a status that is not one is a USAGE error, as `nightshift runs --status` says,
 * not an empty list.
 */
function checkRunFilter(filter: RunFilter | undefined): RunFilter | undefined {
  if (filter === undefined || filter === null) return undefined;
  if (typeof filter !== 'object' || Array.isArray(filter))
    throw new NightshiftError(
      'USAGE',
      `runtime.list(): the filter must be an object ({ role, status, parentRunId })`,
    );
  const given: unknown = filter.status;
  if (given === undefined) return filter;
  const statuses = typeof given === 'string' ? [given] : given;
  const bad = Array.isArray(statuses)
    ? statuses.find((x) => !(RUN_STATUSES as readonly unknown[]).includes(x))
    : given;
  if (!Array.isArray(statuses) || bad !== undefined)
    throw new NightshiftError(
      'USAGE',
      `runtime.list(): status ${JSON.stringify(bad) ?? String(bad)} is not a run status (${RUN_STATUSES.join(', ')})`,
    );
  return { ...filter, status: statuses as RunStatus[] };
}

/** What a bad `deliver` options object held, for the USAGE message. */
function describeTrigger(d: unknown, trigger: unknown): string {
  if (d === null || typeof d !== 'object') return `options ${d === null ? 'null' : typeof d}`;
  if (trigger === undefined) return 'no trigger';
  if (trigger === null || typeof trigger !== 'object' || Array.isArray(trigger))
    return `trigger ${trigger === null ? 'null' : Array.isArray(trigger) ? 'an array' : typeof trigger}`;
  const kind = (trigger as { kind?: unknown }).kind;
  return kind === undefined ? 'a trigger without kind' : `kind ${kind === '' ? "''" : typeof kind}`;
}

/** How long close() waits for this runtime's workers to hand their runs back before closing the store. */
const CLOSE_WAIT_MS = 5_000;
