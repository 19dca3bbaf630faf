// `statsRows` on SQLite: the shared aggregations and rollup plans (../sql/stats-*.ts), run on the store's
// one connection: single statements and the percentile scans (raw rows, no object per run) after its
// queued writes, a rollup fill as one of its writes (BEGIN IMMEDIATE: one writer across processes), and
// a report over the rollup in one read transaction (one snapshot).
import type { StatsFilter, StatsOptions, StatsRows } from '../records/stats.js';
import { sqliteStatsDialect } from '../sql/stats.js';
import { type Plan, type PlanStep, runPlanSync } from '../sql/stats-plan.js';
import { readStatsRows } from '../sql/stats-rows.js';
import { all, type Statements } from './statements.js';

type Access = <T>(what: string, fn: (s: Statements) => T) => Promise<T>;

function exec(s: Statements, step: PlanStep): unknown[] {
  const st = s.sql(step.query.text);
  if (step.mode === 'run') {
    st.run(step.query.params);
    return [];
  }
  return st.raw(step.mode === 'raw').all(step.query.params) as unknown[];
}

/** `read` runs a function after the store's queued writes (SqliteStore.read); `write` as one of them. */
export function sqliteStatsRows(
  read: Access,
  write: Access,
  filter: StatsFilter,
  options?: StatsOptions,
): Promise<StatsRows> {
  const what = 'computing stats';
  return readStatsRows(
    sqliteStatsDialect,
    {
      query: (q) => read(what, (s) => all(s, q)),
      scan: (q, onRow) =>
        read(what, (s) => {
          for (const row of s.sql(q.text).raw(true).iterate(q.params)) onRow(row as unknown[]);
        }),
      write: <T>(plan: Plan<T>) =>
        write('rolling up stats', (s) => runPlanSync(plan, (step) => exec(s, step))),
      read: <T>(plan: Plan<T>) =>
        read(what, (s) => {
          s.sql('BEGIN').run();
          try {
            return runPlanSync(plan, (step) => exec(s, step));
          } finally {
            s.sql('COMMIT').run();
          }
        }),
    },
    filter,
    options,
  );
}
