// A run as the store keeps it: its row (status, budget counters, lease) and the patch a commit applies.
import type { Autonomy, RunStatus } from '../../domain.js';

// The run's vocabulary lives in src/domain.ts; re-exported here for the modules that import it from the store.
export type { RunStatus } from '../../domain.js';
export { RUN_STATUSES, TERMINAL_STATUSES } from '../../domain.js';

export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number;
}

/** Extra budget granted by humans answering budget escalations. */
export interface BudgetGrant {
  steps: number;
  costUsd: number;
  seconds: number;
}

export interface RunError {
  code: string;
  message: string;
  details?: Record<string, unknown> | undefined;
  /** The error's `retryable` (NightshiftError): whether a job-mode retry may succeed (engine/run-retry.ts). */
  retryable?: boolean | undefined;
}

export interface RunRecord {
  id: string;
  role: string;
  roleVersion: string;
  /** The model spec the run uses (the role's, or a `--model` override). */
  model: string;
  status: RunStatus;
  input: unknown;
  output: unknown;
  error: RunError | null;
  /** Sequence number of the last persisted step: the fencing token for commits. */
  seq: number;
  /** Model turns taken so far (the unit of budget.maxSteps). */
  turns: number;
  usage: RunUsage;
  /** Milliseconds spent executing (paused time excluded): the unit of budget.maxSeconds. */
  activeMs: number;
  grant: BudgetGrant;
  idempotencyKey: string | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  /**
   * The lease's fencing token: goes up by one every time the lease is taken (a claim, a takeover, a
   * steal), never on a renewal. A commit fenced by a lease (`CommitBatch.lease`) is refused once the
   * epoch moved on, and tools receive it with the idempotency key so receivers can refuse stale callers.
   */
  leaseEpoch: number;
  /**
   * Which attempt this is (1 = the first). A job retry after a transient failure, and a takeover of a run
   * whose worker died, each add one; past the role's `retry.maxAttempts` the run is kept as failed.
   */
  attempt: number;
  /** A queued run is not claimed before this time (retry backoff). */
  notBefore: number | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  /**
   * The run that delegated this one (a specialist's child run), and the parent's call it answers. Set when
   * the run is created, never changed; null (or absent, in records made before delegation) for a run
   * started any other way.
   */
  parentRunId?: string | null;
  parentCallKey?: string | null;
  /**
   * The highest rung this run may act at, whatever its role says: a child run's parent's effective rung
   * (a delegation never raises authority). Null: the role's own autonomy.
   */
  autonomyCap?: Autonomy | null;
}

export type RunPatch = Partial<
  Pick<
    RunRecord,
    | 'status'
    | 'output'
    | 'error'
    | 'turns'
    | 'usage'
    | 'activeMs'
    | 'grant'
    | 'finishedAt'
    | 'leaseOwner'
    | 'leaseUntil'
    | 'attempt'
    | 'notBefore'
  >
>;

/** A lease as one worker holds it: the owner and the acquisition (epoch) it holds. */
export interface RunLease {
  owner: string;
  epoch: number;
}

/** One renewal in a batch (RunLeases.renewLeases): extend the lease `lease` names on run `runId` to `until`. */
export interface LeaseRenewal {
  runId: string;
  lease: RunLease;
  until: number;
}

export interface RunFilter {
  role?: string;
  /** Only the child runs this run delegated. */
  parentRunId?: string;
  status?: RunStatus[];
  /** Only runs created at or after this time (ms). */
  createdSince?: number;
  /** Only runs created before this time (ms). */
  createdUntil?: number;
  /**
   * Keyset paging: only runs listed after this one in the newest-first order (older, or as old with a
   * smaller id). Runs inserted meanwhile are newer, so they never shift a page after the first.
   */
  after?: ListPosition;
  limit?: number;
}

/** Where a keyset-paged listing stopped: the last row's time and id (ids break ties). */
export interface ListPosition {
  at: number;
  id: string;
}

/** Approvals or escalations, of a status and a run if given, oldest first, paged by `after` and `limit`. */
export interface HumanListFilter<S extends string> {
  status?: S;
  runId?: string;
  /** Only those listed after this one (later, or as late with a larger id). */
  after?: ListPosition;
  limit?: number;
}
