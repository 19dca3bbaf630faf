// Role promotions and the versions they choose from, for both stores (see dialect.ts). The write itself
// (serialised per role, checked against the promotion in effect) is each store's: sqlite/promotions.ts,
// postgres/promotions.ts.
import type { PromotionRecord, PromotionStatus, RoleVersionRecord } from '../types.js';
import type { Dialect, Query } from './dialect.js';
import { toRoleVersion } from './rows.js';

type Row = Record<string, unknown>;

const COLUMNS =
  'id, role, version, kind, status, base_id, from_version, back_to, requested_by, requested_at, evidence, widening, decided_by, decided_at, note, seq';

export function roleVersionsOf(d: Dialect, name: string): Query {
  return {
    text: `SELECT * FROM role_versions WHERE name = ${d.param(1)} ORDER BY created_at, version`,
    params: [name],
  };
}

/**
 * Stored versions whose hash starts with `prefix` (of one role, or of every role), for commands that take a
 * version by a unique prefix. substr, not LIKE: a prefix holding `%` or `_` matches only itself.
 */
export function roleVersionsStartingWith(d: Dialect, prefix: string, role?: string): Query {
  const byRole = role === undefined ? '' : ` AND name = ${d.param(3)}`;
  return {
    text: `SELECT * FROM role_versions WHERE substr(version, 1, ${d.param(1)}) = ${d.param(2)}${byRole} ORDER BY name, created_at, version LIMIT 20`,
    params: role === undefined ? [prefix.length, prefix] : [prefix.length, prefix, role],
  };
}

export const toRoleVersions = (d: Dialect, rows: Row[]): RoleVersionRecord[] =>
  rows.map((r) => toRoleVersion(d, r));

/** The promotion in effect: the done one that took effect last. */
export function activePromotion(d: Dialect, role: string): Query {
  return {
    text: `SELECT * FROM role_promotions WHERE role = ${d.param(1)} AND status = 'done' ORDER BY seq DESC LIMIT 1`,
    params: [role],
  };
}

export function promotionById(d: Dialect, id: string): Query {
  return { text: `SELECT * FROM role_promotions WHERE id = ${d.param(1)}`, params: [id] };
}

export function listPromotions(d: Dialect, filter: { role?: string; status?: PromotionStatus }): Query {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.role !== undefined) {
    params.push(filter.role);
    where.push(`role = ${d.param(params.length)}`);
  }
  if (filter.status !== undefined) {
    params.push(filter.status);
    where.push(`status = ${d.param(params.length)}`);
  }
  const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  return { text: `SELECT * FROM role_promotions${clause} ORDER BY requested_at DESC, id DESC`, params };
}

/** The seq a promotion taking effect now gets: one more than the role's highest. */
export function nextSeq(d: Dialect, role: string): Query {
  return {
    text: `SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM role_promotions WHERE role = ${d.param(1)}`,
    params: [role],
  };
}

function values(p: PromotionRecord, json: (v: unknown) => unknown): unknown[] {
  return [
    p.id,
    p.role,
    p.version,
    p.kind,
    p.status,
    p.baseId,
    p.fromVersion,
    p.backTo,
    p.requestedBy,
    p.requestedAt,
    json(p.evidence),
    json(p.widening),
    p.decidedBy,
    p.decidedAt,
    p.note,
    p.seq,
  ];
}

export function insertPromotion(d: Dialect, p: PromotionRecord): Query {
  const marks = COLUMNS.split(', ').map((_, i) => d.param(i + 1));
  return {
    text: `INSERT INTO role_promotions (${COLUMNS}) VALUES (${marks.join(', ')})`,
    params: values(p, (v) => JSON.stringify(v)),
  };
}

/** Settles a pending promotion; changes no row when it is no longer pending. */
export function settlePromotion(d: Dialect, p: PromotionRecord): Query {
  return {
    text: `UPDATE role_promotions SET status = ${d.param(1)}, decided_by = ${d.param(2)}, decided_at = ${d.param(3)}, note = ${d.param(4)}, seq = ${d.param(5)}, back_to = ${d.param(6)} WHERE id = ${d.param(7)} AND status = 'pending'`,
    params: [p.status, p.decidedBy, p.decidedAt, p.note, p.seq, p.backTo, p.id],
  };
}

export function toPromotion(d: Dialect, r: Row): PromotionRecord {
  const time = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: r.id as string,
    role: r.role as string,
    version: r.version as string,
    kind: r.kind as PromotionRecord['kind'],
    status: r.status as PromotionRecord['status'],
    baseId: (r.base_id as string | null) ?? null,
    fromVersion: (r.from_version as string | null) ?? null,
    backTo: (r.back_to as string | null) ?? null,
    requestedBy: r.requested_by as string,
    requestedAt: Number(r.requested_at),
    evidence: d.decodeJson(r.evidence) as string[],
    widening: d.decodeJson(r.widening) as string[],
    decidedBy: (r.decided_by as string | null) ?? null,
    decidedAt: time(r.decided_at),
    note: (r.note as string | null) ?? null,
    seq: time(r.seq),
  };
}
