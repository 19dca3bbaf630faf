// The Postgres claim's candidates query reads the live runs through runs_claim, never through
// runs_role_created (every run the role ever had), also on a schema without statistics: there the planner
// combined both indexes in a BitmapAnd, custom and generic plan alike (src/store/postgres/queue.ts).
// Checked on a schema made by the real migrations, with 1,500 finished, 100 leased and 400 queued runs of
// one role and no ANALYZE, as a new deployment or the substrate bench's fresh schema has.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { candidatesSql } from '../../src/store/postgres/queue.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);

const NOW = 1_000_000;

describe('postgres claim plan', { skip }, () => {
  it('picks the oldest claimable runs through runs_claim alone, custom and generic plan', async () => {
    const schema = freshSchema();
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    await store.init();
    await store.close();
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    try {
      await c.query(`SET search_path TO ${schema}`);
      // Finished first (the oldest), then leased ones (lease still good), then queued.
      await c.query(
        `INSERT INTO runs (id, role, role_version, model, status, input, seq, turns, usage, active_ms, grant_json,
           lease_owner, lease_until, created_at, updated_at)
         SELECT 'run_' || lpad(i::text, 5, '0'), 'desk', 'v1', 'script:x',
           CASE WHEN i < 1500 THEN 'succeeded' WHEN i < 1600 THEN 'running' ELSE 'queued' END,
           '{}', 0, 0, '{}', 0, '{}',
           CASE WHEN i BETWEEN 1500 AND 1599 THEN 'worker_other' END,
           CASE WHEN i BETWEEN 1500 AND 1599 THEN ${NOW + 60_000} END,
           i, i
         FROM generate_series(0, 1999) AS i`,
      );
      await c.query(`PREPARE candidates AS ${candidatesSql('$1', '$2', '$3', '$4')}`);
      // EXPLAIN EXECUTE takes no bind parameters: the values as literals.
      const execute = (role: string) => `EXECUTE candidates(ARRAY['${role}'], ${NOW}, 16, ARRAY[]::text[])`;
      for (const mode of ['force_custom_plan', 'force_generic_plan']) {
        await c.query(`SET plan_cache_mode = ${mode}`);
        const plan = (await c.query(`EXPLAIN ${execute('desk')}`)).rows
          .map((r: Record<string, string>) => r['QUERY PLAN'])
          .join('\n');
        assert.doesNotMatch(plan, /runs_role_created/, `${mode}:\n${plan}`);
        assert.match(plan, /runs_claim/, `${mode}:\n${plan}`);
      }
      // And it answers: the 16 oldest queued runs, none of the leased ones; another role's runs not at all.
      await c.query('BEGIN');
      const rows = (await c.query(execute('desk'))).rows as { id: string }[];
      await c.query('ROLLBACK');
      assert.deepEqual(
        rows.map((r) => r.id),
        Array.from({ length: 16 }, (_, i) => `run_${String(1600 + i).padStart(5, '0')}`),
      );
      await c.query('BEGIN');
      const none = await c.query(execute('other'));
      await c.query('ROLLBACK');
      assert.equal(none.rows.length, 0);
    } finally {
      await c.end();
      await dropSchema(schema);
    }
  });
});
