// Migration 19 (fewer b-trees written per run) on a database made by the schema before it, with rows:
// the audit chains and their heads survive the rebuild of audit_heads and keep verifying and growing,
// child runs are still found through the now partial runs_parent index, the listings still come newest
// first from the ascending indexes, and the dropped index is gone.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { verifyAuditLog } from '../../src/audit/read.js';
import { AuditAppender } from '../../src/store/sqlite/audit-chain.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { migrate } from '../../src/store/sqlite/migrate.js';
import { migrations } from '../../src/store/sqlite/migrations.js';
import { tempDir } from '../support/tmp.js';

function insertRun(db: Database.Database, id: string, createdAt: number, parent: string | null): void {
  db.prepare(
    `INSERT INTO runs (id, role, role_version, model, status, input, seq, turns, usage, active_ms, grant_json,
       created_at, updated_at, parent_run_id)
     VALUES (?, 'r', 'v1', 'script:x', 'succeeded', '{}', 0, 0, '{}', 0, '{}', ?, ?, ?)`,
  ).run(id, createdAt, createdAt, parent);
}

describe('sqlite migration 19', () => {
  it('keeps audit heads, child runs and their lookups of a database made before it', async () => {
    const tmp = tempDir('nightshift-sqlw-m19-');
    try {
      const path = join(tmp.path, 'nightshift.db');
      const db = new Database(path);
      migrate(
        db,
        migrations.filter((m) => m.version < 19),
      );
      insertRun(db, 'run_a', 1, null);
      insertRun(db, 'run_b', 2, 'run_a');
      insertRun(db, 'run_c', 3, 'run_a');
      const appender = new AuditAppender(db);
      db.transaction(() =>
        appender.append([
          { at: 1, actor: 'ana', action: 'run.created', runId: 'run_a', target: 'run_a', data: { n: 1 } },
          { at: 2, actor: 'ana', action: 'run.cancelled', runId: 'run_a', target: 'run_a', data: { n: 2 } },
          { at: 3, actor: 'kim', action: 'run.created', runId: 'run_b', target: 'run_b', data: {} },
          { at: 4, actor: 'kim', action: 'token.created', runId: null, target: 'tok', data: { é: '💥' } },
        ]),
      )();
      const headsBefore = db.prepare('SELECT chain, last_id, hash FROM audit_heads ORDER BY chain').all();
      assert.equal(headsBefore.length, 3);
      db.close();

      const store = openSqliteStore({ path });
      await store.init();
      try {
        assert.deepEqual(await verifyAuditLog(store), { ok: true, count: 4 });
        const children = await store.listRuns({ parentRunId: 'run_a', limit: 10 });
        assert.deepEqual(children.map((r) => r.id).sort(), ['run_b', 'run_c']);
      } finally {
        await store.close();
      }

      const after = new Database(path);
      try {
        assert.deepEqual(
          after.prepare('SELECT chain, last_id, hash FROM audit_heads ORDER BY chain').all(),
          headsBefore,
        );
        const schema = (name: string) =>
          after.prepare('SELECT sql FROM sqlite_schema WHERE name = ?').pluck().get(name) as
            | string
            | undefined;
        assert.match(schema('audit_heads') ?? '', /WITHOUT ROWID/);
        assert.equal(schema('runs_queue'), undefined);
        assert.match(schema('runs_parent') ?? '', /WHERE parent_run_id IS NOT NULL/);
        const plan = after
          .prepare('EXPLAIN QUERY PLAN SELECT * FROM runs WHERE parent_run_id = ?')
          .all('run_a') as { detail: string }[];
        assert.match(plan.map((p) => p.detail).join(' '), /USING INDEX runs_parent/);
        // The newest-first listings walk the now ascending indexes backwards, with no sort.
        const planOf = (sql: string, ...params: unknown[]) =>
          (after.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
            .map((p) => p.detail)
            .join(' | ');
        assert.equal(
          planOf('SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT ?', 10),
          'SCAN runs USING INDEX runs_created',
        );
        assert.equal(
          planOf(
            'SELECT * FROM runs WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?',
            3,
            'z',
            10,
          ),
          'SEARCH runs USING INDEX runs_created ((created_at,id)<(?,?))',
        );
        assert.match(
          planOf('SELECT * FROM runs WHERE role = ? ORDER BY created_at DESC, id DESC LIMIT ?', 'r', 10),
          /USING INDEX runs_role_created \(role=\?\)/,
        );
        const newest = await (async () => {
          const s = openSqliteStore({ path });
          await s.init();
          try {
            return (await s.listRuns({ limit: 2 })).map((r) => r.id);
          } finally {
            await s.close();
          }
        })();
        assert.deepEqual(newest, ['run_c', 'run_b']);
        // The chains go on from the moved heads: a new entry links to run_a's old head.
        const next = new AuditAppender(after);
        after.transaction(() =>
          next.append([
            { at: 5, actor: 'ana', action: 'run.resumed', runId: 'run_a', target: 'run_a', data: {} },
          ]),
        )();
        const prev = after.prepare('SELECT prev_hash FROM audit_events WHERE at = 5').pluck().get();
        assert.equal(
          prev,
          (headsBefore as { chain: string; hash: string }[]).find((h) => h.chain === 'run_a')!.hash,
        );
      } finally {
        after.close();
      }
      const again = openSqliteStore({ path });
      await again.init();
      try {
        assert.deepEqual(await verifyAuditLog(again), { ok: true, count: 5 });
      } finally {
        await again.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
