// The in-memory view of one run, always equal to what is in the store: every change goes through
// `commit`, which writes the batch first and applies it here only after the store accepted it.
import { auditFromSteps } from '../audit/actions.js';
import { readSteps } from '../steps/read.js';
import type { RunStep, StepData, StepKind } from '../steps/types.js';
import type {
  ApprovalRecord,
  CommitBatch,
  DecisionTierRecord,
  EscalationRecord,
  NewAuditEvent,
  OutboxRecord,
  RunPatch,
  RunRecord,
  RunSnapshot,
  Store,
  ToolCallRecord,
} from '../store/types.js';

export class RunState {
  run: RunRecord;
  /** The log, typed by kind. */
  readonly steps: RunStep[];
  readonly calls: Map<string, ToolCallRecord>;
  readonly approvals: Map<string, ApprovalRecord>;
  readonly escalations: Map<string, EscalationRecord>;

  /**
   * Rebuilds the run from a store's snapshot. Every step is checked against its kind's schema first:
   * StepDataInvalidError (naming the run, seq and kind) for a row this version cannot read.
   */
  constructor(snapshot: RunSnapshot, stepsBuiltHere = false) {
    this.run = snapshot.run;
    // Steps this process just built (BatchBuilder.step types them by kind, as `apply` relies on) are not
    // read back through their schemas: only what comes from the store is (a zod parse of a new run's first
    // step was ~1 % of a sequential scripted run's CPU; decision 001, 2026-11-30 late).
    this.steps = stepsBuiltHere ? (snapshot.steps as RunStep[]) : readSteps(snapshot.steps);
    this.calls = new Map(snapshot.toolCalls.map((c) => [c.key, c]));
    this.approvals = new Map(snapshot.approvals.map((a) => [a.id, a]));
    this.escalations = new Map(snapshot.escalations.map((e) => [e.id, e]));
  }

  /**
   * The run without its log, for recording how it ends when the log may be what cannot be read (a run
   * that failed to start because a step did not read must still be failed, not left for a crash loop).
   * Batches need only the run's seq; nothing that reads `steps` may be given this state.
   */
  /** A run this process has just created, from the records it built and committed. */
  static created(snapshot: RunSnapshot): RunState {
    return new RunState(snapshot, true);
  }

  static withoutLog(snapshot: RunSnapshot): RunState {
    return new RunState({ ...snapshot, steps: [] });
  }

  /** Starts a batch whose step seqs continue from the run's current seq. */
  batch(at: number): BatchBuilder {
    return new BatchBuilder(this.run.id, this.run.seq, at);
  }

  /** Writes the batch, then applies it here. On a store error nothing is applied. */
  async commit(
    store: Store,
    builder: BatchBuilder,
    transform?: (batch: CommitBatch) => CommitBatch,
  ): Promise<void> {
    const batch = transform ? transform(builder.build()) : builder.build();
    await store.commit(batch);
    this.apply(batch);
  }

  apply(batch: CommitBatch): void {
    // Typed when built (BatchBuilder.step); committing only scrubbed secret values out of strings.
    this.steps.push(...(batch.steps as RunStep[]));
    this.run = {
      ...this.run,
      ...(batch.run ?? {}),
      seq: batch.expectSeq + batch.steps.length,
      updatedAt: batch.at,
    };
    for (const c of batch.toolCalls ?? []) this.calls.set(c.key, c);
    for (const a of batch.approvals ?? []) this.approvals.set(a.record.id, a.record);
    for (const e of batch.escalations ?? []) this.escalations.set(e.record.id, e.record);
  }

  /** Calls of one model turn, in the order the model asked for them. */
  callsOfTurn(step: number): ToolCallRecord[] {
    const out: ToolCallRecord[] = [];
    for (const c of this.calls.values()) if (c.step === step) out.push(c);
    return out.sort((a, b) => a.index - b.index);
  }

  lastModelTurn(): RunStep<'model_turn'> | undefined {
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const s = this.steps[i]!;
      if (s.kind === 'model_turn') return s;
    }
    return undefined;
  }

  pendingEscalations(): EscalationRecord[] {
    return [...this.escalations.values()].filter((e) => e.status === 'pending');
  }

  pendingApprovals(): ApprovalRecord[] {
    return [...this.approvals.values()].filter((a) => a.status === 'pending');
  }

  /** What a paused run waits for, or 'running' when nothing blocks it. */
  blockedStatus(): 'escalated' | 'awaiting_approval' | 'running' {
    if (this.pendingEscalations().length > 0) return 'escalated';
    if (this.pendingApprovals().length > 0) return 'awaiting_approval';
    return 'running';
  }
}

/** Collects one atomic write. Step seqs are assigned in the order steps are added. */
export class BatchBuilder {
  private readonly steps: RunStep[] = [];
  private readonly callMap = new Map<string, ToolCallRecord>();
  private readonly approvals: NonNullable<CommitBatch['approvals']> = [];
  private readonly escalations: NonNullable<CommitBatch['escalations']> = [];
  private readonly audit: NewAuditEvent[] = [];
  private readonly notifications: OutboxRecord[] = [];
  private readonly tiers: NonNullable<CommitBatch['tiers']> = [];
  private patch: RunPatch = {};
  private durable = false;

  constructor(
    readonly runId: string,
    readonly expectSeq: number,
    readonly at: number,
  ) {}

  /** Adds a step of `kind`, its data checked against the kind's type; returns its seq. */
  step<K extends StepKind>(kind: K, data: StepData<K>): number {
    const seq = this.expectSeq + this.steps.length + 1;
    this.steps.push({ runId: this.runId, seq, kind, at: this.at, data } as RunStep);
    return seq;
  }

  /** The seq the next added step will get. */
  nextSeq(): number {
    return this.expectSeq + this.steps.length + 1;
  }

  call(record: ToolCallRecord): this {
    this.callMap.set(record.key, record);
    return this;
  }

  approval(record: ApprovalRecord, expectStatus?: ApprovalRecord['status']): this {
    this.approvals.push(expectStatus ? { record, expectStatus } : { record });
    return this;
  }

  escalation(record: EscalationRecord, expectStatus?: EscalationRecord['status']): this {
    this.escalations.push(expectStatus ? { record, expectStatus } : { record });
    return this;
  }

  /** A message to a person, sent by the outbox's senders once this batch commits (src/notifications/). */
  notification(record: OutboxRecord): this {
    this.notifications.push(record);
    return this;
  }

  /** A paused matter's tier: new, or moved on from exactly `expectTier`. */
  tier(record: DecisionTierRecord, expectTier?: number): this {
    this.tiers.push(expectTier === undefined ? { record } : { record, expectTier });
    return this;
  }

  auditEvent(event: Omit<NewAuditEvent, 'at' | 'runId'>): this {
    this.audit.push({ ...event, at: this.at, runId: this.runId });
    return this;
  }

  /** The batch must survive power loss before the caller goes on (it claims a non-idempotent call). */
  mustSurvivePowerLoss(): this {
    this.durable = true;
    return this;
  }

  set(patch: RunPatch): this {
    this.patch = { ...this.patch, ...patch };
    return this;
  }

  build(): CommitBatch {
    return {
      runId: this.runId,
      expectSeq: this.expectSeq,
      steps: this.steps,
      run: this.patch,
      toolCalls: [...this.callMap.values()],
      approvals: this.approvals,
      escalations: this.escalations,
      // Denials, drafts and escalations raised are audited from the steps that record them.
      audit: [...this.audit, ...auditFromSteps(this.steps)],
      ...(this.notifications.length > 0 ? { notifications: this.notifications } : {}),
      ...(this.tiers.length > 0 ? { tiers: this.tiers } : {}),
      at: this.at,
      ...(this.durable ? { durable: true } : {}),
    };
  }
}
