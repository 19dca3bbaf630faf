// Approving or rejecting a change set. Approval binds to the exact drafted calls: their argument hashes
// are checked again here, and anything that does not match fails closed instead of running.
import type { Clock } from '../clock.js';
import { decidedArgs } from '../engine/call-args.js';
import { decideAgainIfRaced } from '../engine/decide-again.js';
import type { RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import type { PeopleDirectory } from '../people/config.js';
import { checkMayDecide } from '../people/may-decide.js';
import { approvalNotPending } from '../store/errors.js';
import type { ApprovalRecord, Store } from '../store/types.js';
import type { Redactor } from '../tools/secrets.js';
import { checkActor, type NightshiftSigned } from './actor.js';
import { changeSetHash } from './change-set.js';
import { type AfterDecision, loadPausedRun, runAfterDecision } from './paused-run.js';

export interface ApprovalDecisionInput extends NightshiftSigned {
  approvalId: string;
  by: string | undefined;
  /** Approve: an optional note. Reject: the reason, required. */
  note?: string | undefined;
  /**
   * Approve: puts the role's secret values back into the drafted calls' stored (redacted) arguments, so
   * they can be checked against their hashes here. Without it, or for a secret not set in this process,
   * the check is left to the worker, which makes it before each call runs.
   */
  reveal?: Redactor | undefined;
  /** The configured people: `by` must be one who may decide the approval's role (none: anyone may). */
  people?: PeopleDirectory | undefined;
  /** Who drives the run on once it is runnable again. */
  after?: AfterDecision | undefined;
}

async function readPendingApproval(
  store: Store,
  id: string,
  by: string,
  people: PeopleDirectory | undefined,
): Promise<ApprovalRecord> {
  const approval = await store.getApproval(id);
  if (!approval) throw new NightshiftError('APPROVAL_NOT_FOUND', `no approval ${id} (see nightshift inbox)`);
  if (approval.status !== 'pending') {
    throw new NightshiftError(
      'APPROVAL_NOT_PENDING',
      `approval ${id} is already ${approval.status}${approval.decidedBy ? ` by ${approval.decidedBy}` : ''}`,
    );
  }
  checkMayDecide(people, by, approval.role, `approval ${id}`);
  return approval;
}

/** Approves: the drafted calls become pending and run exactly once when the run is driven next. */
export async function approve(store: Store, clock: Clock, input: ApprovalDecisionInput): Promise<RunState> {
  const by = checkActor(input.by, input);
  return decideAgainIfRaced(async () => {
    const approval = await readPendingApproval(store, input.approvalId, by, input.people);
    return recordApproval(store, clock, approval, {
      by,
      note: input.note,
      reveal: input.reveal,
      after: input.after,
    });
  });
}

/** How a decision on a pending approval is recorded, once who decides has been checked. */
export interface ApprovalDecided {
  /** A person's checked name, or a manager agent's `manager:<role>/<run id>`. */
  by: string;
  note?: string | undefined;
  reveal?: Redactor | undefined;
  after?: AfterDecision | undefined;
}

/**
 * The approval's write, whoever decided (a person through approve(), a manager agent through its
 * `approval.approve`): the drafted calls checked against the change-set hash, then the approval, the calls
 * released and the run's status in one commit, conditional on the approval still being pending.
 */
export async function recordApproval(
  store: Store,
  clock: Clock,
  approval: ApprovalRecord,
  input: ApprovalDecided,
): Promise<RunState> {
  const { by } = input;
  const state = await loadPausedRun(store, clock, approval.runId);
  const calls = approval.callKeys.map((k) => state.calls.get(k));
  for (const [i, call] of calls.entries()) {
    const key = approval.callKeys[i];
    // Its own call no longer drafted: this approval was decided since it was read (a second decider
    // racing; decide-again.ts reads afresh), which the loser hears as the approval no longer pending.
    if (call !== undefined && call.approvalId === approval.id && call.status !== 'drafted')
      throw approvalNotPending(approval.id, 'pending');
    if (call?.status !== 'drafted' || call.approvalId !== approval.id) {
      throw new NightshiftError(
        'APPROVAL_MISMATCH',
        `approval ${approval.id}: call ${key} is no longer a pending draft; nothing was run`,
      );
    }
    const decided = decidedArgs(call, input.reveal);
    if (!decided.ok && decided.why === 'mismatch') {
      throw new NightshiftError(
        'APPROVAL_MISMATCH',
        `approval ${approval.id}: call ${key} changed since it was drafted; nothing was run`,
      );
    }
  }
  const drafted = calls.map((c) => c!);
  if (changeSetHash(drafted) !== approval.changeSetHash) {
    throw new NightshiftError(
      'APPROVAL_MISMATCH',
      `approval ${approval.id}: the change set changed since it was drafted; nothing was run`,
    );
  }
  const b = state.batch(clock.now());
  const decided: ApprovalRecord = {
    ...approval,
    status: 'approved',
    decidedAt: b.at,
    decidedBy: by,
    note: input.note ?? null,
  };
  b.approval(decided, 'pending');
  for (const call of drafted)
    b.call({ ...call, status: 'pending', reason: `${call.reason}; approved by ${by}` });
  b.step('approval_decided', { approvalId: approval.id, decision: 'approved', by, note: input.note ?? null });
  b.auditEvent({
    actor: by,
    action: 'approval.approved',
    target: approval.id,
    data: { callKeys: approval.callKeys, note: input.note ?? null },
  });
  // The run is runnable again unless something else (an escalation) still blocks it.
  b.set(runAfterDecision(state, { approvalId: approval.id }, input.after ?? {}));
  // The run as this decision left it (handed back, a worker may have taken it on already).
  await state.commit(store, b);
  return state;
}

/** Rejects: the drafted calls never run; the model sees the reason as their result and continues. */
export async function reject(store: Store, clock: Clock, input: ApprovalDecisionInput): Promise<RunState> {
  const by = checkActor(input.by, input);
  const reason = (input.note ?? '').trim();
  if (reason === '')
    throw new NightshiftError('USAGE', 'rejecting needs a reason (--reason TEXT): the agent is told why');
  return decideAgainIfRaced(async () => {
    const approval = await readPendingApproval(store, input.approvalId, by, input.people);
    return recordRejection(store, clock, approval, { by, note: reason, after: input.after });
  });
}

/** The rejection's write, whoever decided: the drafted calls never run; `note` is the reason. */
export async function recordRejection(
  store: Store,
  clock: Clock,
  approval: ApprovalRecord,
  input: ApprovalDecided & { note: string },
): Promise<RunState> {
  const { by, note: reason } = input;
  const state = await loadPausedRun(store, clock, approval.runId);
  const b = state.batch(clock.now());
  b.approval({ ...approval, status: 'rejected', decidedAt: b.at, decidedBy: by, note: reason }, 'pending');
  for (const key of approval.callKeys) {
    const call = state.calls.get(key);
    if (call?.status !== 'drafted') continue;
    b.call({
      ...call,
      status: 'rejected',
      result: { rejected: true, by, reason },
      isError: true,
      finishedAt: b.at,
    });
  }
  b.step('approval_decided', { approvalId: approval.id, decision: 'rejected', by, note: reason });
  b.auditEvent({ actor: by, action: 'approval.rejected', target: approval.id, data: { reason } });
  b.set(runAfterDecision(state, { approvalId: approval.id }, input.after ?? {}));
  // The run as this decision left it (handed back, a worker may have taken it on already).
  await state.commit(store, b);
  return state;
}
