// The audit log contract (test/contract/audit.ts) on the embedded store, tampered with through its own
// SQLite file; and the migration that turns an existing log into the chain's genesis.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { entryHash } from '../../src/audit/chain.js';
import { verifyAuditLog } from '../../src/audit/read.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { migrate } from '../../src/store/sqlite/migrate.js';
import { migrations } from '../../src/store/sqlite/migrations.js';
import { describeAuditContract } from '../contract/audit.js';
import { tempDir } from '../support/tmp.js';

describeAuditContract('sqlite', async () => {
  const tmp = tempDir('nightshift-audit-');
  const path = join(tmp.path, 'nightshift.db');
  return {
    open: () => openSqliteStore({ path }),
    tamper: async (sql, params) => {
      const db = new Database(path);
      try {
        db.prepare(sql).run(...params);
      } finally {
        db.close();
      }
    },
    cleanup: async () => tmp.cleanup(),
  };
});

describe('audit chain genesis (sqlite)', () => {
  it('chains the entries written before migration 8, in id order, and verifies', async () => {
    const tmp = tempDir('nightshift-audit-genesis-');
    try {
      const path = join(tmp.path, 'nightshift.db');
      const db = new Database(path);
      migrate(
        db,
        migrations.filter((m) => m.version < 8),
      );
      const insert = db.prepare(
        'INSERT INTO audit_events (at, actor, action, run_id, target, data) VALUES (?, ?, ?, ?, ?, ?)',
      );
      insert.run(1, 'ana', 'approval.approved', 'r1', 'ap1', '{"note":"ok"}');
      insert.run(2, 'kim', 'run.cancelled', 'r2', 'r2', '{"reason":"é ünïcode 💥"}');
      db.close();

      const store = openSqliteStore({ path });
      await store.init();
      try {
        assert.deepEqual(await verifyAuditLog(store), { ok: true, count: 2 });
        const [first] = await store.readAuditChain({ limit: 1 });
        assert.equal(first!.prevHash, '0'.repeat(64));
      } finally {
        await store.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});

describe('audit entry ids (sqlite)', () => {
  // Entries are inserted with their id and hashes in one statement (audit-chain.ts), so the id is chosen
  // by the store, not by AUTOINCREMENT: it must still be the one AUTOINCREMENT gives, never a reused one.
  it('never reuses the id of a deleted newest entry, follows one inserted with its own id, and hashes the row as stored', async () => {
    const tmp = tempDir('nightshift-audit-ids-');
    try {
      const path = join(tmp.path, 'nightshift.db');
      const store = openSqliteStore({ path });
      await store.init();
      const side = new Database(path);
      try {
        const put = (version: string) =>
          store.putRoleVersion({ name: 'r', version, spec: { v: version }, createdAt: 1000 });
        const ids = () =>
          (side.prepare('SELECT id FROM audit_events ORDER BY id').all() as { id: number }[]).map(
            (r) => r.id,
          );
        await put('a');
        await put('b');
        assert.deepEqual(ids(), [1, 2]);
        side.prepare('DELETE FROM audit_events WHERE id = 2').run();
        await put('c');
        assert.deepEqual(ids(), [1, 3]);
        side
          .prepare(
            "INSERT INTO audit_events (id, at, actor, action, run_id, target, data) VALUES (10, 1, 'x', 'y', 'other', NULL, '{}')",
          )
          .run();
        await put('d');
        assert.deepEqual(ids(), [1, 3, 10, 11]);
        // Each entry's stored hash is the hash of its row as stored over the prev hash it stores, and
        // links to the chain's head when it was written (entry 2 was deleted, so 3 links to 2's hash).
        const rows = side
          .prepare('SELECT * FROM audit_events WHERE run_id IS NULL ORDER BY id')
          .all() as Record<string, unknown>[];
        assert.deepEqual(
          rows.map((r) => r.id),
          [1, 3, 11],
        );
        for (const r of rows) {
          const e = {
            id: r.id as number,
            at: r.at as number,
            actor: r.actor as string,
            action: r.action as string,
            runId: null,
            target: r.target as string | null,
            data: r.data as string,
          };
          assert.equal(r.hash, entryHash(r.prev_hash as string, e));
        }
        assert.equal(rows[0]!.prev_hash, '0'.repeat(64));
        assert.equal(rows[2]!.prev_hash, rows[1]!.hash);
        const prev = rows[2]!.hash;
        const head = side.prepare("SELECT last_id, hash FROM audit_heads WHERE chain = ''").get();
        assert.deepEqual(head, { last_id: 11, hash: prev });
      } finally {
        side.close();
        await store.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
