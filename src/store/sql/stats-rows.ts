// `statsRows` for both stores: the figures of `nightshift stats`, read from the rollup where it can
// answer (closed hours, stats-rollup.ts) and from the runs for the rest, or from the runs alone (the
// report over the open hours, or when asked to: the equivalence tests). Both stores run the same
// statements and plans through their own drivers (StatsDb), so they answer with the same figures.
import type { StatsDistribution, StatsFilter, StatsOptions, StatsRows } from '../records/stats.js';
import type { Query } from './dialect.js';
import * as sql from './stats.js';
import { additiveQueries, typeFigures } from './stats-figures.js';
import type { Plan, Row } from './stats-plan.js';
import { closedUntil, type RollupDialect } from './stats-rollup.js';
import { planFill } from './stats-rollup-fill.js';
import { planReport } from './stats-rollup-report.js';
import { collectRow, ValueChunks } from './stats-values.js';

/** How a store runs the statements: one at a time, or a plan in one transaction (see stats-plan.ts). */
export interface StatsDb {
  /** One statement (Postgres may run several at once on its pool). */
  query(q: Query): Promise<Row[]>;
  /** Streams a statement's rows as arrays: needed with the 'client' percentiles. */
  scan?(q: Query, onRow: (row: unknown[]) => void): Promise<void>;
  /** A plan in one write transaction that excludes other fillers. */
  write<T>(plan: Plan<T>): Promise<T>;
  /** A plan in one read snapshot. */
  read<T>(plan: Plan<T>): Promise<T>;
}

/** Every figure of `nightshift stats` for the runs `filter` selects. */
export async function readStatsRows(
  d: RollupDialect,
  db: StatsDb,
  filter: StatsFilter,
  options: StatsOptions = {},
): Promise<StatsRows> {
  const now = options.now ?? Date.now();
  const closed = closedUntil(now);
  const covers = filter.since === undefined || Math.ceil(filter.since / sql.HOUR_MS) < closed;
  if (options.rollup !== false && covers) {
    // The first call after a while fills the hours closed since (a day per transaction).
    if (options.fill !== false) for (let fold = true; await db.write(planFill(d, now, fold)); fold = false);
    const rolled = await db.read(planReport(d, filter));
    if (rolled) return { ...rolled.figures, distributions: rolled.values.percentiles() };
  }
  return fromRuns(d, db, filter);
}

/** The figures from the runs alone. */
async function fromRuns(d: sql.StatsDialect, db: StatsDb, filter: StatsFilter): Promise<StatsRows> {
  type Dist = StatsRows['distributions'];
  const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
  const maybe = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  const percentiles = async (q: Query, names: readonly StatsDistribution[]): Promise<Dist> => {
    if (d.percentiles === 'ordered-set')
      return (await db.query(q))
        .filter((r) => num(r.count) > 0)
        .map((r) => ({
          role: String(r.role),
          roleVersion: String(r.role_version),
          name: String(r.name) as StatsDistribution,
          count: num(r.count),
          p50: maybe(r.p50),
          p95: maybe(r.p95),
          p99: maybe(r.p99),
        }));
    if (!db.scan) throw new Error('readStatsRows: client percentiles need a scan function');
    const values = new ValueChunks();
    await db.scan(q, (row) => collectRow(values, names, row));
    return values.percentiles();
  };
  const [additive, runDists, decisions] = await Promise.all([
    Promise.all(additiveQueries(d, filter).map((q) => db.query(q))),
    percentiles(sql.runDistributions(d, filter), sql.RUN_DISTRIBUTIONS),
    percentiles(sql.decisionDistribution(d, filter), ['decisionMs']),
  ]);
  return { ...typeFigures(additive), distributions: [...runDists, ...decisions] };
}
