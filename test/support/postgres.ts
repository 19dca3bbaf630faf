// The real Postgres on this machine (127.0.0.1:5432, database `test`). Without one, the Postgres tests are
// skipped with a clear message on a developer's machine, and FAIL in CI (CI set, as `.ci/run` has it), so a
// CI machine without a database can never pass by running none of them.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrations } from '../../src/store/postgres/migrations.js';

export const TEST_DATABASE_URL =
  process.env.NIGHTSHIFT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** CI=true (or any value but "false"/"0"), or NIGHTSHIFT_REQUIRE_POSTGRES=1 outside CI. */
export function postgresRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  return (
    (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') || env.NIGHTSHIFT_REQUIRE_POSTGRES === '1'
  );
}

let reachable: Promise<string | undefined> | undefined;

/**
 * Undefined when Postgres answers; otherwise why the Postgres tests are skipped. Rejects instead when
 * Postgres is required (CI), which fails the test file or test that asked.
 */
export function postgresUnavailable(): Promise<string | undefined> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (err) {
      const why = `Postgres not reachable at ${TEST_DATABASE_URL} (${(err as Error).message})`;
      if (postgresRequired()) {
        throw new Error(
          `${why}: the Postgres tests are required in CI. Start Postgres and create the database (.ci/postgres does both), or set NIGHTSHIFT_TEST_DATABASE_URL.`,
        );
      }
      return `${why}: skipping the Postgres tests (they are required when CI is set)`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

export function freshSchema(): string {
  return `ns_test_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Makes `schema` as a nightshift from before migration `version` left it: the migrations below `version`
 * applied and recorded, as the store records them. `client` stays on the schema (search_path), so the
 * test can put rows in before a store opened on it runs the later migrations at init.
 */
export async function schemaBefore(client: pg.Client, schema: string, version: number): Promise<void> {
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`SET search_path TO ${schema}`);
  await client.query(
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  );
  for (const m of [...migrations].sort((a, b) => a.version - b.version).filter((x) => x.version < version)) {
    await client.query(m.sql);
    await client.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
  }
}
