// Reading the audit log back: exporting its entries (JSON lines) and verifying the whole chain. Both page
// through the store in id order. The export holds one page at a time, whatever the log's size; verifying
// also keeps one head and one hash per chain (per run: ChainVerifier), so its memory grows with the
// number of runs, not of entries.
import type { AuditLog } from '../store/interfaces.js';
import { type ChainBreak, type ChainedAuditRow, ChainVerifier } from './chain.js';

const PAGE = 1000;

/** One exported entry: the stored columns, data parsed, with the links that make the chain. */
export interface ExportedAuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  runId: string | null;
  target: string | null;
  data: unknown;
  prevHash: string | null;
  hash: string | null;
}

export function exportedEntry(r: ChainedAuditRow): ExportedAuditEntry {
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    action: r.action,
    runId: r.runId,
    target: r.target,
    data: JSON.parse(r.data),
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

/** Entries in id order, from `since` (ms) and of `role` when given. */
export async function* auditEntries(
  store: AuditLog,
  filter: { since?: number; role?: string } = {},
): AsyncGenerator<ChainedAuditRow> {
  let afterId = 0;
  for (;;) {
    const rows = await store.readAuditChain({ ...filter, afterId, limit: PAGE });
    yield* rows;
    if (rows.length < PAGE) return;
    afterId = rows[rows.length - 1]!.id;
  }
}

export type AuditVerdict = { ok: true; count: number } | { ok: false; count: number; broken: ChainBreak };

/**
 * Checks every entry's hash and link, then every chain's head. A break is confirmed by a second walk
 * before it is reported: on Postgres an entry can commit after the walk passed its id (ids are taken
 * before commit), which looks like a gap once; a tampered entry is still there the second time.
 */
export async function verifyAuditLog(store: AuditLog): Promise<AuditVerdict> {
  const first = await walk(store);
  if (first.ok) return first;
  const second = await walk(store);
  return !second.ok && second.broken.id !== first.broken.id ? walk(store) : second;
}

async function walk(store: AuditLog): Promise<AuditVerdict> {
  const v = new ChainVerifier(await store.auditChainHeads());
  let afterId = 0;
  for (;;) {
    const rows = await store.readAuditChain({ afterId, limit: PAGE });
    const broken = v.check(rows);
    if (broken) return { ok: false, count: v.count, broken };
    if (rows.length < PAGE) break;
    afterId = rows[rows.length - 1]!.id;
  }
  // Only chains begun during the walk are looked up again, not every head a second time.
  const unheaded = v.unheaded();
  const headsNow = [];
  for (let i = 0; i < unheaded.length; i += PAGE)
    headsNow.push(...(await store.auditChainHeads(unheaded.slice(i, i + PAGE))));
  const broken = v.end(headsNow);
  return broken ? { ok: false, count: v.count, broken } : { ok: true, count: v.count };
}
