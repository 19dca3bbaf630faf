// createRuntime: the public entry point. The CLI uses exactly this API, as library users do.
import { approve, reject } from './approvals/decide-approval.js';
import { type Clock, createIdSource, type IdSource, systemClock } from './clock.js';
import { cancelRun } from './engine/cancel.js';
import type { EngineContext } from './engine/drive.js';
import { newLeaseOwner } from './engine/lease.js';
import { type PreparedRole, prepareRole } from './engine/prepare.js';
import { resumeRun, startRun } from './engine/start.js';
import type { RunState } from './engine/state.js';
import { type RunSummary, summarize } from './engine/summary.js';
import { NightshiftError } from './errors.js';
import { answerEscalation } from './escalations/answer.js';
import type { ModelSettings } from './models/resolve.js';
import { startWorker, type Worker } from './queue/worker.js';
import { loadRoleFile } from './roles/load.js';
import type { Role } from './roles/schema.js';
import { resolveDataDir } from './store/data-dir.js';
import { openSqliteStore } from './store/sqlite/index.js';
import type {
  ApprovalRecord,
  EscalationRecord,
  RunFilter,
  RunRecord,
  RunSnapshot,
  Store,
} from './store/types.js';

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
}

export interface RunOptions {
  /** Replace the role's model (`--model`). */
  model?: string | undefined;
  idempotencyKey?: string | undefined;
  actor?: string | undefined;
  /** What started the run (kept with its first step). */
  trigger?: Record<string, unknown> | undefined;
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
    onError?: (err: unknown, runId?: string) => void;
  }): Worker;
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
  const store =
    options.store ??
    (databaseUrl
      ? (await import('./store/postgres/index.js')).openPostgresStore({
          connectionString: databaseUrl,
          ...((options.env ?? process.env).NIGHTSHIFT_DATABASE_SCHEMA
            ? { schema: (options.env ?? process.env).NIGHTSHIFT_DATABASE_SCHEMA }
            : {}),
        })
      : openSqliteStore({ dataDir: resolveDataDir(options.dataDir) }));
  await store.init();
  const ctx: EngineContext = {
    store,
    clock,
    ids: options.ids ?? createIdSource(clock),
    owner: newLeaseOwner(),
    leaseMs: options.leaseMs ?? 30_000,
  };
  const env = options.env ?? process.env;
  const prepared = new Map<string, Promise<PreparedRole>>();
  // Roles this runtime has run, so runs of defineRole roles (with inline tools) can be continued.
  const known = new Map<string, Role>();

  function prepare(role: Role, model?: string): Promise<PreparedRole> {
    const key = `${role.name}@${role.version}|${model ?? role.model}`;
    let p = prepared.get(key);
    if (!p) {
      p = prepareRole(role, { model, env, config: options.models });
      p.catch(() => prepared.delete(key));
      prepared.set(key, p);
    }
    return p;
  }

  async function roleOfRun(runId: string, given?: Role): Promise<{ role: Role; run: RunRecord }> {
    const run = await store.getRun(runId);
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
    return { role: { ...(stored.spec as unknown as Omit<Role, 'inlineTools'>), inlineTools: [] }, run };
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
      return continueRun(await approve(store, clock, { approvalId, by: o.by, note: o.note }));
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
      for (const r of o.roles) known.set(`${r.name}@${r.version}`, r);
      const names = [...new Set(o.roles.map((r) => r.name))];
      return startWorker({
        claim: () => {
          const now = clock.now();
          return store.claimNextRun(ctx.owner, now + ctx.leaseMs, now, names);
        },
        drive: async (run) => {
          await runtime.resume(run.id);
        },
        concurrency: o.concurrency,
        pollMs: o.pollMs ?? 200,
        signal: o.signal,
        onError: (err, run) => o.onError?.(err, run?.id),
      });
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
