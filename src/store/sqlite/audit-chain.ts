// Appending to the hash-chained audit log on SQLite (src/audit/chain.ts): one chain per run (run-less
// entries make the chain ''), each with its head in audit_heads. Every write transaction holds the
// database's one write lock, so a chain's head is read and moved inside the transaction that inserts
// the entries, and nothing else needs locking.
import type Database from 'better-sqlite3';
import { entryHash, GENESIS_HASH } from '../../audit/chain.js';
import { toChainedRow } from '../sql/audit.js';
import type { NewAuditEvent } from '../types.js';
import { auditValues } from './rows.js';

type Db = Pick<Database.Database, 'prepare'>;

/** Chained inserts, with the statements they need prepared once per connection. */
export class AuditAppender {
  private readonly head: Database.Statement;
  private readonly seal: Database.Statement;
  private readonly moveHead: Database.Statement;
  private readonly before: Database.Statement;
  private readonly insertChained: Database.Statement;

  constructor(db: Db) {
    this.head = db.prepare('SELECT hash FROM audit_heads WHERE chain = ?').pluck();
    this.seal = db.prepare('UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?');
    this.moveHead = db.prepare(
      `INSERT INTO audit_heads (chain, last_id, hash) VALUES (?, ?, ?)
       ON CONFLICT (chain) DO UPDATE SET last_id = excluded.last_id, hash = excluded.hash`,
    );
    // The chain's head, and the id AUTOINCREMENT would give the next entry: one more than the largest id
    // the table ever had (sqlite_sequence), or than the largest it has (a row inserted with its own id).
    this.before = db.prepare(
      `SELECT (SELECT hash FROM audit_heads WHERE chain = ?) AS hash,
         MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit_events'), 0),
             COALESCE((SELECT MAX(id) FROM audit_events), 0)) + 1 AS id`,
    );
    this.insertChained = db.prepare(
      `INSERT INTO audit_events (id, at, actor, action, run_id, target, data, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /**
   * Inserts `events`, each at the end of its run's chain. Call inside the batch's write transaction (it
   * holds the write lock, so the id read here is the one the insert gets). Each entry is inserted with its
   * id and hashes in one statement, the same row `chain` would leave: three statements per entry, not four
   * (no UPDATE of the row just inserted; decision 001, 2026-11-30 late).
   */
  append(events: readonly NewAuditEvent[]): void {
    for (const e of events) {
      const values = auditValues(e);
      const chain = e.runId ?? '';
      const head = this.before.get(chain) as { hash: string | null; id: number };
      const id = Number(head.id);
      const prev = head.hash ?? GENESIS_HASH;
      const hash = entryHash(prev, { ...e, data: values[5] as string, id });
      this.insertChained.run(id, ...values, prev, hash);
      this.moveHead.run(chain, id, hash);
    }
  }

  /** Links the stored entry `id` to its chain's head and makes it the head. */
  chain(id: number, e: Omit<NewAuditEvent, 'data'> & { data: string }): void {
    const chain = e.runId ?? '';
    const prev = (this.head.get(chain) as string | undefined) ?? GENESIS_HASH;
    const hash = entryHash(prev, { ...e, id });
    this.seal.run(prev, hash, id);
    this.moveHead.run(chain, id, hash);
  }
}

/**
 * The chains' genesis (migration 8): links the entries written before the chains existed, in id order.
 * Runs once, inside the migration's transaction.
 */
export function sealUnchainedAudit(db: Database.Database): void {
  const appender = new AuditAppender(db);
  const page = db.prepare(
    'SELECT id, at, actor, action, run_id, target, data FROM audit_events WHERE id > ? ORDER BY id LIMIT 1000',
  );
  let lastId = 0;
  // Pages, not iterate(): better-sqlite3 allows no other statement while an iterator is open.
  for (;;) {
    const rows = page.all(lastId) as Record<string, unknown>[];
    if (rows.length === 0) return;
    for (const r of rows) {
      lastId = Number(r.id);
      appender.chain(lastId, toChainedRow(r));
    }
  }
}
