// Whose manager agent an escalation of a run goes to, and so which way a new escalation is routed.
import { ID_PREFIX, isIdOf } from '../clock.js';
import type { EscalationRoute } from '../escalations/raise.js';
import type { ManagerSettings, RoleSettings } from '../roles/settings.js';
import type { RunRecord } from '../store/types.js';
import type { InheritedManager } from './inherit.js';

/**
 * The manager agent of a run of `role`: the role's own `manager:`, else the one it inherits from its
 * orchestrator (`inherited`, resolved from the store once, before the run is driven: inherit.ts), so this
 * stays synchronous (escalations are routed while a batch is being built).
 */
export function managerFor(
  role: Pick<RoleSettings, 'manager'>,
  inherited?: InheritedManager,
): ManagerSettings | undefined {
  return role.manager ?? inherited?.settings;
}

/** Which way a new escalation of a run goes (see raiseEscalation). */
export function routeFor(
  role: Pick<RoleSettings, 'manager'>,
  run: Pick<RunRecord, 'id' | 'idempotencyKey'> | undefined,
  inherited?: InheritedManager,
): EscalationRoute {
  if (run && isManagerRunKey(run.idempotencyKey)) return 'none';
  return managerFor(role, inherited) ? 'manager' : 'humans';
}

/**
 * The manager agent that approves a run's drafts: only the drafting role's own `manager:` with
 * `approveDrafts: true` (an inherited manager never approves a specialist's drafts: the specialist did not
 * opt in), and never for a manager run's own drafts. Undefined: drafts go to people.
 */
export function draftManagerFor(
  role: Pick<RoleSettings, 'manager'>,
  run: Pick<RunRecord, 'idempotencyKey'>,
): ManagerSettings | undefined {
  if (isManagerRunKey(run.idempotencyKey)) return undefined;
  return role.manager?.approveDrafts === true ? role.manager : undefined;
}

/**
 * The idempotency key of the manager run deciding `subjectId` (an escalation, or an approval when its
 * manager approves drafts): one run per matter, ever.
 */
export function managerRunKey(subjectId: string): string {
  return `${MANAGER_KEY_PREFIX}${subjectId}`;
}

const MANAGER_KEY_PREFIX = 'manager:';

export function isManagerRunKey(key: string | null | undefined): key is string {
  return typeof key === 'string' && key.startsWith(MANAGER_KEY_PREFIX);
}

/** What a manager run decides (an escalation or an approval id), from its key; undefined for other runs. */
export function subjectOfManagerRun(run: Pick<RunRecord, 'idempotencyKey'>): string | undefined {
  return isManagerRunKey(run.idempotencyKey)
    ? run.idempotencyKey.slice(MANAGER_KEY_PREFIX.length)
    : undefined;
}

/** The escalation a manager run decides, from its idempotency key; undefined for any other run. */
export function escalationOfManagerRun(run: Pick<RunRecord, 'idempotencyKey'>): string | undefined {
  const subject = subjectOfManagerRun(run);
  return subject !== undefined && isIdOf('approval', subject) ? undefined : subject;
}

/** The approval (drafted change set) a manager run decides; undefined for any other run. */
export function approvalOfManagerRun(run: Pick<RunRecord, 'idempotencyKey'>): string | undefined {
  const subject = subjectOfManagerRun(run);
  return subject !== undefined && isIdOf('approval', subject) ? subject : undefined;
}

/**
 * The manager run's id, derived from the matter's, so a repeated start finds the same run:
 * `run_mgr_<escalation id without esc_>`, or `run_mgr_apr_…` for an approval.
 */
export function managerRunId(subjectId: string): string {
  const bare = isIdOf('escalation', subjectId) ? subjectId.slice(ID_PREFIX.escalation.length + 1) : subjectId;
  return `${ID_PREFIX.run}_mgr_${bare}`;
}

/** How a manager agent's decisions are signed in logs and the audit log. */
export function managerActor(managerRole: string, managerRunId: string): string {
  return `manager:${managerRole}/${managerRunId}`;
}

/** Whether a decision was signed by a manager agent (managerActor), not by a person. */
export function isManagerActor(actor: string | null | undefined): boolean {
  return typeof actor === 'string' && actor.startsWith('manager:');
}
