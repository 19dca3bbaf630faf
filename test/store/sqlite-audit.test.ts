// The audit log contract (test/contract/audit.ts) on the embedded store, tampered with through its own
// SQLite file; and the migration that turns an existing log into the chain's genesis.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
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
