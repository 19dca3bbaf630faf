// The continuous roles' inbox statements, for both stores (see dialect.ts). Items are handled oldest
// first (by the inserting order `n`); an item's idempotency key makes a repeated push return the first.
import type { InboxItem } from '../types.js';
import type { Dialect, Query } from './dialect.js';

export function insertItem(d: Dialect, item: InboxItem): Query {
  return {
    text: `INSERT INTO inbox (id, role, event, payload, idempotency_key, created_at, handled_at, run_id)
      VALUES (${[1, 2, 3, 4, 5, 6].map((i) => d.param(i)).join(', ')}, NULL, NULL) ON CONFLICT (idempotency_key) DO NOTHING`,
    params: [
      item.id,
      item.role,
      item.event,
      JSON.stringify(item.payload ?? null),
      item.idempotencyKey,
      item.createdAt,
    ],
  };
}

export function itemByKey(d: Dialect, idempotencyKey: string | null): Query {
  return { text: `SELECT * FROM inbox WHERE idempotency_key = ${d.param(1)}`, params: [idempotencyKey] };
}

export function head(d: Dialect, role: string): Query {
  return {
    text: `SELECT * FROM inbox WHERE role = ${d.param(1)} AND handled_at IS NULL ORDER BY n LIMIT 1`,
    params: [role],
  };
}

/** Column `n`: how many items of the role wait. */
export function depth(d: Dialect, role: string): Query {
  return {
    text: `SELECT COUNT(*) AS n FROM inbox WHERE role = ${d.param(1)} AND handled_at IS NULL`,
    params: [role],
  };
}

/** Column `role`: which of these roles have items waiting. */
export function rolesWaiting(d: Dialect, roles: readonly string[]): Query {
  return {
    text: `SELECT DISTINCT role FROM inbox WHERE handled_at IS NULL AND role ${d.anyOf(1)}`,
    params: [d.list(roles)],
  };
}

export function markHandled(d: Dialect, itemId: string, runId: string, at: number): Query {
  return {
    text: `UPDATE inbox SET handled_at = ${d.param(1)}, run_id = ${d.param(2)} WHERE id = ${d.param(3)} AND handled_at IS NULL`,
    params: [at, runId, itemId],
  };
}

export function toInbox(d: Dialect, r: Record<string, unknown>): InboxItem {
  return {
    id: r.id as string,
    role: r.role as string,
    event: r.event as string,
    payload: d.decodeJson(r.payload) ?? null,
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    createdAt: r.created_at as number,
    handledAt: (r.handled_at as number | null) ?? null,
    runId: (r.run_id as string | null) ?? null,
  };
}
