// The notification outbox: one row per message to one destination, written in the same commit as the
// pause that asks a human (so a crash loses none), then claimed by a sender with a lease, sent, marked.
// And each paused matter's tier: which tier was asked, and when it passes to the next.
import type { DecisionKind, Notification, PendingDecision } from '../../notifications/types.js';

export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'cancelled';

export interface OutboxRecord {
  /** Stable across retries and resends: the channel's idempotency key (Notification.id). */
  id: string;
  runId: string;
  decisionKind: DecisionKind;
  decisionId: string;
  /** Which tier of the role's `escalate:` path this message belongs to (0 first). */
  tier: number;
  channel: Notification['channel'];
  to: string;
  people: string[];
  decision: PendingDecision;
  status: OutboxStatus;
  /** Sending attempts started so far (a claim counts one, so a sender that died mid-send counts too). */
  attempt: number;
  /** Not sent before this time (backoff after a failure). */
  dueAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
}

/** Where a paused matter stands on its path: the tier asked now, and when it passes on (null: never). */
export interface DecisionTierRecord {
  decisionId: string;
  decisionKind: DecisionKind;
  runId: string;
  role: string;
  tier: number;
  dueAt: number | null;
  updatedAt: number;
}
