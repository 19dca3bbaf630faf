// The improvement rounds contract (test/contract/improvements.ts) against the embedded store and the real Postgres.
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { describeImprovementRoundsContract } from '../contract/improvements.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';

describeImprovementRoundsContract('sqlite', async () => {
  const tmp = tempDir('nightshift-improvements-store-');
  return {
    store: openSqliteStore({ path: join(tmp.path, 'nightshift.db') }),
    cleanup: async () => tmp.cleanup(),
  };
});

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);
else {
  const schema = freshSchema();
  describeImprovementRoundsContract('postgres', async () => ({
    store: openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
    cleanup: () => dropSchema(schema),
  }));
}
