// Writing one batch: the fenced run update, then the steps and records, all inside the caller's
// transaction (or savepoint). Every check throws, so the caller's rollback undoes whatever ran before it.
import { NightshiftError } from '../../errors.js';
import { type BatchRecords, checkBatchShape } from '../batch-shape.js';
import {
  approvalNotPending,
  escalationNotPending,
  initialStepsMismatch,
  seqConflict,
  tierMoved,
} from '../errors.js';
import { sqliteDialect as d } from '../sql/dialect.js';
import * as outbox from '../sql/outbox.js';
import type { CommitBatch, RunRecord } from '../types.js';
import {
  approvalValues,
  escalationValues,
  PATCH_BIT,
  PATCH_FIELDS,
  type Row,
  rowToRun,
  runValues,
  stepValues,
  toolCallValues,
} from './rows.js';
import { run, type Statements } from './statements.js';

export function commitBatch(s: Statements, batch: CommitBatch): void {
  checkBatchShape(batch.runId, batch.expectSeq, batch);
  let mask = 0;
  const patch = batch.run as Record<string, unknown> | undefined;
  if (patch) {
    for (const field in patch) {
      if (patch[field] === undefined) continue;
      const bit = PATCH_BIT[field];
      if (bit === undefined) throw new NightshiftError('INTERNAL', `unknown run patch field '${field}'`);
      mask |= bit;
    }
  }
  const values: unknown[] = [batch.expectSeq + batch.steps.length, batch.at];
  if (mask !== 0) {
    for (let i = 0; i < PATCH_FIELDS.length; i++) {
      if (mask & (1 << i)) {
        const f = PATCH_FIELDS[i]!;
        values.push(f.encode(patch![f.field]));
      }
    }
  }
  values.push(batch.runId, batch.expectSeq);
  if (batch.lease) values.push(batch.lease.owner, batch.lease.epoch);
  // The fence: this UPDATE is the batch's first write, and it matches only while the run is still at
  // expectSeq (and, for a driver's batch, still held by its lease). SQLite serialises writers, so of two
  // batches at the same seq exactly one matches.
  if (s.runUpdate(mask, batch.lease !== undefined).run(values).changes !== 1) {
    throw seqConflict(batch);
  }
  writeRecords(s, batch);
}

/** Inserts a run with its first steps and records; an existing idempotency key wins and nothing is written. */
export function createRun(
  s: Statements,
  run: RunRecord,
  init: Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'>,
): { run: RunRecord; created: boolean } {
  checkBatchShape(run.id, 0, { ...init, runId: run.id });
  if (init.steps.length !== run.seq) {
    throw initialStepsMismatch(run.id, run.seq, init.steps.length);
  }
  if (s.insertRun.run(runValues(run)).changes === 0) {
    const existing = s.runByIdempotencyKey.get(run.idempotencyKey) as Row | undefined;
    if (!existing)
      throw new NightshiftError('INTERNAL', `createRun: run ${run.id} was neither inserted nor found`);
    return { run: rowToRun(existing), created: false };
  }
  writeRecords(s, { ...init, runId: run.id });
  return { run, created: true };
}

function writeRecords(s: Statements, r: BatchRecords): void {
  for (const step of r.steps) s.insertStep.run(stepValues(step));
  if (r.toolCalls) for (const c of r.toolCalls) s.upsertToolCall.run(toolCallValues(c));
  if (r.approvals) {
    for (const { record, expectStatus } of r.approvals) {
      const values = approvalValues(record);
      if (expectStatus === undefined) {
        s.upsertApproval.run(values);
      } else {
        values.push(expectStatus);
        if (s.updateApprovalIfStatus.run(values).changes !== 1) {
          throw approvalNotPending(record.id, expectStatus);
        }
      }
    }
  }
  if (r.escalations) {
    for (const { record, expectStatus } of r.escalations) {
      const values = escalationValues(record);
      if (expectStatus === undefined) {
        s.upsertEscalation.run(values);
      } else {
        values.push(expectStatus);
        if (s.updateEscalationIfStatus.run(values).changes !== 1) {
          throw escalationNotPending(record.id, expectStatus);
        }
      }
    }
  }
  for (const n of r.notifications ?? []) run(s, outbox.insertNotification(d, n));
  for (const { record, expectTier } of r.tiers ?? []) {
    if (expectTier === undefined) run(s, outbox.insertTier(d, record));
    else if (run(s, outbox.advanceTier(d, record, expectTier)).changes !== 1)
      throw tierMoved(record.decisionId, expectTier);
  }
  if (r.audit) s.audit.append(r.audit);
}
