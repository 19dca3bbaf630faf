// The two decision tools of a manager run that decides a drafted change set (the drafting role opted in
// with `manager.approveDrafts`), and how they are judged. `approval.approve` is judged as if the manager's
// role made every call of the change set itself (its rung, tools, scopes and escalation rules, lowered by
// the drafting run's delegation cap); one call beyond that and the approve escalates, so the change set
// goes up to people. Both write through the same code a person's approve/reject does (decide-approval.ts),
// signed by the manager, bound to the change-set hash the manager was shown.
import { z } from 'zod';
import { recordApproval, recordRejection } from '../approvals/decide-approval.js';
import type { Clock } from '../clock.js';
import { capAuthority, rungAsCapped } from '../engine/authority-cap.js';
import { judgeCall } from '../engine/judge.js';
import type { OwnJudgement, PreparedRole } from '../engine/prepare.js';
import { NightshiftError } from '../errors.js';
import type { ApprovalRecord, Store } from '../store/types.js';
import { defineTool } from '../tools/define.js';
import type { AnyTool } from '../tools/types.js';
import { withDecisionTools } from './decision-tools.js';

const Approve = z.object({ note: z.string().min(1).describe('why the change set may run') });
const Reject = z.object({ reason: z.string().min(1).describe('why not (the drafting agent is told)') });

const APPROVE = 'approval.approve';
const REJECT = 'approval.reject';
export const DRAFT_TOOL_NAMES = [APPROVE, REJECT] as const;

/** A manager run deciding one approval. */
export interface DecidingDraft {
  store: Store;
  clock: Clock;
  approvalId: string;
  /** `manager:<role>/<run id>`. */
  actor: string;
  /** The change-set hash in the manager run's input: what it was shown is what it may approve. */
  shownHash: string | undefined;
}

/** A manager's decision is the run's to drive on, never the manager's process: it goes on the queue. */
const QUEUE = { drive: 'queue' } as const;

async function pending(d: DecidingDraft): Promise<ApprovalRecord | { repeated: ApprovalRecord }> {
  const approval = await d.store.getApproval(d.approvalId);
  if (!approval) throw new NightshiftError('APPROVAL_NOT_FOUND', `no approval ${d.approvalId}`);
  // A re-run after a crash between the decision's commit and the tool's result: the decision stands.
  if (approval.status !== 'pending' && approval.decidedBy === d.actor) return { repeated: approval };
  if (approval.status !== 'pending')
    throw new NightshiftError(
      'APPROVAL_NOT_PENDING',
      `approval ${approval.id} is already ${approval.status}${approval.decidedBy ? ` by ${approval.decidedBy}` : ''}`,
    );
  return approval;
}

function bound(d: DecidingDraft, approval: ApprovalRecord): string | undefined {
  return approval.changeSetHash === d.shownHash
    ? undefined
    : `approval ${approval.id}: the change set is not the one this manager run was shown; nothing was approved`;
}

/** The two tools, bound to one manager run's approval. Idempotent, like the escalation tools. */
export function draftTools(d: DecidingDraft): AnyTool[] {
  const approve = defineTool({
    name: APPROVE,
    description:
      'Approve the drafted change set: every call in it runs once, exactly as drafted. Only within your own authority: if your own role could not make one of the calls, the approval is refused and the change set goes to people.',
    input: Approve,
    effect: 'external',
    idempotent: true,
    run: async ({ note }) => {
      const found = await pending(d);
      if ('repeated' in found) return decided(found.repeated, true);
      const mismatch = bound(d, found);
      if (mismatch) throw new NightshiftError('APPROVAL_MISMATCH', mismatch);
      const state = await recordApproval(d.store, d.clock, found, { by: d.actor, note, after: QUEUE });
      return { ...decided(found, false), decided: 'approved', status: state.run.status };
    },
  });
  const reject = defineTool({
    name: REJECT,
    description:
      'Reject the drafted change set: none of its calls runs; the drafting agent is told why and continues.',
    input: Reject,
    effect: 'external',
    idempotent: true,
    run: async ({ reason }) => {
      const found = await pending(d);
      if ('repeated' in found) return decided(found.repeated, true);
      const state = await recordRejection(d.store, d.clock, found, {
        by: d.actor,
        note: reason,
        after: QUEUE,
      });
      return { ...decided(found, false), decided: 'rejected', status: state.run.status };
    },
  });
  return [approve, reject];
}

function decided(a: ApprovalRecord, repeated: boolean) {
  return { decided: a.status, approvalId: a.id, runId: a.runId, ...(repeated ? { repeated } : {}) };
}

/** The verdict on a draft decision tool call (undefined for any other call: the manager's policy judges it). */
export async function judgeDraftDecision(
  d: DecidingDraft,
  manager: PreparedRole,
  request: { tool: string; args: unknown },
): Promise<OwnJudgement | undefined> {
  if (request.tool !== APPROVE && request.tool !== REJECT) return undefined;
  const parsed = (request.tool === APPROVE ? Approve : Reject).safeParse(request.args);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ');
    return deny(`invalid arguments for ${request.tool}: ${why}`);
  }
  const approval = await d.store.getApproval(d.approvalId);
  if (!approval) return deny(`approval ${d.approvalId} does not exist`);
  if (approval.status !== 'pending')
    return deny(`approval ${approval.id} is already ${approval.status} by ${approval.decidedBy}`);
  if (request.tool === REJECT)
    return {
      verdict: { decision: 'allow', reason: `the manager decides approval ${approval.id}` },
      parsedArgs: parsed.data,
    };
  const mismatch = bound(d, approval);
  if (mismatch) return deny(mismatch);
  return { verdict: await withinAuthority(d.store, manager, approval), parsedArgs: parsed.data };
}

/**
 * The manager's policy on every call of the change set, as if it made them, at no more than the drafting
 * run's delegation cap (a manager never lifts the cap an orchestrator put on its specialist): all allowed,
 * or the approve escalates, saying which calls are beyond the manager and why.
 */
async function withinAuthority(
  store: Store,
  manager: PreparedRole,
  approval: ApprovalRecord,
): Promise<OwnJudgement['verdict']> {
  const drafted = await store.getRun(approval.runId);
  if (!drafted) throw new NightshiftError('RUN_NOT_FOUND', `no run ${approval.runId}`);
  const as = capAuthority(manager, drafted);
  const beyond: string[] = [];
  for (const call of approval.calls) {
    const { verdict } = await judgeCall(as, { tool: call.tool, args: call.args }, drafted.input);
    if (verdict.decision !== 'allow')
      beyond.push(`${call.tool} (${call.key}) would be ${VERDICT_WORD[verdict.decision]}: ${verdict.reason}`);
  }
  const role = `as the manager's role (${as.role.name}, ${rungAsCapped(manager, as)})`;
  if (beyond.length === 0)
    return {
      decision: 'allow',
      reason: `all ${approval.calls.length} call(s) of approval ${approval.id} are within the manager's authority ${role}`,
    };
  // Beyond the manager, even a call its role may not make at all: the change set goes up to people.
  return {
    decision: 'escalate',
    reason: `approval ${approval.id} is beyond the manager's authority ${role}: ${beyond.join('; ')}`,
  };
}

const VERDICT_WORD = { deny: 'denied', draft: 'drafted', escalate: 'escalated' } as const;

function deny(reason: string): OwnJudgement {
  return { verdict: { decision: 'deny', reason }, parsedArgs: undefined };
}

const DRAFT_BRIEF = `

You are deciding a drafted change set as the drafting role's manager agent. The input says which role drafted it, the run's input, the exact calls with their arguments, and what the run did so far. Decide with exactly one of approval.approve or approval.reject, or call escalate to pass the change set to people when it is beyond you; then give a short final answer saying what you decided and why.`;

/** The manager's prepared role for one draft-deciding run: its own tools, plus the two decision tools. */
export function draftManagerPrepared(manager: PreparedRole, d: DecidingDraft): PreparedRole {
  return withDecisionTools(manager, draftTools(d), DRAFT_BRIEF, (request) =>
    judgeDraftDecision(d, manager, request),
  );
}
