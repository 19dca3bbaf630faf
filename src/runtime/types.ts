// The runtime's public types: its options, what it returns, and the `Runtime` interface itself
// (composed in runtime.ts from runtime/roles.ts, runtime/events.ts and runtime/work.ts).
import type { NightshiftSigned } from '../approvals/actor.js';
import type { DriveAfterDecision } from '../approvals/hand-back.js';
import type { Clock, IdSource } from '../clock.js';
import type { ChainLink } from '../delegation/chain.js';
import type { RunSummary } from '../engine/summary.js';
import type { NightshiftEventListener } from '../lifecycle-events.js';
import type { ModelSettings } from '../models/resolve.js';
import type { SenderOptions, SendPass } from '../notifications/sender.js';
import type { NotificationChannel } from '../notifications/types.js';
import type { PeopleDirectory } from '../people/config.js';
import type { Role } from '../roles/schema.js';
import type {
  ApprovalRecord,
  EscalationRecord,
  RunFilter,
  RunRecord,
  RunSnapshot,
  Store,
} from '../store/types.js';
import type { CommitObserver } from '../telemetry/commit-tap.js';

export interface RuntimeOptions {
  /** Where the embedded SQLite file lives (default: NIGHTSHIFT_DATA_DIR, else ./.nightshift). */
  dataDir?: string;
  /**
   * False: open the embedded store only if it exists (a data dir without `nightshift.db` is refused with
   * STORE_NOT_FOUND, and nothing is created), for commands that only read or act on what is stored.
   * With Postgres, a schema without nightshift's tables is refused the same way. Default true: the
   * folder and the file (or the schema and its tables) are created. A given `store` ignores it.
   */
  createStore?: boolean;
  /**
   * True: open the store only to read (as `createStore: false`, and more): the SQLite file read-only, no
   * migration run (a store that needs one is refused with STORE_ERROR), nothing created; any write fails.
   * For reading a store this process may not write. A given `store` ignores it. Default false.
   */
  readOnly?: boolean;
  /**
   * Use this store instead of the embedded one. It stays the caller's: `close()` does not close it (several
   * runtimes may share it), so close it yourself once every runtime using it is closed.
   */
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
  /**
   * Told of every write the store accepts or refuses (src/telemetry/commit-tap.ts): what metrics, traces
   * and the audit log are derived from. Called on the commit path: keep them cheap. A given `store` object
   * is patched in place.
   */
  observers?: CommitObserver[];
  /**
   * Loads a role file the runtime meets on its own: a role's manager agent (`manager:`). Default
   * loadRoleFile; the CLI passes its loader, which knows the project's tool modules.
   */
  loadRole?: (file: string) => Promise<Role>;
  /** An observer threw (it never fails the commit); default: ignored. */
  onObserverError?: (err: unknown) => void;
  /**
   * Told the secret values of each role version this runtime prepares (its specialists' included), before
   * any run of it executes here: `serve` adds them to what its log scrubs, so a version promoted while it
   * runs (or an older one a run in flight still uses) is scrubbed in every process that runs it.
   */
  onRoleSecrets?: (values: readonly string[]) => void;
  /**
   * Who may decide which roles' approvals and escalations, and where each is reached (`people:` in
   * nightshift.config.yaml). Unset: anyone named may decide, and nobody is notified.
   */
  people?: PeopleDirectory | undefined;
  /**
   * Which definition of a role new runs get (src/versions/): `active` (default), the role's promoted
   * version once it has one; `file`, always the role as given.
   */
  roleSource?: 'active' | 'file' | undefined;
}

export interface NotifyOptions {
  channels: readonly NotificationChannel[];
  /** Told of each notification's outcome (metrics, logs). */
  onOutcome?: SenderOptions['onOutcome'];
  /** Retry policy and lease of the sender (defaults in src/notifications/sender.ts). */
  maxAttempts?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  leaseMs?: number;
}

export interface NotifyPass extends SendPass {
  /** Matters passed to their next tier (or, after the last, left paused and logged). */
  tiersPassed: number;
}

export interface RunOptions {
  /** Replace the role's model (`--model`). */
  model?: string | undefined;
  idempotencyKey?: string | undefined;
  actor?: string | undefined;
  /** What started the run (kept with its first step). */
  trigger?: Record<string, unknown> | undefined;
  /**
   * `run` only: told the run's id once it is recorded, before it is driven, so a caller can answer with
   * the id while the run goes on (the MCP server's `runs.start`).
   */
  onStarted?: ((runId: string) => void) | undefined;
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
  /** The executor thread the agent's next event continues (Claude Code session, Codex thread), if any. */
  thread: { executor: string; id: string } | null;
}

export interface WorkOptions {
  roles: Role[];
  concurrency: number;
  pollMs?: number;
  /**
   * How long a run's drives may meet nothing but a busy database (statement or lock timeouts, a full
   * pool) before the busy time costs it an attempt (STORE_BUSY; failed after its last). Default 10 minutes.
   */
  storeBusyLimitMs?: number;
  /** Stops taking work; the runs in flight go on until they finish or pause (`done` resolves then). */
  signal: AbortSignal;
  /**
   * Stops the runs in flight where they are: their model or tool call is aborted (as when a lease is lost),
   * nothing more of their work is committed, and each goes back on the queue (`queued`, its lease
   * released, fenced by its lease) for the next worker to continue from its last step at once, without
   * waiting for the lease to expire. `serve` aborts it when the grace period after SIGTERM is over.
   */
  stopDriving?: AbortSignal;
  /** An error outside any run's outcome (a claim that failed, a run that threw), with the run's id and role. */
  onError?: (err: unknown, runId?: string, role?: string) => void;
  /**
   * Lifecycle of continuous agents (started, taken over, lost, failed, restarted, escalated, an inbox item
   * handled), typed by `NightshiftEventMap`. A listener that throws is reported to onError; the agents go on.
   */
  onLifecycleEvent?: NightshiftEventListener;
  /**
   * @deprecated Use `onLifecycleEvent`. The same events with their log message as the name (`'agent lost'`,
   * `'event handled'`, …: `EVENT_LOG_MESSAGES`) and the payload untyped.
   */
  onAgentEvent?: (what: string, data: Record<string, unknown>) => void;
  /**
   * Where each queued run this worker drove stopped: finished, paused for a human, queued for a retry,
   * or left to another worker (still `running`). For the log. (Continuous agents' runs are reported
   * through onLifecycleEvent: their failures are restarts, not dead letters.)
   */
  onRunSettled?: (run: RunRecord) => void;
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
  /**
   * For each listed run that is a specialist's (a delegation's child run): the runs from the outermost
   * orchestrator down to it, by run id.
   */
  chains: Record<string, ChainLink[]>;
}

/** Who drives a run on after a decision: see approvals/hand-back.ts. Default `auto`. */
export interface DecisionDrive extends NightshiftSigned {
  drive?: DriveAfterDecision;
  /**
   * The run's role, when it goes on here and was made by defineRole with inline tools (which the store does
   * not keep): as `resume`'s `role`. Without it such a run cannot go on in a process that does not know the
   * role; the decision stands and the run is handed back to the queue (unleased) for whoever has it.
   */
  role?: Role;
}

export interface Runtime {
  readonly store: Store;
  /** Validates and runs a role (a file path or a defineRole result) until it finishes or pauses. */
  run(role: Role | string, input: unknown, options?: RunOptions): Promise<RunSummary>;
  /** Records a run as queued for a worker (nightshift serve); returns at once. `role`: as for `run`. */
  enqueue(role: Role | string, input: unknown, options?: RunOptions): Promise<RunSummary>;
  /** Continues a run from its last persisted step. */
  resume(runId: string, options?: { role?: Role }): Promise<RunSummary>;
  /**
   * Decisions on a paused run. Once nothing else blocks it, the run goes on: driven here before the call
   * returns, or, for a run queued for workers (or with `drive: 'queue'`), handed back to their queue and
   * returned as `queued` (decision 027).
   */
  approve(approvalId: string, options: { by: string; note?: string } & DecisionDrive): Promise<RunSummary>;
  reject(approvalId: string, options: { by: string; reason: string } & DecisionDrive): Promise<RunSummary>;
  answer(
    escalationId: string,
    answer: string,
    options: { by: string; allowCall?: boolean; withholdResult?: boolean } & DecisionDrive,
  ): Promise<RunSummary>;
  cancel(runId: string, options: { by: string; reason?: string }): Promise<RunSummary>;
  inbox(): Promise<Inbox>;
  /**
   * Starts a worker that runs queued runs of these roles (and takes over runs whose worker died), up to
   * `concurrency` at a time, until `signal` aborts.
   */
  work(options: WorkOptions): WorkHandle;
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
  /**
   * One pass over the notification outbox (src/notifications/): matters whose tier timed out pass to the
   * next tier, then due notifications are sent through these channels (rows of other channels wait).
   */
  notify(options: NotifyOptions): Promise<NotifyPass>;
  close(): Promise<void>;
}
