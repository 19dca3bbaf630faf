// Runs the stats aggregations (stats.ts) through a store's own query function and types their rows:
// both stores share it, so they answer `statsRows` with the same figures by construction.
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
): Promise<StatsRows> {
  const [runs, failures, toolCalls, escalations, escalatedRuns, approvals, runDists, decisions] =
    await Promise.all([
      query(sql.runsByStatus(d, filter)),
      query(sql.failuresByCode(d, filter)),
      query(sql.toolCalls(d, filter)),
      query(sql.escalationsByCategory(d, filter)),
      query(sql.escalatedRuns(d, filter)),
      query(sql.approvalsByStatus(d, filter)),
      query(sql.runDistributions(d, filter)),
      query(sql.decisionDistribution(d, filter)),
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
