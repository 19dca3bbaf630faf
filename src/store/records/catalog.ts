// Records kept beside the runs: the audit trail, the role versions runs were started with, and which
// roles the workers serve for which events.

export interface AuditEvent {
  id: number;
  at: number;
  actor: string;
  action: string;
  runId: string | null;
  target: string | null;
  data: Record<string, unknown>;
}
export type NewAuditEvent = Omit<AuditEvent, 'id'>;

export interface RoleVersionRecord {
  name: string;
  version: string;
  /** The resolved role (absolute paths), enough to run it again without the file. */
  spec: Record<string, unknown>;
  createdAt: number;
}

/**
 * A role some worker serves for a named event, renewed while it serves: how an event emitted in one
 * process reaches roles that only other processes serve.
 */
export interface SubscriptionRecord {
  event: string;
  role: string;
  roleVersion: string;
  /** When a worker serving it last said so. */
  seenAt: number;
}
