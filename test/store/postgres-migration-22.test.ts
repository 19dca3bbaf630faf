// Postgres migration 22 (room on tool_calls pages for in-place updates) on a schema made by the migrations
// before it, with a tool call in it: the call is still read back, the table has fillfactor 70, and a call
// written after the migration is updated in place (HOT) when it returns even though later calls have
// filled its page up to the fillfactor. At fillfactor 100 that update found its page full and was not HOT.
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

async function insertRun(c: pg.Client, id: string): Promise<void> {
  await c.query(
    `INSERT INTO runs (id, role, role_version, model, status, input, seq, turns, usage, active_ms, grant_json,
       created_at, updated_at)
     VALUES ($1, 'r', 'v1', 'script:x', 'running', '{}', 0, 0, '{}', 0, '{}', 1, 1)`,
    [id],
  );
}

/** A decided call, as the engine writes it before running the tool: no result yet. */
async function insertCall(c: pg.Client, runId: string, idx: number): Promise<void> {
  await c.query(
    `INSERT INTO tool_calls (run_id, step, idx, key, call_id, tool, args, args_hash, decision, reason, status,
       result, is_error, started_at)
     VALUES ($1, 1, $2, $3, $4, 'fs.readdir', $5, 'h', 'allow', 'policy', 'started', NULL, false, 1)`,
    [runId, idx, `${runId}:1:${idx}`, `call_${idx}`, JSON.stringify({ path: 'x'.repeat(200) })],
  );
}

describe('postgres migration 22', { skip }, () => {
  it('leaves room on tool_calls pages, so a returning call is updated in place', async () => {
    const schema = freshSchema();
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    try {
      await schemaBefore(c, schema, 22);
      await insertRun(c, 'run_old');
      await insertCall(c, 'run_old', 0);

      const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
      await store.init();
      try {
        const snap = await store.loadRun('run_old');
        assert.equal(snap?.toolCalls.length, 1, 'the call written before the migration is still read');
      } finally {
        await store.close();
      }

      const opts = await c.query<{ reloptions: string[] | null }>(
        `SELECT reloptions FROM pg_class WHERE oid = to_regclass($1)`,
        [`${schema}.tool_calls`],
      );
      assert.deepEqual(opts.rows[0]?.reloptions, ['fillfactor=70']);

      // A new run's calls on a page of their own (the old call's page is left as it was): the first call,
      // then later ones until the page is as full as the fillfactor lets inserts make it.
      await c.query('TRUNCATE tool_calls');
      await insertRun(c, 'run_new');
      const page = async (idx: number) =>
        (
          await c.query<{ page: string }>(
            `SELECT (ctid::text::point)[0]::int AS page FROM tool_calls WHERE run_id = 'run_new' AND idx = $1`,
            [idx],
          )
        ).rows[0]!.page;
      let n = 0;
      do await insertCall(c, 'run_new', ++n);
      while ((await page(n)) === (await page(1)));
      assert.ok(n > 10, `${n - 1} calls fit on the first page`);

      // The first call returns: its result, status and finish time, in one transaction that reads its own
      // counts (pg_stat_get_xact_* are this transaction's, not the statistics collector's, so no waiting).
      await c.query('BEGIN');
      await c.query(
        `UPDATE tool_calls SET status = 'succeeded', result = $1, finished_at = 2 WHERE run_id = 'run_new' AND idx = 1`,
        [JSON.stringify({ entries: ['a.txt', 'b.txt', 'c.txt'] })],
      );
      const counts = await c.query<{ updated: string; hot: string }>(
        `SELECT pg_stat_get_xact_tuples_updated(to_regclass($1)) AS updated,
           pg_stat_get_xact_tuples_hot_updated(to_regclass($1)) AS hot`,
        [`${schema}.tool_calls`],
      );
      await c.query('COMMIT');
      assert.deepEqual(counts.rows[0], { updated: '1', hot: '1' });
      assert.equal(await page(1), await page(2), 'the new version stays on its page');
    } finally {
      await c.end();
      await dropSchema(schema);
    }
  });
});
