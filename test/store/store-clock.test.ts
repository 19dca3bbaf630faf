// A Postgres runtime keeps time by the database server's clock (store-clock.ts): what it writes (lease
// ends, timestamps) agrees with what every other worker of the database writes, whatever this host's
// wall clock says, and a step of this host's wall clock does not move it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { StoreClock } from '../../src/store/store-clock.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';

const pgSkip = await postgresUnavailable();

describe('the store clock (Postgres)', { skip: pgSkip }, () => {
  const schema = freshSchema();
  const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
  before(() => store.init());
  after(async () => {
    await store.close();
    await dropSchema(schema);
  });

  it("reads the database's clock, and is not moved by a step of this host's wall clock", async () => {
    const clock = await StoreClock.open(() => store.clockNow());
    const db = await store.clockNow();
    assert.ok(Math.abs(clock.now() - db) < 250, `${clock.now()} vs the database's ${db}`);
    const realNow = Date.now;
    Date.now = () => realNow() + 3_600_000;
    try {
      const stepped = clock.now();
      assert.ok(
        Math.abs(stepped - (await store.clockNow())) < 250,
        'an hour forward on this host: no change',
      );
      // The step is noticed (wall and monotonic clocks disagree) and the database asked again: still the same.
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(Math.abs(clock.now() - (await store.clockNow())) < 250);
    } finally {
      Date.now = realNow;
    }
    assert.ok(clock.elapsed() <= performance.now());
  });
});
