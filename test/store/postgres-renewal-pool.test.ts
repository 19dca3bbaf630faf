// Lease renewals must not wait behind a full pool. Found by a slow-database fault run (0.5 s each way
// through a loopback proxy, two `serve` workers at --concurrency 32): the commits of 32 runs held all ten
// pooled connections for seconds, the renewals queued behind them, 49 of 64 live runs lost their leases
// and every call they had in flight became an `unknown_outcome` for a person. Renewals have their own
// connections. Real Postgres: the pool is filled with real sleeping statements.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';

const skip = await postgresUnavailable();

describe('Postgres: lease renewals while the pool is busy', { skip }, () => {
  const schema = freshSchema();
  let store: PostgresStore;
  before(async () => {
    store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema, max: 3 });
    await store.init();
  });
  after(async () => {
    await store.close();
    await dropSchema(schema);
  });

  it('answers at once while every pooled connection is taken by a slow statement', async () => {
    const busy = Array.from({ length: 3 }, () => store.db.q('a slow statement', 'SELECT pg_sleep(3)'));
    // Let the slow statements take every connection of the pool first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lease = { owner: 'test/1/x', epoch: 1 };
    const t0 = Date.now();
    const batch = await store.renewLeases([{ runId: 'run_none', lease, until: Date.now() + 30_000 }]);
    const one = await store.renewLease('run_none', lease, Date.now() + 30_000);
    const waited = Date.now() - t0;
    assert.deepEqual(batch, [false]);
    assert.equal(one, false);
    assert.ok(waited < 1500, `the renewals waited ${waited} ms for the busy pool`);
    await Promise.all(busy);
  });
});
