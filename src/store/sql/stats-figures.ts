// The additive figures of a selection of runs (counts and sums, which merge by addition) typed from the
// grouped statements of stats.ts, and the raw values of its distributions gathered for ranking. Shared by
// the report over the runs, the report over the rollup and the rollup's fill.
import type { StatsDistribution, StatsRows } from '../records/stats.js';
import type { Query } from './dialect.js';
import * as sql from './stats.js';
import { type Plan, type Row, raw, rows } from './stats-plan.js';
import { collectRow, ValueChunks } from './stats-values.js';

/** The additive part of StatsRows; with `byHour`, every row also carries its creation hour. */
export type Figures = Omit<StatsRows, 'distributions'>;
type Hourly<T> = { [K in keyof T]: T[K] extends (infer R)[] ? (R & { hour?: number })[] : T[K] };
export type HourlyFigures = Hourly<Figures>;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const group = (r: Row) => ({
  role: str(r.role),
  roleVersion: str(r.role_version),
  ...(r.hour === undefined ? {} : { hour: Number(r.hour) }),
});

export const emptyFigures = (): HourlyFigures => ({
  runs: [],
  failures: [],
  toolCalls: [],
  escalations: [],
  escalatedRuns: [],
  approvals: [],
});

/** The six additive statements' rows, typed (in the order of `additiveQueries`). */
export function typeFigures(results: Row[][]): HourlyFigures {
  const [runs, failures, toolCalls, escalations, escalatedRuns, approvals] = results as [
    Row[],
    Row[],
    Row[],
    Row[],
    Row[],
    Row[],
  ];
  return {
    runs: runs.map((r) => ({
      ...group(r),
      status: str(r.status),
      count: num(r.count),
      costUsd: num(r.cost_usd),
      inputTokens: num(r.input_tokens),
      outputTokens: num(r.output_tokens),
      cachedInputTokens: num(r.cached_input_tokens),
    })),
    failures: failures.map((r) => ({ ...group(r), code: str(r.code), count: num(r.count) })),
    toolCalls: toolCalls.map((r) => ({
      ...group(r),
      tool: str(r.tool),
      decision: str(r.decision),
      status: str(r.status),
      count: num(r.count),
    })),
    escalations: escalations.map((r) => ({ ...group(r), category: str(r.category), count: num(r.count) })),
    escalatedRuns: escalatedRuns.map((r) => ({ ...group(r), count: num(r.count) })),
    approvals: approvals.map((r) => ({ ...group(r), status: str(r.status), count: num(r.count) })),
  };
}

/** The additive statements, in the order typeFigures reads them. */
export const additiveQueries = (d: sql.StatsDialect, sel: sql.StatsSelection) => [
  sql.runsByStatus(d, sel),
  sql.failuresByCode(d, sel),
  sql.toolCalls(d, sel),
  sql.escalationsByCategory(d, sel),
  sql.escalatedRuns(d, sel),
  sql.approvalsByStatus(d, sel),
];

/** The value scans (client percentiles), with the distribution names of their columns. */
export const valueQueries = (
  d: sql.StatsDialect,
  sel: sql.StatsSelection,
): [Query, readonly StatsDistribution[]][] => {
  const client: sql.StatsDialect = { ...d, percentiles: 'client' };
  return [
    [sql.runDistributions(client, sel), sql.RUN_DISTRIBUTIONS],
    [sql.decisionDistribution(client, sel), ['decisionMs']],
  ];
};

/** Appends one list of figures to another (both hourly or both not). */
export function addFigures(into: HourlyFigures, more: HourlyFigures): void {
  for (const key of Object.keys(into) as (keyof HourlyFigures)[])
    (into[key] as unknown[]).push(...(more[key] as unknown[]));
}

/**
 * The figures of the runs `sel` selects, in one plan: the additive rows, and every value of the
 * distributions added to `values` (by group; with `sel.byHour`, to `byHour`'s ValueChunks of the hour).
 */
export function* planFigures(
  d: sql.StatsDialect,
  sel: sql.StatsSelection,
  values: ValueChunks,
  byHour?: Map<number, ValueChunks>,
): Plan<HourlyFigures> {
  const results: Row[][] = [];
  for (const q of additiveQueries(d, sel)) results.push(yield* rows(q));
  for (const [q, names] of valueQueries(d, sel)) {
    for (const row of yield* raw(q)) {
      if (!sel.byHour || !byHour) {
        collectRow(values, names, row);
        continue;
      }
      const hour = Number(row[2]);
      let chunks = byHour.get(hour);
      if (!chunks) {
        chunks = new ValueChunks();
        byHour.set(hour, chunks);
      }
      collectRow(chunks, names, row, 3);
    }
  }
  return typeFigures(results);
}
