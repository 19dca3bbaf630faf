// A queue to claim from, on a schema made by the real Postgres migrations and never analyzed (as a new
// deployment has it): `finished` succeeded runs (the oldest), then `leased` running runs whose lease holds
// past `now`, then `queued` runs, all of role `desk`, created in that order (created_at = their number).
// Used by the claim-plan test and bench/claim-backlog.ts. The caller ends the client and drops the schema
// (done here when making the queue fails).
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from './postgres.js';

export interface ClaimQueue {
  schema: string;
  /** Connected, its search_path on the schema. */
  client: pg.Client;
}

export async function claimQueue(o: {
  finished: number;
  leased: number;
  queued: number;
  now: number;
}): Promise<ClaimQueue> {
  const schema = freshSchema();
  const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
  await store.init();
  await store.close();
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  try {
    await client.connect();
    await client.query(`SET search_path TO ${schema}`);
    const queuedFrom = o.finished + o.leased;
    await client.query(
      `INSERT INTO runs (id, role, role_version, model, status, input, seq, turns, usage, active_ms, grant_json,
         lease_owner, lease_until, created_at, updated_at)
       SELECT 'run_' || lpad(i::text, 6, '0'), 'desk', 'v1', 'script:x',
         CASE WHEN i < $1 THEN 'succeeded' WHEN i < $2 THEN 'running' ELSE 'queued' END,
         '{}', 0, 0, '{}', 0, '{}',
         CASE WHEN i >= $1 AND i < $2 THEN 'worker_other' END,
         CASE WHEN i >= $1 AND i < $2 THEN $3::bigint END,
         i, i
       FROM generate_series(0, $4::int - 1) AS i`,
      [o.finished, queuedFrom, o.now + 60_000, queuedFrom + o.queued],
    );
  } catch (err) {
    // Nothing left behind when the queue could not be made.
    await client.end().catch(() => {});
    await dropSchema(schema);
    throw err;
  }
  return { schema, client };
}

/** The id claimQueue gave its n-th run (0-based, in creation order). */
export const queueRunId = (n: number): string => `run_${String(n).padStart(6, '0')}`;
