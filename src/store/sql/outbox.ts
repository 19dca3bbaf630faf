// The notification outbox and the decision tiers, for both stores (see dialect.ts). Rows are inserted in
// a run's commit (with the pause); senders claim due rows with a lease, and only the lease holder may mark
// one sent or failed, so two senders never both record the same send.
import type { DecisionTierRecord, OutboxRecord, OutboxStatus } from '../types.js';
import type { Dialect, Query } from './dialect.js';

const ps = (d: Dialect, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => d.param(from + i)).join(', ');

const OUTBOX_COLUMNS =
  'id, run_id, decision_kind, decision_id, tier, channel, destination, people, decision, status, attempt, due_at, lease_owner, lease_until, last_error, created_at, sent_at';

export function insertNotification(d: Dialect, n: OutboxRecord): Query {
  return {
    text: `INSERT INTO notifications (${OUTBOX_COLUMNS}) VALUES (${ps(d, 1, 17)}) ON CONFLICT (id) DO NOTHING`,
    params: [
      n.id,
      n.runId,
      n.decisionKind,
      n.decisionId,
      n.tier,
      n.channel,
      n.to,
      JSON.stringify(n.people),
      JSON.stringify(n.decision),
      n.status,
      n.attempt,
      n.dueAt,
      n.leaseOwner,
      n.leaseUntil,
      n.lastError,
      n.createdAt,
      n.sentAt,
    ],
  };
}

export function insertTier(d: Dialect, t: DecisionTierRecord): Query {
  return {
    text: `INSERT INTO decision_tiers (decision_id, decision_kind, run_id, role, tier, due_at, updated_at)
      VALUES (${ps(d, 1, 7)}) ON CONFLICT (decision_id) DO NOTHING`,
    params: [t.decisionId, t.decisionKind, t.runId, t.role, t.tier, t.dueAt, t.updatedAt],
  };
}

/** Moves a tier on only from `expectTier`: zero rows changed means someone moved it first. */
export function advanceTier(d: Dialect, t: DecisionTierRecord, expectTier: number): Query {
  return {
    text: `UPDATE decision_tiers SET tier = ${d.param(1)}, due_at = ${d.param(2)}, updated_at = ${d.param(3)}
      WHERE decision_id = ${d.param(4)} AND tier = ${d.param(5)}`,
    params: [t.tier, t.dueAt, t.updatedAt, t.decisionId, expectTier],
  };
}

/** A matter that no longer waits (decided, cancelled): its tier stops timing out. */
export function closeTier(d: Dialect, decisionId: string, at: number): Query {
  return {
    text: `UPDATE decision_tiers SET due_at = NULL, updated_at = ${d.param(1)} WHERE decision_id = ${d.param(2)}`,
    params: [at, decisionId],
  };
}

export function dueTiers(d: Dialect, now: number, max: number): Query {
  return {
    text: `SELECT * FROM decision_tiers WHERE due_at IS NOT NULL AND due_at <= ${d.param(1)} ORDER BY due_at, decision_id LIMIT ${d.param(2)}`,
    params: [now, max],
  };
}

export function tierOf(d: Dialect, decisionId: string): Query {
  return { text: `SELECT * FROM decision_tiers WHERE decision_id = ${d.param(1)}`, params: [decisionId] };
}

/**
 * Leases up to `max` due pending rows of these channels to `owner` until `until`, oldest due first; a
 * row whose sender died mid-send (lease expired) is due again. Each claim counts as an attempt.
 */
export function claimNotifications(
  d: Dialect,
  owner: string,
  until: number,
  now: number,
  channels: readonly string[],
  max: number,
): Query {
  const skip = d.forUpdate ? ' FOR UPDATE SKIP LOCKED' : '';
  return {
    text: `UPDATE notifications SET lease_owner = ${d.param(1)}, lease_until = ${d.param(2)}, attempt = attempt + 1
      WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' AND due_at <= ${d.param(3)}
        AND (lease_until IS NULL OR lease_until < ${d.param(4)}) AND channel ${d.anyOf(5)}
        ORDER BY due_at, id LIMIT ${d.param(6)}${skip})
      RETURNING *`,
    params: [owner, until, now, now, d.list(channels), max],
  };
}

/** Settles a claimed row (only while `owner` still holds it): sent, failed, cancelled, or due again later. */
export function settleNotification(
  d: Dialect,
  id: string,
  owner: string,
  o: { status: OutboxStatus; at: number; dueAt?: number; error?: string | null },
): Query {
  return {
    text: `UPDATE notifications SET status = ${d.param(1)}, lease_owner = NULL, lease_until = NULL,
        sent_at = ${d.param(2)}, due_at = COALESCE(${d.param(3)}, due_at), last_error = ${d.param(4)}
      WHERE id = ${d.param(5)} AND lease_owner = ${d.param(6)} AND status = 'pending'`,
    params: [o.status, o.status === 'sent' ? o.at : null, o.dueAt ?? null, o.error ?? null, id, owner],
  };
}

/** Column `n`: notifications not yet sent, failed or cancelled (the outbox depth gauge). */
export function outboxDepth(): Query {
  return { text: `SELECT COUNT(*) AS n FROM notifications WHERE status = 'pending'`, params: [] };
}

export function listNotifications(d: Dialect, filter: { decisionId?: string; runId?: string }): Query {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.decisionId !== undefined) {
    params.push(filter.decisionId);
    where.push(`decision_id = ${d.param(params.length)}`);
  }
  if (filter.runId !== undefined) {
    params.push(filter.runId);
    where.push(`run_id = ${d.param(params.length)}`);
  }
  return {
    text: `SELECT * FROM notifications${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`,
    params,
  };
}

export function toOutbox(d: Dialect, r: Record<string, unknown>): OutboxRecord {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: r.id as string,
    runId: r.run_id as string,
    decisionKind: r.decision_kind as OutboxRecord['decisionKind'],
    decisionId: r.decision_id as string,
    tier: Number(r.tier),
    channel: r.channel as OutboxRecord['channel'],
    to: r.destination as string,
    people: d.decodeJson(r.people) as string[],
    decision: d.decodeJson(r.decision) as OutboxRecord['decision'],
    status: r.status as OutboxStatus,
    attempt: Number(r.attempt),
    dueAt: Number(r.due_at),
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseUntil: num(r.lease_until),
    lastError: (r.last_error as string | null) ?? null,
    createdAt: Number(r.created_at),
    sentAt: num(r.sent_at),
  };
}

export function toTier(r: Record<string, unknown>): DecisionTierRecord {
  return {
    decisionId: r.decision_id as string,
    decisionKind: r.decision_kind as DecisionTierRecord['decisionKind'],
    runId: r.run_id as string,
    role: r.role as string,
    tier: Number(r.tier),
    dueAt: r.due_at === null || r.due_at === undefined ? null : Number(r.due_at),
    updatedAt: Number(r.updated_at),
  };
}
