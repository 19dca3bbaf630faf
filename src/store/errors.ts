// The refusals every store makes, built in one place so both backends throw the same code, message and
// `details` (test/contract/store.ts compares them). Failures of the backend itself (a lost connection,
// a full disk) stay with each backend: sqlite/store-error.ts, postgres/store-error.ts.
import { NightshiftError } from '../errors.js';
import type { CommitBatch } from './types.js';

/**
 * The fence did not match: the run is not at `expectSeq` (another worker advanced it, or it does not
 * exist), or the batch's lease was taken over. The engine reads STORE_CONFLICT as "someone else has this
 * run" and stops quietly.
 */
export function seqConflict(batch: Pick<CommitBatch, 'runId' | 'expectSeq' | 'lease'>): NightshiftError {
  const { runId, expectSeq, lease } = batch;
  return new NightshiftError(
    'STORE_CONFLICT',
    lease
      ? `run ${runId} is not at seq ${expectSeq} or no longer leased to ${lease.owner} (epoch ${lease.epoch}): another worker took it over or advanced it; nothing from this batch was written`
      : `run ${runId} is not at seq ${expectSeq} (another worker advanced it, or it does not exist); nothing from this batch was written`,
    {
      details: { runId, expectSeq, ...(lease ? { lease: { owner: lease.owner, epoch: lease.epoch } } : {}) },
    },
  );
}

/** An approval precondition (`expectStatus`) failed: someone decided it first. */
export function approvalNotPending(approvalId: string, expectStatus: string): NightshiftError {
  return new NightshiftError(
    'APPROVAL_NOT_PENDING',
    `approval ${approvalId} is no longer ${expectStatus} (someone decided it first); nothing from this batch was written`,
    { details: { approvalId, expectStatus } },
  );
}

/** An escalation precondition (`expectStatus`) failed: someone answered it first. */
export function escalationNotPending(escalationId: string, expectStatus: string): NightshiftError {
  return new NightshiftError(
    'ESCALATION_NOT_PENDING',
    `escalation ${escalationId} is no longer ${expectStatus} (someone answered it first); nothing from this batch was written`,
    { details: { escalationId, expectStatus } },
  );
}

/** createRun was given a run whose `seq` is not the number of its initial steps: a caller's bug. */
export function initialStepsMismatch(runId: string, seq: number, steps: number): NightshiftError {
  return new NightshiftError(
    'INTERNAL',
    `createRun: run ${runId} has seq ${seq} but ${steps} initial steps`,
    { details: { runId, seq, steps } },
  );
}

/** A tier that another sweeper (or a decision) moved first: this batch wrote nothing. */
export function tierMoved(decisionId: string, expectTier: number): NightshiftError {
  return new NightshiftError(
    'STORE_CONFLICT',
    `decision ${decisionId} is no longer at tier ${expectTier} (another sweeper passed it on); nothing from this batch was written`,
    { details: { decisionId, expectTier } },
  );
}
