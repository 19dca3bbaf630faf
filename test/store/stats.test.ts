// `nightshift stats` figures, computed by each store in SQL, checked against runs the test controls:
// the same contracts (test/contract/stats.ts, and stats-rollup.ts: the rollup answers as the runs do)
// on the embedded SQLite store and on Postgres.
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { describeStatsContract } from '../contract/stats.js';
import { describeStatsRollupContract } from '../contract/stats-rollup.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';

const sqlite = async () => {
  const tmp = tempDir('nightshift-stats-');
  const path = join(tmp.path, 'data', 'nightshift.db');
  return {
    store: openSqliteStore({ path }),
    another: () => openSqliteStore({ path }),
    cleanup: async () => tmp.cleanup(),
  };
};
describeStatsContract('sqlite', sqlite);
describeStatsRollupContract('sqlite', sqlite);

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);
else {
  const postgres = async () => {
    const schema = freshSchema();
    return {
      store: openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
      another: () => openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
      cleanup: () => dropSchema(schema),
    };
  };
  describeStatsContract('postgres', postgres);
  describeStatsRollupContract('postgres', postgres);
}
