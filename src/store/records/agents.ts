// Continuous roles: the one long-lived agent per role, and the inbox of events it handles in order.
import type { RunError } from './run.js';

export type AgentStatus = 'idle' | 'working' | 'waiting' | 'backoff' | 'escalated';

/** A continuous role's long-lived agent: its lease, heartbeat, restarts and persistent context. */
export interface AgentRecord {
  role: string;
  status: AgentStatus;
  owner: string | null;
  leaseUntil: number | null;
  heartbeatAt: number | null;
  /** Times a worker took the agent over from a holder whose lease had expired (it died or hung). */
  takeovers: number;
  /** Times the agent was restarted after its handling of an event failed. */
  restarts: number;
  /** Failures in a row; reset by a handled event; at the role's limit the agent escalates. */
  failures: number;
  /** In backoff: not before this time. */
  nextAttemptAt: number | null;
  /** The persistent context every handled event may update (the run output's `context`). */
  context: unknown;
  /**
   * The executor thread (Claude Code session, Codex thread) the agent's events continue, saved with the
   * context when an event is handled; absent until an executor session has run for the agent.
   */
  thread?: AgentThread | null;
  /** The run handling the current inbox item, if any. */
  runId: string | null;
  lastError: RunError | null;
  /** The escalation raised after too many failures; answering it lets the agent try again. */
  escalationId: string | null;
  /** Set by claimAgent when the lease was taken from an expired holder. */
  takenOver?: boolean;
  startedAt: number;
  updatedAt: number;
}

/** A continuous agent's conversation with its executor CLI (decision 028). */
export interface AgentThread {
  /** The executor that made it (`claude-code`, `codex`): another executor's thread is not resumed. */
  executor: string;
  /** The CLI's id for it (Claude Code's session id, Codex's thread id). */
  id: string;
}

export interface InboxItem {
  id: string;
  role: string;
  event: string;
  payload: unknown;
  idempotencyKey: string | null;
  createdAt: number;
  handledAt: number | null;
  runId: string | null;
}
