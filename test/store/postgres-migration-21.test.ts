// Postgres migration 21 (fewer index entries written per run) on a schema made by the migrations before
// it, with rows: child runs are still found through the now partial runs_parent, the listings still come
// newest first (also by role and after a keyset position) from the ascending indexes, runs_queue is
// gone, and a non-HOT status change of a top-level run writes no entry in runs_parent nor runs_queue.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import {
  dropSchema,
  freshSchema,
  postgresUnavailable,
  schemaBefore,
  TEST_DATABASE_URL,
} from '../support/postgres.js';

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);

async function insertRun(
  c: pg.Client,
  id: string,
  role: string,
  createdAt: number,
  parent: string | null,
): Promise<void> {
  await c.query(
    `INSERT INTO runs (id, role, role_version, model, status, input, seq, turns, usage, active_ms, grant_json,
       created_at, updated_at, parent_run_id)
     VALUES ($1, $2, 'v1', 'script:x', 'succeeded', '{}', 0, 0, '{}', 0, '{}', $3, $3, $4)`,
    [id, role, createdAt, parent],
  );
}

describe('postgres migration 21', { skip }, () => {
  it('keeps the child runs and the listings of a schema made before it, with fewer indexes on runs', async () => {
    const schema = freshSchema();
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    try {
      await schemaBefore(c, schema, 21);
      // Equal creation times too: the listings break ties by id, newest (largest) first.
      await insertRun(c, 'run_a', 'r', 1, null);
      await insertRun(c, 'run_b', 'r', 2, 'run_a');
      await insertRun(c, 'run_c', 'q', 2, 'run_a');
      await insertRun(c, 'run_d', 'r', 3, null);

      const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
      await store.init();
      try {
        const ids = async (f: Parameters<typeof store.listRuns>[0]) =>
          (await store.listRuns(f)).map((r) => r.id);
        assert.deepEqual((await ids({ parentRunId: 'run_a', limit: 10 })).sort(), ['run_b', 'run_c']);
        assert.deepEqual(await ids({ limit: 10 }), ['run_d', 'run_c', 'run_b', 'run_a']);
        assert.deepEqual(await ids({ role: 'r', limit: 10 }), ['run_d', 'run_b', 'run_a']);
        assert.deepEqual(await ids({ limit: 10, after: { at: 2, id: 'run_c' } }), ['run_b', 'run_a']);
      } finally {
        await store.close();
      }

      const indexes = await c.query<{ name: string; def: string }>(
        `SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = $1 AND tablename = 'runs'`,
        [schema],
      );
      const byName = new Map(indexes.rows.map((r) => [r.name, r.def]));
      assert.equal(byName.has('runs_queue'), false, 'runs_queue is dropped');
      assert.match(byName.get('runs_parent') ?? '', /WHERE \(parent_run_id IS NOT NULL\)/);
      assert.match(byName.get('runs_created') ?? '', /\(created_at, id\)$/);
      assert.match(byName.get('runs_role_created') ?? '', /\(role, created_at\)$/);

      // The listing walks runs_created backwards: no sort of the table.
      await c.query('SET enable_seqscan = off');
      const plan = await c.query(
        'EXPLAIN (FORMAT TEXT) SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT 10',
      );
      const text = plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      assert.match(text, /Index Scan Backward using runs_created/);
      assert.doesNotMatch(text, /Sort/);
    } finally {
      await c.end();
      await dropSchema(schema);
    }
  });
});
