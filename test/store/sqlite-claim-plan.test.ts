// The SQLite claim's two statements read the queued and running runs through the partial index runs_claim,
// however many finished runs a role has: the planner, left to itself, counted a capped role's live runs
// through runs_role_created, i.e. over every run the role ever had (src/store/sqlite/queue.ts).
// Checked on a store made by the real migrations, empty and with 3,000 finished runs of the role.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { claimableSql, liveByRoleSql } from '../../src/store/sqlite/queue.js';
import { tempDir } from '../support/tmp.js';

const plan = (db: Database.Database, sql: string, params: unknown[]): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
    .map((p) => p.detail)
    .join(' | ');

describe('sqlite claim plan', () => {
  it('counts and picks claimable runs through runs_claim, not through all of a role runs', async () => {
    const tmp = tempDir('nightshift-claim-plan-');
    try {
      const path = join(tmp.path, 'nightshift.db');
      const store = openSqliteStore({ path });
      await store.init();
      await store.close();
      const db = new Database(path);
      try {
        const check = (): void => {
          assert.equal(
            plan(db, liveByRoleSql(2), ['a', 'b', 1]),
            'SEARCH runs USING INDEX runs_claim (role=?)',
          );
          assert.match(
            plan(db, claimableSql(1), ['a', 1, 1, 10]),
            /^SEARCH runs USING INDEX runs_claim \(role=\?\)/,
          );
        };
        check();
        const insert = db.prepare(
          `INSERT INTO runs (id, role, role_version, model, status, input, seq, turns, usage, active_ms, grant_json,
             created_at, updated_at)
           VALUES (?, 'a', 'v1', 'script:x', ?, '{}', 0, 0, '{}', 0, '{}', ?, ?)`,
        );
        db.transaction(() => {
          for (let i = 0; i < 3000; i++) insert.run(`run_${i}`, i < 2990 ? 'succeeded' : 'queued', i, i);
        })();
        check();
        // And the statements answer: 10 queued runs, none leased.
        assert.equal((db.prepare(claimableSql(1)).all('a', 1e15, 1e15, 50) as unknown[]).length, 10);
        assert.deepEqual(db.prepare(liveByRoleSql(1)).all('a', 0), []);
      } finally {
        db.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
