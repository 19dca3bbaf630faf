// createRuntime: the public entry point. The CLI uses exactly this API, as library users do.
import { approve, reject } from './approvals/decide-approval.js';
import { type Clock, createIdSource, type IdSource, systemClock } from './clock.js';
import { startSupervisor } from './continuous/supervisor.js';
import { cancelRun } from './engine/cancel.js';
import type { EngineContext } from './engine/drive.js';
import { newLeaseOwner } from './engine/lease.js';
import { type PreparedRole, prepareRole } from './engine/prepare.js';
import { escalateRun, failRun, reopenRun } from './engine/restart.js';
import { retryPolicy } from './engine/retry.js';
import { checkRunInput, recordRun, resumeRun, roleFromRecord, startRun } from './engine/start.js';
import type { RunState } from './engine/state.js';
import { type RunSummary, summarize } from './engine/summary.js';
import { failClaimedRun } from './engine/unexpected.js';
import { NightshiftError } from './errors.js';
import { answerEscalation } from './escalations/answer.js';
import { agentSpec, type ModelSettings } from './models/resolve.js';
import { deadHolderSweep } from './queue/dead-holders.js';
import { startWorker } from './queue/worker.js';
import { loadRoleFile } from './roles/load.js';
import type { Role } from './roles/schema.js';
import { resolveDataDir } from './store/data-dir.js';
import { storeOutageOf } from './store/outage.js';
import { openSqliteStore } from './store/sqlite/index.js';
import type {
  ApprovalRecord,
  EscalationRecord,
  RunFilter,
  RunRecord,
  RunSnapshot,
  Store,
} from './store/types.js';
import { loadSecrets, type Redactor, redactorFor, revealerFor } from './tools/secrets.js';
import { assertStoreOutsideWorkspace } from './tools/store-layout.js';
import { advertise, RemoteListeners } from './triggers/subscriptions.js';

export interface RuntimeOptions {
  /** Where the embedded SQLite file lives (default: NIGHTSHIFT_DATA_DIR, else ./.nightshift). */
  dataDir?: string;
  /** Use this store instead of the embedded one. */
  store?: Store;
  /** A Postgres URL: use the Postgres store (default: NIGHTSHIFT_DATABASE_URL; else the embedded SQLite). */
  databaseUrl?: string;
  clock?: Clock;
  ids?: IdSource;
  /** Environment for API keys and base URLs (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Provider settings and price overrides (from nightshift.config.yaml). */
  models?: ModelSettings;
  /** Lease length for a run being executed (default 30 s). */
  leaseMs?: number;
  /**
   * This process is a long-running service (`nightshift serve`): the embedded store checkpoints its WAL
   * from a background thread, so no commit on the event loop pays for a checkpoint.
   */
  service?: boolean;
  /**
   * Host paths sandboxed commands must never see, besides the ones the runtime knows (the data dir,
   * every role's secrets file, other roles' workspaces). The CLI passes nightshift.config.yaml.
   */
  protectedPaths?: string[];
}

export interface RunOptions {
  /** Replace the role's model (`--model`). */
  model?: string | undefined;
  idempotencyKey?: string | undefined;
  actor?: string | undefined;
  /** What started the run (kept with its first step). */
  trigger?: Record<string, unknown> | undefined;
}

/** Where one event went: a queued run (job mode) or a continuous agent's inbox. */
export interface Delivery {
  role: string;
  runId?: string;
  inboxId?: string;
  status: string;
  /** False when the idempotency key had been seen: nothing new was recorded. */
  created: boolean;
  /** With `skipInvalid`: why this role got nothing (status `rejected`). */
  error?: string;
}

export interface EmitOptions extends Omit<DeliverOptions, 'trigger'> {
  /**
   * Deliver to the roles whose input schema accepts the payload and report the others as `rejected`
   * (a role's output must not fail because one listener wants other input). Default: refuse the event
   * (INPUT_INVALID) before delivering anything when any listener would reject it.
   */
  skipInvalid?: boolean;
}

export interface DeliverOptions {
  idempotencyKey?: string | undefined;
  actor?: string | undefined;
  /** What delivered it (event, webhook, cron), kept with the run. */
  trigger: Record<string, unknown> & { kind: string };
}

/** A continuous agent as `nightshift status` shows it. */
export interface AgentStatusView {
  role: string;
  status: string;
  owner: string | null;
  heartbeatAt: number | null;
  leaseUntil: number | null;
  /** Whether the lease is live (a worker holds the agent now). */
  live: boolean;
  restarts: number;
  takeovers: number;
  failures: number;
  inbox: number;
  runId: string | null;
  lastError: { code: string; message: string } | null;
  escalationId: string | null;
  context: unknown;
}

export interface WorkHandle {
  /** Look for work now (something was just enqueued here). */
  wake(): void;
  /** Resolves when the workers stopped and every run they started has finished or paused. */
  done: Promise<void>;
  /** Runs executing in this process. */
  active(): number;
  /** Continuous roles whose agent this process holds. */
  agents(): string[];
  /**
   * Resolves once this process hears about work queued elsewhere (its Postgres LISTEN is in place; at
   * once on the embedded store). A failed subscription resolves too: polling still finds the work.
   */
  listening: Promise<void>;
}

export interface Inbox {
  approvals: ApprovalRecord[];
  escalations: EscalationRecord[];
}

export interface Runtime {
  readonly store: Store;
  /** Validates and runs a role (a file path or a defineRole result) until it finishes or pauses. */
  run(role: Role | string, input: unknown, options?: RunOptions): Promise<RunSummary>;
  /** Records a run as queued for a worker (nightshift serve); returns at once. */
  enqueue(role: Role, input: unknown, options?: RunOptions): Promise<RunSummary>;
  /** Continues a run from its last persisted step. */
  resume(runId: string, options?: { role?: Role }): Promise<RunSummary>;
  approve(approvalId: string, options: { by: string; note?: string }): Promise<RunSummary>;
  reject(approvalId: string, options: { by: string; reason: string }): Promise<RunSummary>;
  answer(
    escalationId: string,
    answer: string,
    options: { by: string; allowCall?: boolean },
  ): Promise<RunSummary>;
  cancel(runId: string, options: { by: string; reason?: string }): Promise<RunSummary>;
  inbox(): Promise<Inbox>;
  /**
   * Starts a worker that runs queued runs of these roles (and takes over runs whose worker died), up to
   * `concurrency` at a time, until `signal` aborts.
   */
  work(options: {
    roles: Role[];
    concurrency: number;
    pollMs?: number;
    signal: AbortSignal;
    /** An error outside any run's outcome (a claim that failed, a run that threw), with the run's id and role. */
    onError?: (err: unknown, runId?: string, role?: string) => void;
    /** Lifecycle of continuous agents (started, taken over, failed, escalated), for the log. */
    onAgentEvent?: (what: string, data: Record<string, unknown>) => void;
    /**
     * Where each queued run this worker drove stopped: finished, paused for a human, queued for a retry,
     * or left to another worker (still `running`). For the log. (Continuous agents' runs are reported
     * through onAgentEvent: their failures are restarts, not dead letters.)
     */
    onRunSettled?: (run: RunRecord) => void;
  }): WorkHandle;
  /**
   * Delivers a named event to every role with that event trigger, those given to `work` here and those
   * live workers elsewhere serve (triggers/subscriptions.ts): a queued run for a job role, an inbox item
   * for a continuous one. With an idempotency key, a redelivered event records nothing new.
   */
  emit(event: string, payload: unknown, options?: EmitOptions): Promise<Delivery[]>;
  /** Delivers input to one role (a webhook, a cron tick): queued run, or continuous agent's inbox. */
  deliver(role: Role, payload: unknown, options: DeliverOptions): Promise<Delivery>;
  /** Continuous agents: state, last heartbeat, restarts, inbox depth. */
  agents(): Promise<AgentStatusView[]>;
  get(runId: string): Promise<RunSnapshot | undefined>;
  list(filter?: RunFilter): Promise<RunRecord[]>;
  close(): Promise<void>;
}

/**
 * @example
 * const runtime = await createRuntime({ dataDir: '.nightshift' });
 * const result = await runtime.run('roles/refund-desk.yaml', { ticket: 'T-1' });
 * if (result.status === 'awaiting_approval') await runtime.approve(result.pending[0], { by: 'alice' });
 */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const databaseUrl =
    options.databaseUrl ??
    (options.store || options.dataDir ? undefined : (options.env ?? process.env).NIGHTSHIFT_DATABASE_URL);
  // The embedded store's folder, when this runtime opens it: no role's workspace may contain it.
  const dataDir = options.store || databaseUrl ? undefined : resolveDataDir(options.dataDir);
  const store: Store =
    options.store ??
    (databaseUrl
      ? (await import('./store/postgres/index.js')).openPostgresStore({
          connectionString: databaseUrl,
          ...((options.env ?? process.env).NIGHTSHIFT_DATABASE_SCHEMA
            ? { schema: (options.env ?? process.env).NIGHTSHIFT_DATABASE_SCHEMA }
            : {}),
        })
      : openSqliteStore({
          dataDir,
          backgroundCheckpoints: options.service === true,
        }));
  await store.init();
  const ctx: EngineContext = {
    store,
    clock,
    ids: options.ids ?? createIdSource(clock),
    owner: newLeaseOwner(),
    leaseMs: options.leaseMs ?? 30_000,
    driving: new Set(),
  };
  const env = options.env ?? process.env;
  const prepared = new Map<string, Promise<PreparedRole>>();
  // Roles this runtime has run, so runs of defineRole roles (with inline tools) can be continued.
  const known = new Map<string, Role>();
  // Roles that receive events (those given to work()), by name.
  const listeners = new Map<string, Role>();
  // What a role's commands must not see: the store, the config, and every role's secrets and (for the
  // others) workspace that this runtime knows of.
  ctx.protectedPaths = (role) => {
    const paths = [...(options.protectedPaths ?? [])];
    if (dataDir) paths.push(dataDir);
    for (const other of [role, ...known.values()]) {
      if (other.secretsFile) paths.push(other.secretsFile);
      if (other.name !== role.name && other.workspace && other.workspace !== role.workspace)
        paths.push(other.workspace);
    }
    return paths;
  };
  // A role's `emit` events, delivered before its run's success is committed (idempotent per run and
  // event, so a crash between the two delivers nothing twice).
  ctx.beforeSuccess = async (role, run, output) => {
    const emitted: (Delivery & { event: string })[] = [];
    for (const event of role.emit ?? []) {
      const out = await runtime.emit(event, output, {
        idempotencyKey: `run:${run.id}`,
        actor: `role:${role.name}`,
        skipInvalid: true,
      });
      emitted.push(...out.map((d) => ({ event, ...d })));
    }
    // Kept in the run's last step: where its output went, and which listeners refused it.
    return emitted.length > 0 ? { emitted } : undefined;
  };

  function prepare(role: Role, model?: string): Promise<PreparedRole> {
    const key = `${role.name}@${role.version}|${model ?? role.model}`;
    let p = prepared.get(key);
    if (!p) {
      p = Promise.resolve()
        .then(() => dataDir && assertStoreOutsideWorkspace(role, dataDir))
        .then(() => prepareRole(role, { model, env, config: options.models }));
      p.catch(() => prepared.delete(key));
      prepared.set(key, p);
    }
    return p;
  }

  async function roleOfRun(
    runId: string,
    given?: Role,
    knownRun?: RunRecord,
  ): Promise<{ role: Role; run: RunRecord }> {
    const run = knownRun ?? (await store.getRun(runId));
    if (!run) throw new NightshiftError('RUN_NOT_FOUND', `no run ${runId} (see nightshift runs)`);
    if (given) return { role: given, run };
    const mem = known.get(`${run.role}@${run.roleVersion}`);
    if (mem) return { role: mem, run };
    const stored = await store.getRoleVersion(run.role, run.roleVersion);
    if (!stored)
      throw new NightshiftError(
        'RUN_NOT_RESUMABLE',
        `run ${runId}: role version ${run.role}@${run.roleVersion} is not in the store`,
      );
    return { role: roleFromRecord(stored), run };
  }

  const remote = new RemoteListeners(store, clock);

  /**
   * Scrubs a role's secret values as this process can read them (its secrets file, this environment), for
   * input recorded without preparing the role. Values only the serving process has cannot be scrubbed here.
   */
  function readableSecrets(role: Role): Redactor | undefined {
    try {
      return redactorFor(loadSecrets(role, env));
    } catch {
      return undefined;
    }
  }

  /**
   * A payload, already checked against the role's input schema, for one role: an inbox item for a
   * continuous role, a queued run for a job role. `local`: this process serves the role (it prepares
   * it, as running it here needs); otherwise the run is only recorded, for the process that serves it.
   */
  async function deliverTo(
    role: Role,
    payload: unknown,
    d: DeliverOptions,
    local: boolean,
  ): Promise<Delivery> {
    if (role.mode === 'continuous') {
      const now = clock.now();
      const redact = readableSecrets(role);
      const { item, created } = await store.pushInbox({
        id: ctx.ids.next('evt'),
        role: role.name,
        event: typeof d.trigger.event === 'string' ? d.trigger.event : d.trigger.kind,
        // The agent's inbox keeps the payload only as the run it becomes would: secret values by name.
        payload: (redact ? redact(payload) : payload) ?? null,
        idempotencyKey: d.idempotencyKey ?? null,
        createdAt: now,
        handledAt: null,
        runId: null,
      });
      return { role: role.name, inboxId: item.id, status: item.handledAt ? 'handled' : 'inbox', created };
    }
    const options = {
      idempotencyKey: d.idempotencyKey,
      actor: d.actor ?? `trigger:${d.trigger.kind}`,
      trigger: d.trigger,
    };
    let model = role.model;
    let redact: Redactor | undefined;
    if (local) {
      known.set(`${role.name}@${role.version}`, role);
      const ready = await prepare(role);
      model = agentSpec(ready.agent);
      redact = ready.redact;
    } else {
      redact = readableSecrets(role);
    }
    const { state, created } = await recordRun(ctx, role, model, payload, {
      ...options,
      queue: true,
      inputChecked: true,
      redact,
    });
    return { role: role.name, runId: state.run.id, status: state.run.status, created };
  }

  /**
   * The approved run's role's secret values, to check the drafted calls' arguments against their hashes
   * (their stored form is redacted). Undefined when they cannot be read here: the run's worker checks
   * them again before each call runs.
   */
  async function revealerForApproval(approvalId: string) {
    const approval = await store.getApproval(approvalId);
    if (!approval) return undefined;
    try {
      const { role } = await roleOfRun(approval.runId);
      return revealerFor(loadSecrets(role, env));
    } catch {
      return undefined;
    }
  }

  async function summary(state: RunState): Promise<RunSummary> {
    return summarize({
      run: state.run,
      approvals: [...state.approvals.values()],
      escalations: [...state.escalations.values()],
    });
  }

  /** After a human decision: drive the run on if nothing else blocks it. */
  async function continueRun(state: RunState): Promise<RunSummary> {
    if (state.run.status !== 'running') return summary(state);
    try {
      return await runtime.resume(state.run.id);
    } catch (err) {
      // A worker (nightshift serve) picked it up first: the decision stands and the run goes on there.
      if (err instanceof NightshiftError && err.code === 'RUN_LEASED') return summary(state);
      throw err;
    }
  }

  const runtime: Runtime = {
    store,
    async run(roleOrFile, input, runOptions = {}) {
      const role = typeof roleOrFile === 'string' ? await loadRoleFile(roleOrFile) : roleOrFile;
      known.set(`${role.name}@${role.version}`, role);
      const ready = await prepare(role, runOptions.model);
      const state = await startRun(ctx, ready, input, {
        idempotencyKey: runOptions.idempotencyKey,
        actor: runOptions.actor,
      });
      return summary(state);
    },
    async enqueue(role, input, runOptions = {}) {
      known.set(`${role.name}@${role.version}`, role);
      const ready = await prepare(role, runOptions.model);
      const state = await startRun(ctx, ready, input, {
        idempotencyKey: runOptions.idempotencyKey,
        actor: runOptions.actor,
        trigger: runOptions.trigger,
        queue: true,
      });
      return summary(state);
    },
    async resume(runId, resumeOptions = {}) {
      const { role, run } = await roleOfRun(runId, resumeOptions.role);
      const ready = await prepare(role, run.model === role.model ? undefined : run.model);
      return summary(await resumeRun(ctx, ready, runId));
    },
    async approve(approvalId, o) {
      const reveal = await revealerForApproval(approvalId);
      return continueRun(await approve(store, clock, { approvalId, by: o.by, note: o.note, reveal }));
    },
    async reject(approvalId, o) {
      return continueRun(await reject(store, clock, { approvalId, by: o.by, note: o.reason }));
    },
    async answer(escalationId, text, o) {
      const escalation = await store.getEscalation(escalationId);
      const budget = escalation
        ? (await roleOfRun(escalation.runId).catch(() => undefined))?.role.budget
        : undefined;
      return continueRun(
        await answerEscalation(store, clock, {
          escalationId,
          answer: text,
          by: o.by,
          allowCall: o.allowCall,
          budget,
        }),
      );
    },
    async cancel(runId, o) {
      return summary(await cancelRun(store, clock, { runId, by: o.by, reason: o.reason }));
    },
    work(o) {
      // Refused at start, before any run of these roles is claimed.
      if (dataDir) for (const r of o.roles) assertStoreOutsideWorkspace(r, dataDir);
      for (const r of o.roles) {
        known.set(`${r.name}@${r.version}`, r);
        listeners.set(r.name, r);
      }
      const jobRoles = o.roles.filter((r) => r.mode !== 'continuous');
      const agentRoles = o.roles.filter((r) => r.mode === 'continuous');
      const names = [...new Set(jobRoles.map((r) => r.name))];
      const limits = concurrencyLimits(jobRoles);
      const workerCtx: EngineContext = { ...ctx, retryFailures: true };
      const sweepDeadHolders = deadHolderSweep(store, ctx.owner, names);
      /** Drives a run the queue handed out (`claimed`), or again from the store after a store outage. */
      const drive = async (run: RunRecord, claimed?: RunSnapshot) => {
        let role: Role | undefined;
        try {
          role = (await roleOfRun(run.id, undefined, run)).role;
          // A run whose workers keep dying while executing it (a crash loop) is failed, not retried forever.
          const max = retryPolicy(role).maxAttempts;
          if (run.status === 'running' && run.attempt > max) {
            const failed = await failRun(store, clock, run.id, {
              code: 'RUN_CRASHED',
              message: `the worker executing this run stopped (died or hung) ${run.attempt - 1} times; retry.maxAttempts is ${max}`,
              details: { attempt: run.attempt },
            });
            o.onRunSettled?.(failed);
            return;
          }
          const ready = await prepare(role, run.model === role.model ? undefined : run.model);
          const state = await resumeRun(workerCtx, ready, run.id, claimed ? { claimed } : {});
          o.onRunSettled?.(state.run);
        } catch (err) {
          // Not left `running` for the next worker to trip over: retried with backoff or failed once. A
          // store outage is the worker's to wait out (it drives the run again once writes go through).
          if (claimed && storeOutageOf(err) === undefined)
            await failClaimedRun(store, clock, run, err, retryPolicy(role ?? {}));
          throw err;
        }
      };
      const worker = startWorker({
        claim: async (max) => {
          await sweepDeadHolders();
          const now = clock.now();
          return store.claimNextRuns(ctx.owner, now + ctx.leaseMs, now, names, limits, max);
        },
        drive: (claimed) => drive(claimed.run, claimed),
        resume: (run) => drive(run),
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
          async createRun(role, item, context) {
            const ready = await prepare(role);
            const state = await startRun(
              ctx,
              ready,
              { event: item.event, payload: item.payload, context },
              {
                idempotencyKey: `inbox:${item.id}`,
                queue: true,
                inputChecked: true,
                actor: `agent:${role.name}`,
                trigger: { kind: 'inbox', event: item.event, inboxId: item.id },
              },
            );
            return state.run;
          },
          async driveRun(role, runId) {
            const ready = await prepare(role);
            return (await resumeRun(ctx, ready, runId)).run;
          },
          reopenRun: (runId, why) => reopenRun(store, clock, runId, why),
          async escalate(run, reason, context) {
            return (await escalateRun(store, clock, ctx.ids, { runId: run.id, reason, context })).id;
          },
        },
        roles: agentRoles,
        pollMs: o.pollMs ?? 200,
        signal: o.signal,
        onEvent: o.onAgentEvent,
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
      const advertised = advertise(store, clock, o.roles, o.signal, (err) => o.onError?.(err)).catch(
        (err: unknown) => o.onError?.(err),
      );
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
    },
    async emit(event, payload, emitOptions = {}) {
      const d = (role: Role): DeliverOptions => ({
        idempotencyKey: emitOptions.idempotencyKey
          ? `event:${event}:${emitOptions.idempotencyKey}:${role.name}`
          : undefined,
        actor: emitOptions.actor,
        trigger: { kind: 'event', event },
      });
      const here = [...listeners.values()].filter((role) =>
        role.triggers.some((t) => 'event' in t && t.event === event),
      );
      // Roles only other processes serve: queued here, run there.
      const elsewhere = await remote.forEvent(event, (name) => listeners.has(name));
      const targets = [
        ...here.map((role) => ({ role, local: true })),
        ...elsewhere.map((role) => ({ role, local: false })),
      ];
      const invalid = new Map<string, string>();
      for (const { role } of targets) {
        try {
          checkRunInput(role, payload);
        } catch (err) {
          if (!emitOptions.skipInvalid) throw err;
          invalid.set(role.name, (err as Error).message);
        }
      }
      const out: Delivery[] = [];
      for (const { role, local } of targets) {
        const error = invalid.get(role.name);
        if (error !== undefined) out.push({ role: role.name, status: 'rejected', created: false, error });
        else out.push(await deliverTo(role, payload, d(role), local));
      }
      return out;
    },
    async deliver(role, payload, d) {
      checkRunInput(role, payload);
      return deliverTo(role, payload, d, true);
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
          live: a.owner !== null && (a.leaseUntil ?? 0) >= now,
          restarts: a.restarts,
          takeovers: a.takeovers,
          failures: a.failures,
          inbox: await store.inboxDepth(a.role),
          runId: a.runId,
          lastError: a.lastError ? { code: a.lastError.code, message: a.lastError.message } : null,
          escalationId: a.escalationId,
          context: a.context,
        })),
      );
    },
    async inbox() {
      const [approvals, escalations] = await Promise.all([
        store.listApprovals({ status: 'pending' }),
        store.listEscalations({ status: 'pending' }),
      ]);
      return { approvals, escalations };
    },
    get: (runId) => store.loadRun(runId),
    list: (filter) => store.listRuns(filter),
    async close() {
      const ready = await Promise.allSettled(prepared.values());
      await Promise.allSettled(ready.flatMap((r) => (r.status === 'fulfilled' ? [r.value.dispose()] : [])));
      await store.close();
    },
  };
  return runtime;
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
