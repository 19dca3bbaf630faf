// The event contract (test/contract/event-log.ts) against the embedded store and the real Postgres.
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { describeEventLogContract } from '../contract/event-log.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';

describeEventLogContract('sqlite', async () => {
  const tmp = tempDir('nightshift-event-log-');
  return {
    store: openSqliteStore({ path: join(tmp.path, 'nightshift.db') }),
    cleanup: async () => tmp.cleanup(),
  };
});

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);
else {
  const schema = freshSchema();
  describeEventLogContract('postgres', async () => ({
    store: openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
    cleanup: () => dropSchema(schema),
  }));
}
