// Drafted calls of a turn filed as one change set for a human (or, when the role opts in, its manager
// agent) to approve or reject (approvals/): the
// approval binds to their argument hashes, so what runs after approval is exactly what was shown.

import { changeSetHash } from '../approvals/change-set.js';
import { ID_PREFIX } from '../clock.js';
import { draftManagerFor } from '../managers/manager-for.js';
import { enqueueHumanNotifications } from '../notifications/enqueue.js';
import { pendingApproval } from '../notifications/pending.js';
import type { ApprovalRecord, ToolCallRecord } from '../store/types.js';
import type { DrivenRun } from './driven-run.js';

export async function requestApproval(run: DrivenRun, calls: ToolCallRecord[]): Promise<void> {
  const { state, prepared } = run;
  const b = run.batch();
  const id = run.ctx.ids.next(ID_PREFIX.approval);
  const role = prepared.role;
  const approval: ApprovalRecord = {
    id,
    runId: state.run.id,
    role: role.name,
    roleVersion: state.run.roleVersion,
    autonomy: role.autonomy,
    status: 'pending',
    callKeys: calls.map((c) => c.key),
    changeSetHash: changeSetHash(calls),
    calls: calls.map((c) => ({
      key: c.key,
      tool: c.tool,
      args: c.args,
      effect: prepared.tools.get(c.tool)?.effect ?? 'external',
      reason: c.reason,
    })),
    requestedAt: b.at,
    decidedAt: null,
    decidedBy: null,
    note: null,
  };
  b.approval(approval);
  // A role whose manager approves its drafts (`manager.approveDrafts`) sends the change set to the manager
  // first: its run is started right after this commit, idempotently (managers/draft-path.ts), and people
  // are told only if it passes the change set up. Otherwise the people the role names are told in this
  // same commit (the outbox): a crash loses no notification.
  if (!draftManagerFor(role, state.run)) {
    enqueueHumanNotifications(b, pendingApproval(approval), 0, {
      escalate: role.escalate,
      people: run.ctx.people,
    });
  }
  for (const c of calls) b.call({ ...c, approvalId: id });
  b.step('approval_requested', { approvalId: id, callKeys: calls.map((c) => c.key) });
  if (state.run.status !== 'escalated') b.set({ status: 'awaiting_approval' });
  await run.commit(b);
}
