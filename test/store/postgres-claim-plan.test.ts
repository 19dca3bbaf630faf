// The Postgres claim's candidates (the function claim_candidates, migration 23) walk runs_claim from its
// oldest entry and stop after the rows they take: a claim reads the live runs ahead of the ones it takes,
// not the whole backlog, whether or not the schema has statistics yet. The planner on its own read every
// entry of runs_claim in a bitmap and sorted all live runs, or (on a schema without statistics) combined
// runs_role_created, every run the role ever had, with runs_claim (src/store/postgres/migrations.ts).
// Checked on a schema made by the real migrations, with 1,500 finished, 100 leased and 400 queued runs of
// one role, first without ANALYZE (a new deployment, the substrate bench's fresh schema), then with it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimQueue, queueRunId } from '../support/claim-queue.js';
import { dropSchema, postgresUnavailable } from '../support/postgres.js';

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);

const NOW = 1_000_000;

describe('postgres claim plan', { skip }, () => {
  it('takes the oldest claimable runs reading only the live runs ahead of them, with and without statistics', async () => {
    const { schema, client: c } = await claimQueue({ finished: 1500, leased: 100, queued: 400, now: NOW });
    try {
      // Index entries read, from this backend's statistics not yet sent: they add up across transactions
      // until sent (at most once a second), so a look takes the difference.
      const counts = async () =>
        new Map(
          (
            await c.query(
              `SELECT i AS name, pg_stat_get_xact_numscans(i::regclass)::int AS scans,
                 pg_stat_get_xact_tuples_returned(i::regclass)::int AS entries
                 FROM unnest(ARRAY['runs_claim', 'runs_role_created']) AS i`,
            )
          ).rows.map((r: { name: string; scans: number; entries: number }) => [r.name, r]),
        );
      const claim = async (role: string) => {
        await c.query('BEGIN');
        try {
          const before = await counts();
          const rows = (
            await c.query('SELECT run_id FROM claim_candidates($1, $2, $3, $4)', [[role], NOW, 16, []])
          ).rows as { run_id: string }[];
          const after = await counts();
          const read = (name: string, what: 'scans' | 'entries') =>
            after.get(name)![what] - before.get(name)![what];
          return {
            ids: rows.map((r) => r.run_id),
            claimEntries: read('runs_claim', 'entries'),
            roleScans: read('runs_role_created', 'scans'),
          };
        } finally {
          await c.query('ROLLBACK');
        }
      };
      const oldestQueued = Array.from({ length: 16 }, (_, i) => queueRunId(1600 + i));
      for (const stats of ['without statistics', 'after ANALYZE']) {
        if (stats === 'after ANALYZE') await c.query('ANALYZE runs');
        // Seven claims: PL/pgSQL plans the first five for their values and may keep a generic plan after.
        for (let n = 1; n <= 7; n++) {
          const { ids, claimEntries, roleScans } = await claim('desk');
          assert.deepEqual(ids, oldestQueued, `${stats}, claim ${n}`);
          // The 100 leased runs ahead and the 16 taken; the bitmap read all 500 live runs.
          assert.ok(
            claimEntries > 0 && claimEntries <= 150,
            `${stats}, claim ${n}: runs_claim entries read ${claimEntries}`,
          );
          assert.equal(roleScans, 0, `${stats}, claim ${n}`);
        }
        // Another role's runs are not handed out.
        assert.deepEqual((await claim('other')).ids, [], stats);
      }
    } finally {
      await c.end();
      await dropSchema(schema);
    }
  });
});
