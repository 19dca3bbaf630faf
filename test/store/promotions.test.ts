// The promotions contract (test/contract/promotions.ts) against the embedded store and the real Postgres.
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { describePromotionsContract } from '../contract/promotions.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';

describePromotionsContract('sqlite', async () => {
  const tmp = tempDir('nightshift-promotions-');
  const path = join(tmp.path, 'nightshift.db');
  let store = openSqliteStore({ path });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = openSqliteStore({ path });
      await store.init();
      return store;
    },
    cleanup: async () => {
      await store.close();
      tmp.cleanup();
    },
  };
});

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);
else {
  const schema = freshSchema();
  describePromotionsContract('postgres', async () => ({
    store: openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
    cleanup: () => dropSchema(schema),
  }));
}
