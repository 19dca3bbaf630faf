// The audit log's vocabulary: every action an entry can record, and the entries derived from the step
// log. Human decisions, cancels and run creation are written by the code that makes them (decide-approval,
// answer, cancel, start); what the engine decided on its own (a denial, a draft, an escalation raised) is
// read off the batch's steps, so no engine path has to remember to audit it.
import type { RunStep } from '../steps/types.js';
import type { NewAuditEvent, RoleVersionRecord } from '../store/types.js';

export const AUDIT_ACTIONS = {
  runCreated: 'run.created',
  runCancelled: 'run.cancelled',
  /** A tool call the policy denied (actor `policy`; data: key, tool, reason, rule). */
  policyDenied: 'policy.denied',
  /** A change set drafted for approval (actor `policy`; target: the approval id). */
  approvalRequested: 'approval.requested',
  approvalApproved: 'approval.approved',
  approvalRejected: 'approval.rejected',
  /** An escalation hop raised (actor `policy`, or `system` for an input rule; target: its id). */
  escalationRaised: 'escalation.raised',
  escalationAnswered: 'escalation.answered',
  /** An escalation went on along its path: to a manager agent or to people (data: to, why, manager run). */
  escalationPassed: 'escalation.passed',
  /** A drafted change set went on along its path: to the manager agent that approves drafts, or to people. */
  approvalPassed: 'approval.passed',
  /** A role version the store had not seen (run-less; target: the role's name; data: version). */
  roleVersionSeen: 'role.version_seen',
  /**
   * A role version made the active one, the one new runs get (src/versions/; run-less; actor: who promoted
   * or granted it; target: the role; data: promotion, from, to, requestedBy, evidence, widening, note).
   */
  roleVersionPromoted: 'role.version_promoted',
  /** The active version went back to the one before it (rollback; data as for a promotion). */
  roleVersionRolledBack: 'role.version_rolled_back',
  /** A promotion (or rollback) that waits for a person: it widens authority, or its asker may not decide. */
  promotionRequested: 'role.promotion_requested',
  /** A pending promotion refused (data as for a promotion; note: why). */
  promotionRefused: 'role.promotion_refused',
} as const;

export const ROLE_VERSION_SEEN = AUDIT_ACTIONS.roleVersionSeen;

export const roleVersionSeenData = (version: string): Record<string, unknown> => ({ version });

export function roleVersionSeen(r: RoleVersionRecord): NewAuditEvent {
  return {
    at: r.createdAt,
    actor: 'system',
    action: ROLE_VERSION_SEEN,
    runId: null,
    target: r.name,
    data: roleVersionSeenData(r.version),
  };
}

/** The audit entries a batch's steps imply: denials, drafts, escalations raised. */
export function auditFromSteps(steps: readonly RunStep[]): NewAuditEvent[] {
  const out: NewAuditEvent[] = [];
  for (const s of steps) {
    const base = { at: s.at, runId: s.runId };
    if (s.kind === 'decision' && s.data.decision === 'deny') {
      out.push({
        ...base,
        actor: 'policy',
        action: AUDIT_ACTIONS.policyDenied,
        target: s.data.key,
        data: { tool: s.data.tool, reason: s.data.reason, ...(s.data.rule ? { rule: s.data.rule } : {}) },
      });
    } else if (s.kind === 'approval_requested') {
      out.push({
        ...base,
        actor: 'policy',
        action: AUDIT_ACTIONS.approvalRequested,
        target: s.data.approvalId,
        data: { callKeys: s.data.callKeys },
      });
    } else if (s.kind === 'escalation_hop') {
      out.push({
        ...base,
        actor: s.data.by,
        action: AUDIT_ACTIONS.escalationPassed,
        target: s.data.escalationId,
        data: {
          to: s.data.to,
          why: s.data.why,
          ...(s.data.managerRunId ? { manager: s.data.manager, managerRunId: s.data.managerRunId } : {}),
        },
      });
    } else if (s.kind === 'approval_hop') {
      out.push({
        ...base,
        actor: s.data.by,
        action: AUDIT_ACTIONS.approvalPassed,
        target: s.data.approvalId,
        data: {
          to: s.data.to,
          why: s.data.why,
          ...(s.data.managerRunId ? { manager: s.data.manager, managerRunId: s.data.managerRunId } : {}),
        },
      });
    } else if (s.kind === 'escalation_raised') {
      out.push({
        ...base,
        actor: s.data.source === 'input_rule' ? 'system' : 'policy',
        action: AUDIT_ACTIONS.escalationRaised,
        target: s.data.escalationId,
        data: {
          category: s.data.category,
          reason: s.data.reason,
          source: s.data.source,
          callKey: s.data.callKey,
        },
      });
    }
  }
  return out;
}
