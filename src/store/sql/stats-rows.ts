// Runs the stats aggregations (stats.ts) through a store's own query functions and types their rows:
// both stores share it, so they answer `statsRows` with the same figures by construction. Where the
// database has no percentile aggregate (SQLite), the values are streamed here and ranked (rankValues).
import type { StatsDistribution, StatsFilter, StatsGroup, StatsRows } from '../records/stats.js';
import type { Query } from './dialect.js';
import * as sql from './stats.js';

type Row = Record<string, unknown>;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const maybe = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const group = (r: Row): StatsGroup => ({ role: str(r.role), roleVersion: str(r.role_version) });

/**
 * Every figure of `nightshift stats` for the runs `filter` selects. `query` runs one statement (the
 * Postgres store may run them concurrently on its pool; SQLite runs them one after the other).
 */
export async function readStatsRows(
  d: sql.StatsDialect,
  query: (q: Query) => Promise<Row[]>,
  filter: StatsFilter,
  /** Streams a statement's rows as arrays: needed with the 'client' percentiles. */
  scan?: (q: Query, onRow: (row: unknown[]) => void) => Promise<void>,
): Promise<StatsRows> {
  const percentiles = (q: Query, names: readonly StatsDistribution[]): Promise<Row[]> => {
    if (d.percentiles === 'ordered-set') return query(q);
    if (!scan) throw new Error('readStatsRows: client percentiles need a scan function');
    return rankValues(q, names, scan);
  };
  const [runs, failures, toolCalls, escalations, escalatedRuns, approvals, runDists, decisions] =
    await Promise.all([
      query(sql.runsByStatus(d, filter)),
      query(sql.failuresByCode(d, filter)),
      query(sql.toolCalls(d, filter)),
      query(sql.escalationsByCategory(d, filter)),
      query(sql.escalatedRuns(d, filter)),
      query(sql.approvalsByStatus(d, filter)),
      percentiles(sql.runDistributions(d, filter), sql.RUN_DISTRIBUTIONS),
      percentiles(sql.decisionDistribution(d, filter), ['decisionMs']),
    ]);
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
    distributions: [...runDists, ...decisions]
      .filter((r) => num(r.count) > 0)
      .map((r) => ({
        ...group(r),
        name: str(r.name) as StatsDistribution,
        count: num(r.count),
        p50: maybe(r.p50),
        p95: maybe(r.p95),
        p99: maybe(r.p99),
      })),
  };
}

/**
 * Nearest-rank percentiles from a scan of rows (role, role_version, v0, v1, ...), one value per
 * distribution in `names` order: each group's non-NULL values sorted, the value at rank ceil(p * n).
 * Rows come back as the ordered-set query's are: role, role_version, name, count, p50, p95, p99.
 */
async function rankValues(
  q: Query,
  names: readonly StatsDistribution[],
  scan: (q: Query, onRow: (row: unknown[]) => void) => Promise<void>,
): Promise<Row[]> {
  const groups = new Map<string, { role: unknown; version: unknown; values: number[][] }>();
  await scan(q, (row) => {
    const key = `${row[0]}\u0000${row[1]}`;
    let g = groups.get(key);
    if (!g) {
      g = { role: row[0], version: row[1], values: names.map(() => []) };
      groups.set(key, g);
    }
    for (let i = 0; i < names.length; i++) {
      const v = row[i + 2];
      if (v !== null && v !== undefined) g.values[i]!.push(Number(v));
    }
  });
  const out: Row[] = [];
  for (const g of groups.values()) {
    names.forEach((name, i) => {
      const sorted = Float64Array.from(g.values[i]!).sort();
      const n = sorted.length;
      // ceil(p * n / 100) in integers, as a 0-based index.
      const at = (p: number) => (n === 0 ? null : sorted[Math.floor((p * n + 99) / 100) - 1]);
      out.push({
        role: g.role,
        role_version: g.version,
        name,
        count: n,
        p50: at(50),
        p95: at(95),
        p99: at(99),
      });
    });
  }
  return out;
}
