// Postgres refusing a new connection for its connection limit (SQLSTATE 53300: `max_connections` reached
// by other clients, or a role's or database's CONNECTION LIMIT) is a busy database, not an unknown error:
// nothing was sent, so a request is answered 503 STORE_BUSY ("send it again") instead of 500 INTERNAL,
// which no producer retries. Found by the substrate bench on a shared server other processes' pools had
// filled: events answered 500 were never recorded and the bench waited for their runs ("stuck at N/2000").
// Real Postgres: a login role of its own whose CONNECTION LIMIT is 0. Skipped, saying so, without Postgres.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { storeFailureAnswer } from '../../src/server/store-outage.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';

const skip = await postgresUnavailable();

describe('Postgres connection limit', { skip }, () => {
  it('a connection refused for the connection limit (53300) is STORE_BUSY, answered 503', async () => {
    const role = `ns_limit_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER CONNECTION LIMIT 0`);
    const url = new URL(TEST_DATABASE_URL);
    url.username = role;
    url.password = '';
    const store = openPostgresStore({ connectionString: url.toString(), schema: `${role}_s` });
    try {
      const err = await store.getRun('run_x').then(
        () => assert.fail('the store read went through a connection the limit forbids'),
        (e: unknown) => e as { code?: string; message: string; details?: Record<string, unknown> },
      );
      assert.equal(err.code, 'STORE_ERROR');
      assert.match(err.message, /too many connections/);
      assert.deepEqual(err.details, { storeBusy: true });
      const answer = storeFailureAnswer(err);
      assert.equal(answer?.status, 503);
      assert.equal(answer?.body.error.code, 'STORE_BUSY');
      // Not an outage: the database answered.
      assert.deepEqual(store.health?.(), { ok: true });
    } finally {
      await store.close().catch(() => {});
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });
});
