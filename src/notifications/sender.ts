// Sending the outbox: claim due rows with a lease, send each through its channel, mark it sent; a failure
// is retried with exponential backoff up to `maxAttempts`, then marked failed. A row whose matter was
// decided meanwhile is cancelled, not sent. Only the lease holder may settle a row.
//
// The window that remains (docs/escalation-people.md): a sender that dies after the destination accepted
// a message but before the row is marked sent leaves it to be sent again once its lease expires. The
// notification id is the idempotency key (a webhook's x-nightshift-delivery header), so a receiver that
// keeps processed ids acts once; a channel without such a key may show the message twice.
import type { Clock } from '../clock.js';
import { NightshiftError } from '../errors.js';
import type { OutboxRecord, Store } from '../store/types.js';
import type { Notification, NotificationChannel } from './types.js';

export interface SenderOptions {
  store: Store;
  clock: Clock;
  channels: readonly NotificationChannel[];
  /** This sender's lease identity. */
  owner: string;
  /** How long a claimed row is this sender's (longer than a channel's own timeout). Default 60 s. */
  leaseMs?: number;
  /** Attempts before a row is marked failed. Default 8. */
  maxAttempts?: number;
  /**
   * First retry delay, doubled each attempt up to maxBackoffMs. Defaults 2 s and 10 min. A wait the
   * destination asked for (Retry-After) is honoured when longer, up to maxBackoffMs.
   */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Rows claimed per pass. Default 20. */
  batch?: number;
  /** Told of each row's outcome (metrics, logs). */
  onOutcome?: (row: OutboxRecord, outcome: SendOutcome, error?: string) => void;
}

export type SendOutcome = 'sent' | 'retry' | 'failed' | 'cancelled' | 'lost_lease';

export interface SendPass {
  sent: number;
  retried: number;
  failed: number;
  cancelled: number;
}

async function stillPending(store: Store, row: OutboxRecord): Promise<boolean> {
  const record =
    row.decisionKind === 'approval'
      ? await store.getApproval(row.decisionId)
      : await store.getEscalation(row.decisionId);
  return record?.status === 'pending';
}

/**
 * The wait a channel's destination asked for (the Retry-After of a Slack 429 or a webhook's 429/503, as
 * details.retryAfterMs), if any.
 * Honoured up to maxBackoffMs: a server asking for an hour (or a year) does not park the notification past
 * the longest backoff; the next attempt then counts against maxAttempts like any other.
 */
function askedWait(err: unknown): number | undefined {
  if (!NightshiftError.isInstance(err)) return undefined;
  const ms = err.details?.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** One pass: claims what is due now and settles every claimed row. */
export async function sendDueNotifications(o: SenderOptions): Promise<SendPass> {
  const pass: SendPass = { sent: 0, retried: 0, failed: 0, cancelled: 0 };
  const byChannel = new Map(o.channels.map((c) => [c.channel, c]));
  if (byChannel.size === 0) return pass;
  const now = o.clock.now();
  const rows = await o.store.claimNotifications(
    o.owner,
    now + (o.leaseMs ?? 60_000),
    now,
    [...byChannel.keys()],
    o.batch ?? 20,
  );
  await Promise.all(rows.map((row) => sendOne(o, byChannel.get(row.channel)!, row, pass)));
  return pass;
}

async function sendOne(
  o: SenderOptions,
  channel: NotificationChannel,
  row: OutboxRecord,
  pass: SendPass,
): Promise<void> {
  const settle = async (
    outcome: Exclude<SendOutcome, 'lost_lease'>,
    extra: { dueAt?: number; error?: string },
  ) => {
    const status = outcome === 'retry' ? 'pending' : outcome;
    const held = await o.store.settleNotification(row.id, o.owner, { status, at: o.clock.now(), ...extra });
    o.onOutcome?.(row, held ? outcome : 'lost_lease', extra.error);
    if (!held) return;
    if (outcome === 'sent') pass.sent++;
    else if (outcome === 'retry') pass.retried++;
    else if (outcome === 'failed') pass.failed++;
    else pass.cancelled++;
  };
  if (!(await stillPending(o.store, row))) return settle('cancelled', {});
  const n: Notification = {
    id: row.id,
    channel: row.channel,
    to: row.to,
    people: row.people,
    decision: row.decision,
    attempt: row.attempt,
  };
  try {
    await channel.send(n);
  } catch (err) {
    const message = (err as Error).message;
    const retryable = !NightshiftError.isInstance(err) || err.retryable !== false;
    if (!retryable || row.attempt >= (o.maxAttempts ?? 8)) return settle('failed', { error: message });
    const maxBackoff = o.maxBackoffMs ?? 600_000;
    const backoff = Math.min((o.backoffMs ?? 2000) * 2 ** (row.attempt - 1), maxBackoff);
    const delay = Math.max(backoff, Math.min(askedWait(err) ?? 0, maxBackoff));
    return settle('retry', { dueAt: o.clock.now() + delay, error: message });
  }
  return settle('sent', {});
}
