// The under-way contract (test/contract/under-way.ts) against the embedded store and the real Postgres.
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { describeUnderWayContract } from '../contract/under-way.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';

describeUnderWayContract('sqlite', async () => {
  const tmp = tempDir('nightshift-under-way-');
  return {
    store: openSqliteStore({ path: join(tmp.path, 'nightshift.db') }),
    cleanup: async () => tmp.cleanup(),
  };
});

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);
else {
  const schema = freshSchema();
  describeUnderWayContract('postgres', async () => ({
    store: openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
    cleanup: () => dropSchema(schema),
  }));
}
