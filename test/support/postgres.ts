// The real Postgres on this machine (127.0.0.1:5432, database `test`), or a clear skip when it is not up.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_DATABASE_URL =
  process.env.NIGHTSHIFT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<string | undefined> | undefined;

/** Undefined when Postgres answers; otherwise why the Postgres tests are skipped. */
export function postgresUnavailable(): Promise<string | undefined> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (err) {
      return `Postgres not reachable at ${TEST_DATABASE_URL} (${(err as Error).message}): skipping the Postgres tests`;
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
