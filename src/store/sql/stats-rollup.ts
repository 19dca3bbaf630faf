// The stats rollup (docs/decisions/020-stats-rollup.md): the additive figures and the distributions'
// values of settled runs, per hour of creation, role and role version, so the report over all time reads
// a few rows per hour instead of every run. Filled lazily by `stats` (nothing is done on commit), one
// transaction per day or week of history (the dialect's rollupFillDays), each under a lock (SQLite: the
// write transaction; Postgres: LOCK TABLE on stats_rollup_state) and re-reading where the rollup stands,
// so two fillers never add an hour twice. A fill step reads its runs once, every group at once.
//
// Hours before `rolled_until` are rolled up; a run of such an hour that was not settled when its hour was
// filled is kept in stats_rollup_pending and answered from the runs until a later fill finds it settled
// and folds it in (added to its hour, removed from pending, in one transaction).
import * as sql from './stats.js';
import { type Plan, rows } from './stats-plan.js';

// This file holds what the fill (stats-rollup-fill.ts) and the report (stats-rollup-report.ts) share: the
// hour arithmetic, the rollup's state row, its columns and the values' encoding.

export const H = sql.HOUR_MS;
/** An hour is closed (no run can still be created in it) once it ended this long ago. */
export const SETTLE_MS = 3_600_000;
/**
 * Hours kept hour by hour before `rolled_until`; older ones are compacted to one row per day and key, so
 * the all-time report reads ~30 rows per group and key a month instead of ~720. A `--since` inside a
 * compacted day is answered from the runs up to the next day.
 */
export const HOURLY_HOURS = 48;
export const DAY = 24;

export type RollupDialect = sql.StatsDialect;

/** The last hour (exclusive) closed at `now`. */
export const closedUntil = (now: number) => Math.floor((now - SETTLE_MS) / H);

export const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
export const bind = (d: sql.StatsDialect, params: unknown[], value: unknown) => {
  params.push(value);
  return d.param(params.length);
};

export interface RollupState {
  /** Hours before it are rolled up. */
  rolledUntil: number;
  /** Hours before it are compacted to days (a day's first hour, or 0). */
  daysUntil: number;
}

export function* readState(): Plan<RollupState | undefined> {
  const [state] = yield* rows({
    text: 'SELECT rolled_until, days_until FROM stats_rollup_state WHERE id = 1',
    params: [],
  });
  return state ? { rolledUntil: num(state.rolled_until), daysUntil: num(state.days_until) } : undefined;
}

/** Where hour `h`'s figures are kept: its own row, or its day's. */
export const bucketOf = (h: number, daysUntil: number) => (h < daysUntil ? Math.floor(h / DAY) * DAY : h);

export const FIGURE_COLUMNS = [
  'hour',
  'role',
  'role_version',
  'kind',
  'k1',
  'k2',
  'k3',
  'count',
  'cost_usd',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
];

export const encode = (values: Float64Array) =>
  Buffer.from(values.buffer, values.byteOffset, values.byteLength);
export const decode = (blob: unknown): Float64Array => {
  const b = blob as Uint8Array;
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
