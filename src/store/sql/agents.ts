// The continuous agents' statements, for both stores (see dialect.ts). The lease columns are real
// columns, claimed with conditional UPDATEs; the rest of the agent is one JSON `state` (agent-state.ts).
import { type AgentState, agentFromColumns, agentState } from '../agent-state.js';
import type { AgentRecord } from '../types.js';
import type { Dialect, Query } from './dialect.js';

/** Creates the role's agent, free and idle, unless it exists. */
export function insertAgentIfMissing(d: Dialect, role: string, state: AgentState, now: number): Query {
  return {
    text: `INSERT INTO agents (role, owner, lease_until, heartbeat_at, state, started_at, updated_at)
      VALUES (${d.param(1)}, NULL, NULL, NULL, ${d.param(2)}, ${d.param(3)}, ${d.param(4)}) ON CONFLICT (role) DO NOTHING`,
    params: [role, JSON.stringify(state), now, now],
  };
}

export function agentByRole(d: Dialect, role: string, forUpdate = false): Query {
  return {
    text: `SELECT * FROM agents WHERE role = ${d.param(1)}${forUpdate ? d.forUpdate : ''}`,
    params: [role],
  };
}

/** Writes a lease taken by `leaseAgent` (the caller checked, in this transaction, that it was free). */
export function writeLease(
  d: Dialect,
  claimed: AgentRecord,
  owner: string,
  until: number,
  now: number,
): Query {
  return {
    text: `UPDATE agents SET owner = ${d.param(1)}, lease_until = ${d.param(2)}, heartbeat_at = ${d.param(3)},
      state = ${d.param(4)}, updated_at = ${d.param(5)} WHERE role = ${d.param(6)}`,
    params: [owner, until, now, JSON.stringify(agentState(claimed)), now, claimed.role],
  };
}

/**
 * Renews `owner`'s leases on these roles; returns (RETURNING) the roles still held. A late heartbeat does
 * not move the lease end or the heartbeat time back: heartbeats are sent on a timer without waiting for the
 * last one, on the renewals' own pool, so on a slow database an older one can be applied after a newer one.
 * A stored value is kept only while it is less than one lease length ahead of this heartbeat's, though: a
 * late heartbeat is a beat or two behind, a clock that was stepped forward and back is far more, and keeping
 * an end from the stepped clock would let a dead holder keep the agent for the size of the step.
 */
export function heartbeat(
  d: Dialect,
  owner: string,
  roles: readonly string[],
  until: number,
  now: number,
): Query {
  const leaseMs = Math.max(0, until - now);
  return {
    text: `UPDATE agents SET
      lease_until = CASE WHEN lease_until > ${d.param(1)} AND lease_until < ${d.param(2)} THEN lease_until ELSE ${d.param(3)} END,
      heartbeat_at = CASE WHEN heartbeat_at > ${d.param(4)} AND heartbeat_at < ${d.param(5)} THEN heartbeat_at ELSE ${d.param(6)} END
      WHERE owner = ${d.param(7)} AND role ${d.anyOf(8)} RETURNING role`,
    params: [until, until + leaseMs, until, now, now + leaseMs, now, owner, d.list(roles)],
  };
}

/** Saves the agent's state if `owner` still holds it: one row returned, none if the lease was lost. */
export function saveAgent(d: Dialect, agent: AgentRecord, owner: string): Query {
  return {
    text: `UPDATE agents SET state = ${d.param(1)}, updated_at = ${d.param(2)}
      WHERE role = ${d.param(3)} AND owner = ${d.param(4)} RETURNING role`,
    params: [JSON.stringify(agentState(agent)), agent.updatedAt, agent.role, owner],
  };
}

export function releaseAgent(d: Dialect, role: string, owner: string): Query {
  return {
    text: `UPDATE agents SET owner = NULL, lease_until = NULL WHERE role = ${d.param(1)} AND owner = ${d.param(2)}`,
    params: [role, owner],
  };
}

export const LIST_AGENTS = 'SELECT * FROM agents ORDER BY role';

export function toAgent(d: Dialect, r: Record<string, unknown>): AgentRecord {
  return agentFromColumns({
    role: r.role as string,
    owner: (r.owner as string | null) ?? null,
    leaseUntil: (r.lease_until as number | null) ?? null,
    heartbeatAt: (r.heartbeat_at as number | null) ?? null,
    state: d.decodeJson(r.state) as AgentState,
    startedAt: r.started_at as number,
    updatedAt: r.updated_at as number,
  });
}
