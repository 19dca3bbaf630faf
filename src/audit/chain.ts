// The audit log is append-only and hash-chained: each entry stores the hash of the entry before it
// (`prevHash`) and its own `hash` = sha256 over that prev hash and its columns, so editing an entry
// changes its hash and deleting one breaks the next entry's link. One chain over the whole table, in id
// order (docs/decisions/019-audit-chain.md). The hash is over the columns as stored (the data column's
// JSON text, not a re-serialisation), so Postgres can compute it in its trigger and this module can check
// it: both sides must encode exactly as `entryHash` does (see the Postgres migration's audit_entry_hash).
import { createHash } from 'node:crypto';

/** The prev hash of the first entry of the chain. */
export const GENESIS_HASH = '0'.repeat(64);
/** Bumped if the encoding below ever changes; part of every hashed message. */
const VERSION_TAG = 'nightshift-audit-v1';

/** An audit entry as stored: what the hash covers (`data` is the stored JSON text) and the links. */
export interface ChainedAuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  runId: string | null;
  target: string | null;
  /** The data column's JSON text, byte for byte. */
  data: string;
  prevHash: string | null;
  hash: string | null;
}

/** The last entry the chain has sealed (kept in its own row, so deleting the newest entries shows). */
export interface AuditChainHead {
  lastId: number;
  hash: string;
}

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
  return createHash('sha256').update(message, 'utf8').digest('hex');
}

/** Where a chain stops holding: the entry, and what differs. */
export interface ChainBreak {
  id: number;
  problem: string;
}

/**
 * Walks a chain in id order, page by page (rows must come in ascending id, all of them). Pass each page
 * to `check`; `end(head)` checks the stored head against the last entry seen.
 */
export class ChainVerifier {
  private prev = GENESIS_HASH;
  private lastId: number | null = null;
  /** Entries checked so far. */
  count = 0;

  /** The first break in `rows`, or undefined when they extend the chain. */
  check(rows: readonly ChainedAuditRow[]): ChainBreak | undefined {
    for (const row of rows) {
      const after = this.lastId === null ? 'the genesis' : `entry ${this.lastId}`;
      if (row.hash === null || row.prevHash === null)
        return { id: row.id, problem: 'the entry has no hash: it was inserted outside the chain' };
      if (row.prevHash !== this.prev) {
        return {
          id: row.id,
          problem: `prev_hash ${row.prevHash} does not match the hash of ${after} (${this.prev}): an entry before it was deleted or its hash rewritten`,
        };
      }
      const expected = entryHash(row.prevHash, row);
      if (row.hash !== expected) {
        return {
          id: row.id,
          problem: `its columns hash to ${expected}, not the stored ${row.hash}: the entry was edited`,
        };
      }
      this.prev = row.hash;
      this.lastId = row.id;
      this.count++;
    }
    return undefined;
  }

  /** Checks the stored chain head (absent only on an empty log) against the last entry checked. */
  end(head: AuditChainHead | undefined): ChainBreak | undefined {
    const lastId = this.lastId ?? 0;
    if (!head) {
      return this.lastId === null ? undefined : { id: lastId, problem: 'the chain head row is missing' };
    }
    if (head.lastId !== lastId || head.hash !== this.prev) {
      return {
        id: head.lastId,
        problem: `the chain head records entry ${head.lastId} with hash ${head.hash}, but the log ends at ${this.lastId === null ? 'nothing' : `entry ${lastId} (${this.prev})`}: the newest entries were deleted or the head rewritten`,
      };
    }
    return undefined;
  }
}
