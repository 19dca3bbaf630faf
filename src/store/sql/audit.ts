// Reading the hash-chained audit log (src/audit/chain.ts) the same way from both stores: entries in id
// order after a cursor, optionally from a time and of one role, and the chain's head row.
import type { AuditChainHead, ChainedAuditRow } from '../../audit/chain.js';
import type { Dialect, Query } from './dialect.js';

export type { AuditChainHead, ChainedAuditRow };

export interface AuditChainFilter {
  /** Entries with a larger id only (the paging cursor). */
  afterId?: number;
  limit: number;
  /** Entries written at or after this time (ms). */
  since?: number;
  /** Entries of this role's runs, and run-less entries about the role (target = the role's name). */
  role?: string;
}

export function readAuditChain(d: Dialect, f: AuditChainFilter): Query {
  const params: unknown[] = [f.afterId ?? 0];
  const where = [`a.id > ${d.param(1)}`];
  if (f.since !== undefined) {
    params.push(f.since);
    where.push(`a.at >= ${d.param(params.length)}`);
  }
  if (f.role !== undefined) {
    params.push(f.role, f.role);
    where.push(
      `(a.run_id IN (SELECT id FROM runs WHERE role = ${d.param(params.length - 1)}) OR (a.run_id IS NULL AND a.target = ${d.param(params.length)}))`,
    );
  }
  params.push(f.limit);
  return {
    text: `SELECT a.id, a.at, a.actor, a.action, a.run_id, a.target, ${d.jsonText('a.data')} AS data, a.prev_hash, a.hash
  FROM audit_events a WHERE ${where.join(' AND ')} ORDER BY a.id LIMIT ${d.param(params.length)}`,
    params,
  };
}

/** Every chain's head, or only those of `chains` (looked up by the primary key). */
export function auditChainHeads(d: Dialect, chains?: readonly string[]): Query {
  if (!chains) return { text: 'SELECT chain, last_id, hash FROM audit_heads ORDER BY chain', params: [] };
  return {
    text: `SELECT chain, last_id, hash FROM audit_heads WHERE chain ${d.anyOf(1)} ORDER BY chain`,
    params: [d.list(chains)],
  };
}

export function toHead(r: Record<string, unknown>): AuditChainHead {
  return { chain: r.chain as string, lastId: Number(r.last_id), hash: r.hash as string };
}

export function toChainedRow(r: Record<string, unknown>): ChainedAuditRow {
  return {
    id: Number(r.id),
    at: Number(r.at),
    actor: r.actor as string,
    action: r.action as string,
    runId: (r.run_id as string | null) ?? null,
    target: (r.target as string | null) ?? null,
    data: r.data as string,
    prevHash: (r.prev_hash as string | null) ?? null,
    hash: (r.hash as string | null) ?? null,
  };
}
