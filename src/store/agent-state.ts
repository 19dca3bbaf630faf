// How an AgentRecord is laid out in both stores: the lease columns (owner, lease_until, heartbeat_at) are
// real columns, because leases are claimed with conditional UPDATEs; everything else is one JSON `state`
// value, written whole by the lease holder.
import type { AgentRecord } from './types.js';

export type AgentState = Omit<
  AgentRecord,
  'role' | 'owner' | 'leaseUntil' | 'heartbeatAt' | 'startedAt' | 'updatedAt' | 'takenOver'
>;

export function newAgentState(): AgentState {
  return {
    status: 'idle',
    takeovers: 0,
    restarts: 0,
    failures: 0,
    nextAttemptAt: null,
    context: null,
    runId: null,
    lastError: null,
    escalationId: null,
  };
}

export function agentState(a: AgentRecord): AgentState {
  return {
    status: a.status,
    takeovers: a.takeovers,
    restarts: a.restarts,
    failures: a.failures,
    nextAttemptAt: a.nextAttemptAt,
    context: a.context ?? null,
    runId: a.runId,
    lastError: a.lastError,
    escalationId: a.escalationId,
    // Only once there is one, so agents of roles that never ran an executor keep their stored shape.
    ...(a.thread ? { thread: a.thread } : {}),
  };
}

export function agentFromColumns(c: {
  role: string;
  owner: string | null;
  leaseUntil: number | null;
  heartbeatAt: number | null;
  state: AgentState;
  startedAt: number;
  updatedAt: number;
}): AgentRecord {
  return {
    ...newAgentState(),
    ...c.state,
    role: c.role,
    owner: c.owner,
    leaseUntil: c.leaseUntil,
    heartbeatAt: c.heartbeatAt,
    startedAt: c.startedAt,
    updatedAt: c.updatedAt,
  };
}

/**
 * The agent leased to `owner` until `until`, if its lease is free, expired, or already owner's; else
 * undefined. Taking it from an expired holder counts a takeover.
 */
export function leaseAgent(
  agent: AgentRecord,
  owner: string,
  until: number,
  now: number,
  deadOwner?: string,
): AgentRecord | undefined {
  const free =
    agent.owner === null ||
    agent.owner === owner ||
    (agent.leaseUntil ?? 0) < now ||
    (deadOwner !== undefined && agent.owner === deadOwner);
  if (!free) return undefined;
  const takenOver = agent.owner !== null && agent.owner !== owner;
  return {
    ...agent,
    owner,
    leaseUntil: until,
    heartbeatAt: now,
    takeovers: agent.takeovers + (takenOver ? 1 : 0),
    updatedAt: now,
    takenOver,
  };
}
