// The five figures per role over time (the console's charts): a range cut into buckets (hours for a day,
// UTC days beyond), each bucket's figures asked of the store (StatsReads.statsRows with since/until, so
// closed hours come from the rollup of docs/decisions/020-stats-rollup.md), never recomputed here from
// the runs. A bucket with no runs of a role has no point (null), not a zero.
import { NightshiftError } from '../errors.js';
import type { StatsOptions, StatsReads } from '../store/types.js';
import { buildReport, type RoleStats } from './report.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The ranges the console offers, each with the bucket that gives it a readable number of points. */
export const SERIES_RANGES = {
  '24h': { bucketMs: HOUR_MS, buckets: 24 },
  '7d': { bucketMs: DAY_MS, buckets: 7 },
  '30d': { bucketMs: DAY_MS, buckets: 30 },
} as const;
export type SeriesRange = keyof typeof SERIES_RANGES;

/** `?range=`: absent means 7d; anything else not offered is a USAGE error that lists the ranges. */
export function parseRange(text: string | null | undefined): SeriesRange {
  // Absent is the default; given empty (`?range=`) is a range nobody named, refused like any other.
  const range = text === null || text === undefined ? '7d' : text.trim();
  if (Object.hasOwn(SERIES_RANGES, range)) return range as SeriesRange;
  throw new NightshiftError(
    'USAGE',
    `unknown range '${range}' for the charts: one of ${Object.keys(SERIES_RANGES).join(', ')}`,
  );
}

/** One bucket's five figures for one role and version (null: nothing to measure in that bucket). */
export interface SeriesPoint {
  runs: number;
  successRate: number | null;
  /** Creation to finish, p50 of the runs finished (created in the bucket). */
  durationP50Ms: number | null;
  toolCalls: number;
  /** Tool calls per run (the ledger's entries over the bucket's runs). */
  toolCallsPerRun: number | null;
  costPerTaskUsd: number | null;
  escalationRate: number | null;
}

export interface RoleSeries {
  role: string;
  roleVersion: string;
  /** One per bucket, in bucket order; null where the role had no run created in it. */
  points: (SeriesPoint | null)[];
}

export interface StatsSeries {
  range: SeriesRange;
  bucketMs: number;
  /** [start, end) of each bucket, epoch ms, oldest first; the last holds `now`. */
  buckets: { start: number; end: number }[];
  /** Sorted by role, then version. */
  roles: RoleSeries[];
}

function pointOf(g: RoleStats): SeriesPoint {
  return {
    runs: g.runs.total,
    successRate: g.runs.successRate,
    durationP50Ms: g.latency.durationMs.p50,
    toolCalls: g.toolCalls.total,
    toolCallsPerRun: g.runs.total > 0 ? g.toolCalls.total / g.runs.total : null,
    costPerTaskUsd: g.cost.perTask.meanUsd,
    escalationRate: g.escalations.rate,
  };
}

/** The buckets of `range` ending with the one that holds `now` (bucket edges on whole UTC hours or days). */
export function seriesBuckets(range: SeriesRange, now: number): { start: number; end: number }[] {
  const { bucketMs, buckets } = SERIES_RANGES[range];
  const end = (Math.floor(now / bucketMs) + 1) * bucketMs;
  return Array.from({ length: buckets }, (_, i) => {
    const start = end - (buckets - i) * bucketMs;
    return { start, end: start + bucketMs };
  });
}

/** The series of every role with runs in the range: one store question per bucket. */
export async function computeSeries(
  store: StatsReads,
  range: SeriesRange,
  options: { now?: number; role?: string } & Pick<StatsOptions, 'rollup'> = {},
): Promise<StatsSeries> {
  const now = options.now ?? Date.now();
  const buckets = seriesBuckets(range, now);
  const byGroup = new Map<string, RoleSeries>();
  // One at a time: SQLite answers synchronously anyway, and Postgres' pool stays free for the daemon.
  for (const [i, b] of buckets.entries()) {
    const filter = { since: b.start, until: b.end, ...(options.role ? { role: options.role } : {}) };
    // The first question fills the rollup up to `now`; the others read it as it then stands.
    const ask = {
      now,
      ...(i > 0 ? { fill: false } : {}),
      ...(options.rollup === false ? { rollup: false } : {}),
    };
    const report = buildReport(await store.statsRows(filter, ask), filter);
    for (const g of report.groups) {
      const key = `${g.role}\u0000${g.roleVersion}`;
      let series = byGroup.get(key);
      if (!series) {
        series = { role: g.role, roleVersion: g.roleVersion, points: buckets.map(() => null) };
        byGroup.set(key, series);
      }
      series.points[i] = pointOf(g);
    }
  }
  const roles = [...byGroup.values()].sort((a, b) =>
    a.role === b.role ? (a.roleVersion < b.roleVersion ? -1 : 1) : a.role < b.role ? -1 : 1,
  );
  return { range, bucketMs: SERIES_RANGES[range].bucketMs, buckets, roles };
}
