// Whose manager agent an escalation of a run goes to, and so which way a new escalation is routed.
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

/** The idempotency key of the manager run deciding `escalationId`: one run per escalation, ever. */
export function managerRunKey(escalationId: string): string {
  return `${MANAGER_KEY_PREFIX}${escalationId}`;
}

const MANAGER_KEY_PREFIX = 'manager:';

export function isManagerRunKey(key: string | null | undefined): key is string {
  return typeof key === 'string' && key.startsWith(MANAGER_KEY_PREFIX);
}

/** The escalation a manager run decides, from its idempotency key; undefined for any other run. */
export function escalationOfManagerRun(run: Pick<RunRecord, 'idempotencyKey'>): string | undefined {
  return isManagerRunKey(run.idempotencyKey)
    ? run.idempotencyKey.slice(MANAGER_KEY_PREFIX.length)
    : undefined;
}

/** The manager run's id, derived from the escalation's, so a repeated start finds the same run. */
export function managerRunId(escalationId: string): string {
  return `run_mgr_${escalationId.replace(/^esc_/, '')}`;
}

/** How a manager agent's decisions are signed in logs and the audit log. */
export function managerActor(managerRole: string, managerRunId: string): string {
  return `manager:${managerRole}/${managerRunId}`;
}
