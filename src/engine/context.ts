// What the engine runs with, shared by everything that starts, resumes or drives a run in one process:
// the store, the clock and ids, this process's lease identity, and the runtime's hooks.
import type { Clock, IdSource } from '../clock.js';
import type { Autonomy } from '../domain.js';
import type { PeopleDirectory } from '../people/config.js';
import type { Store } from '../store/types.js';
import type { PreparedRole } from './prepare.js';
import type { RunState } from './state.js';

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
  /** The configured people: who a paused run's notifications go to (src/notifications/enqueue.ts). */
  people?: PeopleDirectory | undefined;
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
  /**
   * A child run driven for its parent (delegation/children.ts): the parent's budget left when the child
   * was started. An executor's session is one long turn the parent cannot check in between, so its turn
   * and cost limits are the lower of the child's own and these (decision 028).
   */
  parentBudgetLeft?: { steps: number; costUsd: number } | undefined;
  /** How delegations start and continue their child runs; set by start.ts for every run it drives. */
  children?: ChildRunner;
  /**
   * Aborted when the process stops driving runs (serve's SIGTERM grace is over): each run in flight stops
   * as on a lost lease (its model or tool call is aborted, nothing more is committed) and is left
   * `running` for the next worker to continue.
   */
  stopDriving?: AbortSignal;
  /**
   * The rung and version of a role's active version, when one was promoted and runs (not under
   * `versions.source: file`): a run of another version is capped at it when it is lower (demotion.ts).
   */
  activeRung?: (role: string) => Promise<{ autonomy: Autonomy; version: string } | undefined>;
}

/** What a delegation creates: the child run's id (derived from the parent's call) and its link upwards. */
export interface ChildStart {
  id: string;
  parentRunId: string;
  parentCallKey: string;
  /** The parent's effective rung: the child never acts above it. */
  autonomyCap: Autonomy;
  actor: string;
  /** Whether the parent was queued for workers: a decision on the child hands it back the same way. */
  queued: boolean;
}

/**
 * Starting and continuing child runs, for the delegation work (delegation/children.ts). Given by start.ts
 * (which the drive loop cannot import) to every run it drives.
 */
export interface ChildRunner {
  /** Records the child (unless a run with its id exists: `created` false) and drives it until it ends or pauses. */
  start(
    ctx: EngineContext,
    prepared: PreparedRole,
    input: unknown,
    child: ChildStart,
  ): Promise<{ state: RunState; created: boolean }>;
  /** Continues the child from its last commit (after a crash or a human's decision). */
  resume(ctx: EngineContext, prepared: PreparedRole, runId: string): Promise<RunState>;
}
