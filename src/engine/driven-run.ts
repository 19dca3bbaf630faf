// What a piece of work may use of the run the Driver is driving (drive.ts): the run's state and prepared
// role, the batches it builds and commits, the end of the run, the lease and the calls this driver claimed.
// The work kinds (model-turn.ts, execute-call.ts, ...) take this instead of the Driver, so the loop imports
// them and none of them imports the loop.
import type { NewEscalation } from '../escalations/raise.js';
import type { EscalationRecord, RunError, ToolCallRecord } from '../store/types.js';
import type { LeaseStop, SegmentDeadline } from './abortable.js';
import type { Demotion } from './authority-cap.js';
import type { EngineContext } from './context.js';
import type { HeldLease } from './lease.js';
import type { PreparedRole } from './prepare.js';
import type { BatchBuilder, RunState } from './state.js';

export interface DrivenRun {
  readonly ctx: EngineContext;
  readonly prepared: PreparedRole;
  /** The role's demotion since the run started, when its active version's rung is lower (demotion.ts). */
  readonly demotion?: Demotion | undefined;
  readonly state: RunState;
  /** Aborted if the lease is lost, so long-running work (a tool call, a model turn, a session) stops early. */
  readonly abort: LeaseStop;
  /** The one timer of this segment's calls' time limits (abortable.ts); absent, each call has its own. */
  readonly deadlines?: SegmentDeadline;
  /** The run's lease as this driver holds it: checked before every call, renewed while it runs. */
  readonly held: HeldLease;
  /** Once true, the run is another worker's: record nothing more. */
  readonly leaseLost: boolean;
  /** What the driver is doing, in words, for the message of an unexpected failure. */
  doing: string;
  /** Calls this driver claimed (committed as started), or took over as idempotent: it may run them. */
  readonly claimed: Set<string>;
  /** Calls this driver claimed and has not started yet: given back if the run stops before they start. */
  readonly claimedNotRun: Set<string>;
  /** The run's active time at `now`: what it had when this driver took it, plus this driver's share. */
  activeMs(now: number): number;
  /** A new batch at the clock's now, carrying the run's active time. */
  batch(): BatchBuilder;
  /** Commits `b`, scrubbed of secret values and fenced by this driver's lease. */
  commit(b: BatchBuilder): Promise<void>;
  /** Ends the run in `b` (or, for a transient failure of a worker's run, queues it for a retry). */
  finish(
    b: BatchBuilder,
    status: 'succeeded' | 'failed',
    output: unknown,
    error: RunError | null,
  ): Promise<void>;
  /** Raises an escalation of this run in `b`. */
  newEscalation(b: BatchBuilder, e: NewEscalation): EscalationRecord;
  /** Marks `call` started in `b`: the claim, committed before the side effect. */
  claim(b: BatchBuilder, call: ToolCallRecord): void;
  /** Whether the time budget leaves room to claim another call at `at`. */
  timeLeft(at: number): boolean;
}
