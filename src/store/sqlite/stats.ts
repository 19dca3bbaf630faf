// `statsRows` on SQLite: the shared aggregations (../sql/stats.ts), with the percentile values streamed
// from one scan (raw rows, no object per run) and ranked by readStatsRows.
import type { StatsFilter, StatsRows } from '../records/stats.js';
import { sqliteStatsDialect } from '../sql/stats.js';
import { readStatsRows } from '../sql/stats-rows.js';
import { all, type Statements } from './statements.js';

/** `read` runs a function on the store's statements after its queued writes (SqliteStore.read). */
export function sqliteStatsRows(
  read: <T>(what: string, fn: (s: Statements) => T) => Promise<T>,
  filter: StatsFilter,
): Promise<StatsRows> {
  return readStatsRows(
    sqliteStatsDialect,
    (q) => read('computing stats', (s) => all(s, q)),
    filter,
    (q, onRow) =>
      read('computing stats', (s) => {
        for (const row of s.sql(q.text).raw(true).iterate(q.params)) onRow(row as unknown[]);
      }),
  );
}
