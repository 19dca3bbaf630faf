// `statsRows` on Postgres: the shared aggregations and rollup plans (../sql/stats-*.ts). Single
// statements run concurrently on the pool (percentiles by percentile_disc); a rollup fill or a report
// over the rollup runs as one transaction on one connection, whose first statements (the dialect's)
// set its isolation and, for a fill, take the lock that keeps two fillers apart.
import type { StatsFilter, StatsOptions, StatsRows } from '../records/stats.js';
import { postgresStatsDialect } from '../sql/stats.js';
import { type Plan, runPlanAsync } from '../sql/stats-plan.js';
import { readStatsRows } from '../sql/stats-rows.js';
import type { Database } from './database.js';

export function postgresStatsRows(
  db: Database,
  filter: StatsFilter,
  options?: StatsOptions,
): Promise<StatsRows> {
  const inTransaction =
    (what: string) =>
    <T>(plan: Plan<T>): Promise<T> =>
      db.tx(what, (c) =>
        runPlanAsync(plan, async (step) => {
          const { text, params } = step.query;
          const result = await c.query({
            text,
            values: params,
            ...(step.mode === 'raw' ? { rowMode: 'array' } : {}),
          });
          return step.mode === 'run' ? [] : (result.rows as unknown[]);
        }),
      );
  return readStatsRows(
    postgresStatsDialect,
    {
      query: (q) => db.q('computing stats', q.text, q.params),
      write: inTransaction('rolling up stats'),
      read: inTransaction('computing stats'),
    },
    filter,
    options,
  );
}
