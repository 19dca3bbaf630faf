// `nightshift stats` figures, computed by each store in SQL, checked against runs the test controls:
// the same contract (test/contract/stats.ts) on the embedded SQLite store and on Postgres.
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { describeStatsContract } from '../contract/stats.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';

describeStatsContract('sqlite', async () => {
  const tmp = tempDir('nightshift-stats-');
  return {
    store: openSqliteStore({ path: join(tmp.path, 'data', 'nightshift.db') }),
    cleanup: async () => tmp.cleanup(),
  };
});

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);
else {
  const schema = freshSchema();
  describeStatsContract('postgres', async () => ({
    store: openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
    cleanup: () => dropSchema(schema),
  }));
}
