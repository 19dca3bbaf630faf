// Appending to the hash-chained audit log on SQLite (src/audit/chain.ts). Every write transaction holds
// the database's one write lock, so the chain's head is read and moved inside the transaction that
// inserts the entries: one writer at a time, ids and chain order agree, nothing else to lock.
import type Database from 'better-sqlite3';
import { entryHash, GENESIS_HASH } from '../../audit/chain.js';
import type { NewAuditEvent } from '../types.js';
import { auditValues } from './rows.js';

type Db = Pick<Database.Database, 'prepare'>;

/** The statements the appender needs, prepared once per connection. */
export class AuditAppender {
  private readonly head: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly seal: Database.Statement;
  private readonly moveHead: Database.Statement;

  constructor(db: Db) {
    this.head = db.prepare('SELECT last_id, hash FROM audit_chain WHERE one = 1');
    this.insert = db.prepare(
      'INSERT INTO audit_events (at, actor, action, run_id, target, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.seal = db.prepare('UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?');
    this.moveHead = db.prepare('UPDATE audit_chain SET last_id = ?, hash = ? WHERE one = 1');
  }

  /** Inserts `events` at the end of the chain. Call inside the batch's write transaction. */
  append(events: readonly NewAuditEvent[]): void {
    if (events.length === 0) return;
    const head = this.head.get() as { last_id: number; hash: string } | undefined;
    let prev = head?.hash ?? GENESIS_HASH;
    let id = 0;
    for (const e of events) {
      const values = auditValues(e);
      id = Number(this.insert.run(values).lastInsertRowid);
      const hash = entryHash(prev, { ...e, id, data: values[5] as string });
      this.seal.run(prev, hash, id);
      prev = hash;
    }
    this.moveHead.run(id, prev);
  }
}

/**
 * The chain's genesis (migration 8): hashes the entries written before the chain existed, in id order,
 * and records the head. Runs once, inside the migration's transaction.
 */
export function sealUnchainedAudit(db: Database.Database): void {
  const seal = db.prepare('UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?');
  const page = db.prepare(
    'SELECT id, at, actor, action, run_id, target, data FROM audit_events WHERE id > ? ORDER BY id LIMIT 1000',
  );
  let prev = GENESIS_HASH;
  let lastId = 0;
  // Pages, not iterate(): better-sqlite3 allows no other statement while an iterator is open.
  for (
    let rows = page.all(0) as Record<string, unknown>[];
    rows.length > 0;
    rows = page.all(lastId) as Record<string, unknown>[]
  ) {
    for (const r of rows) {
      const id = Number(r.id);
      const hash = entryHash(prev, {
        id,
        at: Number(r.at),
        actor: r.actor as string,
        action: r.action as string,
        runId: (r.run_id as string | null) ?? null,
        target: (r.target as string | null) ?? null,
        data: r.data as string,
      });
      seal.run(prev, hash, id);
      prev = hash;
      lastId = id;
    }
  }
  db.prepare('INSERT INTO audit_chain (one, last_id, hash) VALUES (1, ?, ?)').run(lastId, prev);
}
