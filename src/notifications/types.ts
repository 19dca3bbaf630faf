// What a notification says and where it goes. The outbox (outbox.ts) stores these; channels send them.
export type DecisionKind = 'approval' | 'escalation';

/** A decision a person is asked to take: an approval (a drafted change set) or an escalation. */
export interface PendingDecision {
  kind: DecisionKind;
  /** The approval id or escalation id: what approve/reject/answer take. */
  id: string;
  runId: string;
  role: string;
  /** Escalation category (legal, security, ...) or 'approval'. */
  category: string;
  reason: string;
  /** Plain text a person can read: the input, what the run did, the held call or the change set, the chain. */
  summary: string;
  /** For approvals: the change set hash that approve must be bound to. */
  hash?: string;
  createdAt: number;
}

/** A configured person who may decide (from nightshift.config.yaml `people:`). */
export interface Person {
  name: string;
  email?: string;
  slackUserId?: string;
}

/** One message to one destination. `id` is stable across retries: the channel's idempotency key. */
export interface Notification {
  id: string;
  channel: 'slack' | 'email' | 'webhook';
  /** Channel-specific address: a Slack channel or user id, an email address, a webhook URL. */
  to: string;
  /** The people this message asks to decide (their names). */
  people: string[];
  decision: PendingDecision;
  attempt: number;
}

export interface NotificationChannel {
  readonly channel: Notification['channel'];
  /** Sends once; throws a NightshiftError with retryable=true for a failure worth retrying. */
  send(n: Notification): Promise<void>;
}
