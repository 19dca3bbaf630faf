// `work()`: a worker in this process. The queue worker (queue/worker.ts) claims queued runs of the job
// roles and drives them; the supervisor (continuous/supervisor.ts) holds the continuous roles' agents;
// both wake at once when another process queues work (Postgres LISTEN) and poll otherwise.

import { continuousSettings } from '../continuous/settings.js';
import { startSupervisor } from '../continuous/supervisor.js';
import { specialistsOf } from '../delegation/reachable.js';
import { settledStepsOf } from '../engine/busy-progress.js';
import { cancelChildrenOfEnded, endedForGood } from '../engine/cancel.js';
import type { EngineContext } from '../engine/context.js';
import { escalateRun, failRun, reopenRun } from '../engine/restart.js';
import { retryPolicy } from '../engine/run-retry.js';
import { recordRun, resumeRun } from '../engine/start.js';
import { failClaimedRun, spendBusyAttempt } from '../engine/unexpected.js';
import { isNightshiftError, NightshiftError } from '../errors.js';
import { EVENT_LOG_MESSAGES, type NightshiftEventListener } from '../lifecycle-events.js';
import { routeFor } from '../managers/manager-for.js';
import type { ManagerPath } from '../managers/path.js';
import { agentSpec } from '../models/resolve.js';
import { deadHolderSweep } from '../queue/dead-holders.js';
import { startWorker } from '../queue/worker.js';
import type { Role } from '../roles/schema.js';
import { storeOutageOf } from '../store/outage.js';
import type { RunRecord, RunSnapshot } from '../store/types.js';
import { advertise } from '../triggers/subscriptions.js';
import type { EventRouting } from './events.js';
import { assertAddedSecretsSet } from './promoted-secrets.js';
import { notALoadedRole } from './role-argument.js';
import type { KnownRoles } from './roles.js';
import type { WorkHandle, WorkOptions } from './types.js';

/** How often a worker looks for manager hops a crash left undone and managers out of time. */
const ESCALATION_SWEEP_MS = 1000;

export function startWork(
  ctx: EngineContext,
  roles: KnownRoles,
  events: EventRouting,
  managers: ManagerPath,
  o: WorkOptions,
): WorkHandle {
  const { store, clock } = ctx;
  checkWorkOptions(o);
  // Refused at start, before any run of these roles is claimed.
  for (const r of o.roles) roles.assertStoreOutside(r);
  for (const r of o.roles) roles.remember(r);
  events.listen(o.roles);
  const loaded = new Map(o.roles.map((r) => [r.name, r]));
  const jobRoles = o.roles.filter((r) => r.mode !== 'continuous');
  const agentRoles = o.roles.filter((r) => r.mode === 'continuous');
  // A specialist's run is driven by its orchestrator's driver, in the same process; the claim takes up
  // those a decision handed back to the queue (and those whose holder died while the parent waits paused),
  // which nobody else would. The claim leaves a child of a queued or running parent to that parent.
  const specialists = specialistsOf(o.roles);
  const names = [...new Set([...jobRoles, ...specialists].map((r) => r.name))];
  // A specialist's `concurrency` binds the runs handed back to the queue too, as its parents' drivers
  // honour it for the children they take up.
  const limits = { ...specialistLimits(specialists), ...concurrencyLimits(jobRoles) };
  // Runs driven here stop where they are once o.stopDriving is aborted (serve's grace after SIGTERM is over).
  const drivingCtx: EngineContext = o.stopDriving ? { ...ctx, stopDriving: o.stopDriving } : ctx;
  const workerCtx: EngineContext = { ...drivingCtx, retryFailures: true };
  const sweepDeadHolders = deadHolderSweep(store, ctx.owner, names);
  /** Drives a run the queue handed out (`claimed`), or again from the store after a store outage. */
  const drive = async (run: RunRecord, claimed?: RunSnapshot) => {
    let role: Role | undefined;
    try {
      role = (await roles.ofRun(run.id, undefined, run)).role;
      // A run whose workers keep dying while executing it (a crash loop) is failed, not retried forever.
      const max = retryPolicy(role).maxAttempts;
      if (run.status === 'running' && run.attempt > max) {
        // The takeover raised the attempt past the last: the run records the last attempt that ran.
        const ran = run.attempt - 1;
        const failed = await failRun(
          store,
          clock,
          run.id,
          {
            code: 'RUN_CRASHED',
            message: `the worker executing this run stopped (died or hung) ${ran} times; retry.maxAttempts is ${max}`,
            details: { attempt: ran },
          },
          ran,
        );
        o.onRunSettled?.(failed);
        return;
      }
      // A child whose parent ended for good (a crash came between the parent's end and the cancel of its
      // children, engine/cancel.ts): nobody will read its result, so it is cancelled, not driven.
      if (run.parentRunId) {
        const parent = await store.getRun(run.parentRunId);
        if (parent && endedForGood(parent)) {
          await cancelChildrenOfEnded(store, clock, parent);
          o.onRunSettled?.((await store.getRun(run.id)) ?? run);
          return;
        }
      }
      // A secret a promoted version added that this process cannot give its run: failed, named, not run without.
      assertAddedSecretsSet(role, loaded.get(role.name), (r) => roles.unsetSecrets(r));
      const base = await roles.prepare(role, run.model === role.model ? undefined : run.model);
      const ready = await managers.prepareRun(base, run);
      const state = await resumeRun(workerCtx, ready, run.id, claimed ? { claimed } : {});
      o.onRunSettled?.(state.run);
      // The escalation path goes on: manager runs queued for the run's escalations, or, for a manager
      // run that stopped without deciding, the matter handed to people. A decision queued the run.
      const queued = await managers.startManagers(state.run);
      const decidedFor = await managers.afterManager(state.run);
      if (queued.length > 0 || decidedFor) worker.wake();
    } catch (err) {
      // Not left `running` for the next worker to trip over: retried with backoff or failed once. A
      // store outage is the worker's to wait out (it drives the run again once writes go through).
      if (claimed && storeOutageOf(err) === undefined)
        await failClaimedRun(store, clock, run, err, retryPolicy(role ?? {}));
      throw err;
    }
  };
  let sweptAt = Number.NEGATIVE_INFINITY;
  const sweepEscalations = async () => {
    const now = clock.now();
    if (now - sweptAt < ESCALATION_SWEEP_MS) return;
    sweptAt = now;
    await managers.sweep((err) => o.onError?.(err));
  };
  const worker = startWorker({
    claim: async (max) => {
      await sweepDeadHolders();
      await sweepEscalations();
      const now = clock.now();
      return store.claimNextRuns(ctx.owner, now + ctx.leaseMs, now, names, limits, max, ctx.driving);
    },
    drive: (claimed) => drive(claimed.run, claimed),
    resume: (run) => drive(run),
    busyLimitMs: o.storeBusyLimitMs,
    progress: (runId) => settledStepsOf(store, runId),
    giveUpBusy: async (run, err, busy) => {
      // Another slot of this process drives it now (it took the run over after our lease ran out): that
      // drive, not this one's busy time, is the run's.
      if (ctx.driving?.has(run.id)) return;
      const { role } = await roles.ofRun(run.id, undefined, run);
      const ended = await spendBusyAttempt(store, clock, ctx.owner, run, err, busy, retryPolicy(role));
      if (ended?.status === 'failed') o.onRunSettled?.(ended);
    },
    // Not a passing outage (those the claim itself meets and waits out): the store must be reopened.
    mayClaim: () => {
      const code = store.health?.().code;
      return code !== 'WAL_SYNC_FAILED' && code !== 'STORE_CORRUPT';
    },
    concurrency: o.concurrency,
    pollMs: o.pollMs ?? 200,
    signal: o.signal,
    onError: (err, run) => o.onError?.(err, run?.id, run?.role),
  });
  const supervisor = startSupervisor({
    host: {
      store,
      clock,
      owner: ctx.owner,
      // Each handling is a run of the role's active version when it starts (a promotion or a rollback takes
      // effect at the agent's next event, without a restart); a run in flight finishes on its own version.
      async createRun(loadedRole, item, context) {
        const role = await events.runnable(loadedRole);
        roles.remember(role);
        // The run is recorded even when the version cannot be prepared in this process (a missing API key,
        // a tool module that does not load): driveRun prepares it again and fails with the run in hand, so
        // the failures count towards maxFailures and end in an escalation, which needs a run to park.
        // Without a run the agent backed off for ever, escalating nothing (docs/versions.md).
        let model = role.model;
        let redact = roles.readableSecrets(role);
        try {
          const ready = await roles.prepare(role);
          model = agentSpec(ready.agent);
          redact = ready.redact;
        } catch {
          // Reported by driveRun, as the handling's failure.
        }
        const { state } = await recordRun(
          ctx,
          role,
          model,
          { event: item.event, payload: item.payload, context },
          {
            idempotencyKey: `inbox:${item.id}`,
            queue: true,
            inputChecked: true,
            redact,
            actor: `agent:${role.name}`,
            trigger: { kind: 'inbox', event: item.event, inboxId: item.id },
          },
        );
        return state.run;
      },
      async driveRun(loadedRole, runId) {
        const { role, run } = await roles.ofRun(runId);
        assertAddedSecretsSet(role, loadedRole, (r) => roles.unsetSecrets(r));
        const ready = await roles.prepare(role, run.model === role.model ? undefined : run.model);
        // The handling's run is leased as long as the agent is (`continuous.leaseSeconds`), not for the
        // worker's `--lease-ms`: a worker that hangs loses both together, so the worker that takes the agent
        // over `leaseSeconds` after the last heartbeat can continue the run then too, instead of finding
        // it still leased to the hung worker for up to `--lease-ms` (docs/deployment.md, Continuous mode).
        const leaseMs = continuousSettings(loadedRole).leaseSeconds * 1000;
        return (await resumeRun({ ...drivingCtx, leaseMs }, ready, runId)).run;
      },
      reopenRun: (runId, why) => reopenRun(store, clock, runId, why),
      async escalate(run, reason, context) {
        // To the role's manager agent when it names one (the sweep starts the manager run), else to people,
        // who are told in the same commit (the outbox).
        // The escalation path of the run's own version (the one it ran on).
        const role = await roles.ofRun(run.id, undefined, run).then(
          (v) => v.role,
          () => agentRoles.find((r) => r.name === run.role),
        );
        const route = role ? routeFor(role, run) : 'humans';
        const path = { escalate: role?.escalate, people: ctx.people };
        return (await escalateRun(store, clock, ctx.ids, { runId: run.id, reason, context, route }, path)).id;
      },
    },
    roles: agentRoles,
    pollMs: o.pollMs ?? 200,
    signal: o.signal,
    listeners: lifecycleListeners(o),
    onError: (err) => o.onError?.(err),
  });
  // Postgres: wake at once when another process queues a run (LISTEN/NOTIFY); polling stays the
  // fallback, so a lost notification delays a run by one poll interval at most.
  const listening = store.subscribeWork
    ? store
        .subscribeWork(() => {
          worker.wake();
          supervisor.wake();
        })
        .catch((err: unknown) => {
          o.onError?.(err);
          return undefined;
        })
    : Promise.resolve(undefined);
  // Other processes deliver this worker's roles their events (see triggers/subscriptions.ts).
  // Each role's active version's events (a role given with inline tools whose active version is another
  // cannot run that version here: its given events stay advertised, and its runs fail as they would).
  const advertised = advertise(
    store,
    clock,
    o.roles,
    o.signal,
    (err) => o.onError?.(err),
    (role) =>
      events
        .runnable(role)
        .catch((err: unknown) =>
          isNightshiftError(err) && err.code === 'ROLE_INVALID' ? role : Promise.reject(err),
        ),
  ).catch((err: unknown) => o.onError?.(err));
  const stopListening = new Promise<void>((resolve) => {
    const stop = () => {
      listening.then((unsubscribe) => unsubscribe?.()).then(() => resolve());
    };
    if (o.signal.aborted) stop();
    else o.signal.addEventListener('abort', stop, { once: true });
  });
  return {
    wake() {
      worker.wake();
      supervisor.wake();
    },
    done: Promise.all([worker.done, supervisor.done, stopListening]).then(() => {}),
    active: () => worker.active(),
    agents: () => supervisor.held(),
    listening: Promise.all([listening, advertised]).then(() => {}),
  };
}

/** The typed listener, and the deprecated string one under the names it always had. */
function lifecycleListeners(o: WorkOptions): NightshiftEventListener[] {
  const listeners: NightshiftEventListener[] = [];
  if (o.onLifecycleEvent) listeners.push(o.onLifecycleEvent);
  const legacy = o.onAgentEvent;
  if (legacy) listeners.push((event) => legacy(EVENT_LOG_MESSAGES[event.name], event.data));
  return listeners;
}

/**
 * Per-role limits for the queue: `concurrency` when set; a role whose cron ticks queue (`overlap: queue`)
 * runs one at a time.
 */
function concurrencyLimits(roles: Role[]): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const r of roles) {
    const queued = r.triggers.some((t) => 'cron' in t && t.cron.overlap === 'queue');
    const limit = r.concurrency ?? (queued ? 1 : undefined);
    if (limit !== undefined) limits[r.name] = limit;
  }
  return limits;
}

/** Per-specialist limits for the queue: its `concurrency` (its own triggers are not served through it). */
function specialistLimits(roles: Role[]): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const r of roles) if (r.concurrency !== undefined) limits[r.name] = r.concurrency;
  return limits;
}

/**
 * `work`'s required options, checked for callers without the compiler (plain JavaScript): a missing
 * `signal` would otherwise fail deep in the loop with a TypeError.
 */
function checkWorkOptions(o: WorkOptions): void {
  const wrong = (what: string) => new NightshiftError('USAGE', `runtime.work(): ${what}`);
  if (typeof o !== 'object' || o === null)
    throw wrong('expected an options object { roles, concurrency, signal }');
  if (!Array.isArray(o.roles))
    throw wrong('roles must be a list of roles (defineRole or loadRoleFile results)');
  for (const [i, r] of (o.roles as unknown[]).entries()) {
    const why = notALoadedRole(r);
    if (why === undefined) continue;
    throw wrong(
      `roles[${i}] is ${typeof r === 'string' ? `the string '${r.slice(0, 80)}'` : why}, not a role: give defineRole or loadRoleFile results (load a role file with loadRoleFile first)`,
    );
  }
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) {
    throw wrong(`concurrency must be a whole number of at least 1, got ${String(o.concurrency)}`);
  }
  if (!(o.signal instanceof AbortSignal)) {
    throw wrong('signal must be an AbortSignal (abort it to stop the worker)');
  }
  const busy = o.storeBusyLimitMs;
  if (busy !== undefined && (!Number.isInteger(busy) || busy < 0)) {
    throw wrong(`storeBusyLimitMs must be a whole number of milliseconds ≥ 0, got ${String(busy)}`);
  }
}
