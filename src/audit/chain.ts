// The audit log is append-only and hash-chained: each entry stores the hash of the entry before it in its
// chain (`prevHash`) and its own `hash` = sha256 over that prev hash and its columns, so editing an entry
// changes its hash and deleting one breaks the next entry's link. One chain per run (run-less entries
// make the chain ''), in id order, with each chain's newest entry also kept in its head row, so deleting
// the newest entries shows too (docs/decisions/019-audit-chain.md). The hash is over the columns as stored (the data column's
// JSON text, not a re-serialisation), so Postgres can compute it in its trigger and this module can check
// it: both sides must encode exactly as `entryHash` does (see the Postgres migration's audit_entry_hash).
import { sha256 } from '../canonical-json.js';
import type { AuditEvent } from '../store/records/catalog.js';

/** The prev hash of the first entry of a chain. */
export const GENESIS_HASH = '0'.repeat(64);
/** Bumped if the encoding below ever changes; part of every hashed message. */
const VERSION_TAG = 'nightshift-audit-v1';

/** An audit entry as stored: what the hash covers (`data` is the stored JSON text) and the links. */
export interface ChainedAuditRow extends Omit<AuditEvent, 'data'> {
  /** The data column's JSON text, byte for byte. */
  data: string;
  prevHash: string | null;
  hash: string | null;
}

/** A chain's newest entry (kept in its own row, so deleting the newest entries shows). */
export interface AuditChainHead {
  /** The run's id; '' for the chain of run-less entries. */
  chain: string;
  lastId: number;
  hash: string;
}

/** Which chain an entry belongs to. */
export const chainOf = (e: { runId: string | null }): string => e.runId ?? '';

/** Length-prefixed so no two field lists encode alike; NULL is '-', which no prefixed value starts with. */
function field(v: string | null): string {
  return v === null ? '-' : `${Buffer.byteLength(v, 'utf8')}:${v}`;
}

/** The hash of an entry whose predecessor's hash is `prev`. */
export function entryHash(prev: string, e: Omit<ChainedAuditRow, 'prevHash' | 'hash'>): string {
  const message =
    `${VERSION_TAG}\n${prev}` +
    field(String(e.id)) +
    field(String(e.at)) +
    field(e.actor) +
    field(e.action) +
    field(e.runId) +
    field(e.target) +
    field(e.data);
  return sha256(message);
}

/** Where a chain stops holding: the entry, and what differs. */
export interface ChainBreak {
  id: number;
  problem: string;
}

/**
 * Walks the log in id order, page by page (rows must come in ascending id, all of them), following each
 * run's chain, and checks the chains' heads. Memory grows with the number of chains, not of entries:
 * one head and one last hash per chain (per run), about 400 bytes a run (measured in
 * docs/decisions/022-telemetry-cost.md), so verifying a log of a million runs holds ~400 MB.
 *
 * The log may grow while it is read: the heads are read before the walk (`heads`), so each must name
 * an entry the walk then finds with that hash; newer entries past a head are fine. A chain whose head
 * was not there yet (`unheaded()`) is looked up once after the walk (`end`).
 */
export class ChainVerifier {
  private readonly last = new Map<string, { id: number; hash: string }>();
  private readonly heads: Map<string, AuditChainHead & { found?: boolean }>;
  /** Entries checked so far. */
  count = 0;

  constructor(heads: readonly AuditChainHead[]) {
    this.heads = new Map(heads.map((h) => [h.chain, { ...h }]));
  }

  /** The first break in `rows`, or undefined when they extend their chains. */
  check(rows: readonly ChainedAuditRow[]): ChainBreak | undefined {
    for (const row of rows) {
      const chain = chainOf(row);
      const before = this.last.get(chain);
      const prev = before?.hash ?? GENESIS_HASH;
      if (row.hash === null || row.prevHash === null) {
        return { id: row.id, problem: 'the entry has no hash: it was inserted outside the chain' };
      }
      if (row.prevHash !== prev) {
        const after = before
          ? `entry ${before.id}, the one before it in ${label(chain)}`
          : `the start of ${label(chain)}`;
        return {
          id: row.id,
          problem: `prev_hash ${row.prevHash} does not match ${after} (${prev}): an entry before it was deleted or its hash rewritten`,
        };
      }
      const expected = entryHash(row.prevHash, row);
      if (row.hash !== expected) {
        return {
          id: row.id,
          problem: `its columns hash to ${expected}, not the stored ${row.hash}: the entry was edited`,
        };
      }
      const head = this.heads.get(chain);
      if (head && head.lastId === row.id) head.found = head.hash === row.hash;
      this.last.set(chain, { id: row.id, hash: row.hash });
      this.count++;
    }
    return undefined;
  }

  /** The chains walked that had no head when the walk began (begun during it, or their head deleted). */
  unheaded(): string[] {
    return [...this.last.keys()].filter((chain) => !this.heads.has(chain));
  }

  /**
   * After the walk: every head read before it named an entry found with its hash, and every chain walked
   * has a head (`headsNow`: the heads of `unheaded()`, read after the walk).
   */
  end(headsNow: readonly AuditChainHead[]): ChainBreak | undefined {
    const breaks: ChainBreak[] = [];
    for (const h of this.heads.values()) {
      if (h.found) continue;
      const last = this.last.get(h.chain);
      breaks.push({
        id: h.lastId,
        problem: `the head of ${label(h.chain)} records entry ${h.lastId} (${h.hash}), but the chain ${last ? `ends at entry ${last.id} (${last.hash})` : 'has no entries'}: its newest entries were deleted or the head rewritten`,
      });
    }
    const now = new Set(headsNow.map((h) => h.chain));
    for (const [chain, last] of this.last) {
      if (!this.heads.has(chain) && !now.has(chain))
        breaks.push({ id: last.id, problem: `${label(chain)} has no head row: it was deleted` });
    }
    // The earliest entry first, as the walk would have named it.
    return breaks.sort((a, b) => a.id - b.id)[0];
  }
}

const label = (chain: string): string => (chain === '' ? 'the run-less chain' : `run ${chain}'s chain`);
