// The aggregations behind `nightshift stats`, for both stores: every figure is grouped and counted in
// the database, so one row per group (and split) comes back, and a question about recent runs of a role
// reads only those runs (through the runs_stats index). What differs between the backends is data (StatsDialect):
// reading a number or text out of a JSON column, and how percentiles are taken.
//
// Percentiles are nearest-rank (the smallest value with at least p% of the values at or below it), the
// same figure on both stores: Postgres with its `percentile_disc` aggregate, SQLite, which has no
// percentile aggregate, from one scan that streams each group's values to the process, where the value
// at rank ceil(p * n) is selected (stats-values.ts). With the rollup (stats-rollup.ts) both stores rank
// that way, over the stored values of closed hours plus the runs' values for the rest. Ranking in SQLite itself
// with ROW_NUMBER() windows was tried first: on a million runs it buffered every partition in temporary
// tables and wrote tens of gigabytes of temp files. Interpolated percentiles (percentile_cont) would give
// values no run had and could not be matched by SQLite exactly.
import type { StatsDistribution, StatsFilter } from '../records/stats.js';
import { type Dialect, postgresDialect, type Query, sqliteDialect } from './dialect.js';

/** The rollup's unit: runs are rolled up by the hour of their creation (hour n: [n, n + 1) × HOUR_MS). */
export const HOUR_MS = 3_600_000;

/**
 * A run that nothing can change any more, so its figures may go into the rollup: succeeded or cancelled
 * (final: cancel closes what was pending), or failed unless it is a continuous agent's run (its inbox
 * key), which the supervisor may reopen or escalate later; and nothing pending a human on it.
 * (docs/decisions/020-stats-rollup.md: what can change a finished run.)
 */
export const SETTLED_RUN = `(r.status || '' IN ('succeeded', 'cancelled')
    OR (r.status || '' = 'failed' AND (r.idempotency_key IS NULL OR r.idempotency_key NOT LIKE 'inbox:%')))
  AND NOT EXISTS (SELECT 1 FROM approvals pa WHERE pa.run_id = r.id AND pa.status || '' = 'pending')
  AND NOT EXISTS (SELECT 1 FROM escalations pe WHERE pe.run_id = r.id AND pe.status || '' = 'pending')`;
// (\`status || ''\`: keeps SQLite on the id and run_id indexes; with a bare \`status = ...\` it chose the
// status indexes: every pending approval read for each run (4.7 s for 70,000 runs instead of 0.1 s),
// every succeeded run walked to check a list of 4,600 ids (7.7 s).)

/**
 * Which runs a statement covers: the report's filter, narrowed for the rollup (stats-rollup.ts) to runs
 * created in [from, to) (epoch ms), to settled runs, or to given runs; `byHour` adds each run's creation hour as a grouping column (`hour`).
 */
export interface StatsSelection extends StatsFilter {
  from?: number;
  to?: number;
  settled?: boolean;
  /** Only these runs. */
  ids?: readonly string[];
  byHour?: boolean;
}

/**
 * A rollup's selection, or a window bounded on both sides (the console's chart buckets, an hour or a
 * day): runs found by id or by a range of creation times (few, or a day's), each then looked up from the
 * runs' side. The report over the runs alone reads every run instead, where driving a join from the
 * smaller table (escalations, decided approvals) is the cheaper way. (A bucket of 1,000 runs driven from
 * the escalations and the decided approvals took 60–80 and 200 ms on a 200,000-run store; from the
 * runs, under a millisecond each.)
 */
const fromRunsSide = (f: StatsSelection) =>
  f.ids !== undefined || f.from !== undefined || f.to !== undefined || f.until !== undefined;

export interface StatsDialect extends Dialect {
  /** A number field of a JSON column, as a SQL number (NULL when absent). */
  jsonNumber(column: string, key: string): string;
  /** A text field of a JSON column, as SQL text (NULL when absent). */
  jsonField(column: string, key: string): string;
  /** 'ordered-set': percentile_disc aggregates; 'client': the values are streamed and ranked by the caller. */
  percentiles: 'ordered-set' | 'client';
  /**
   * How runs with an escalation are counted across roles: 'probe' each run (Postgres plans it as one
   * hash semi-join, the fastest there), or from the 'escalations' (SQLite, which would otherwise probe
   * the escalations' index once per run).
   */
  escalatedRuns: 'probe' | 'escalations';
  /** Statements opening the rollup's fill transaction (Postgres: snapshot isolation and a lock), and its reads'. */
  rollupFillBegin: string[];
  rollupReadBegin: string[];
  /** Rows per INSERT statement when filling the rollup: a power of two (see `insert` in stats-rollup.ts). */
  rollupInsertBatch: number;
  /**
   * Days of history a fill transaction rolls up at most: a first fill of a big store pays for its history
   * in steps. SQLite's fill holds the store's one write lock, so every commit waits for a step: a day.
   * Postgres' locks only the rollup's state (commits go on) and scans tool_calls once per step: a week.
   */
  rollupFillDays: number;
}

export const postgresStatsDialect: StatsDialect = {
  ...postgresDialect,
  jsonNumber: (c, k) => `(${c}->>'${k}')::float8`,
  jsonField: (c, k) => `(${c}->>'${k}')`,
  percentiles: 'ordered-set',
  escalatedRuns: 'probe',
  // LOCK TABLE takes no snapshot: the fill's first query, after the lock, sees every earlier fill.
  rollupFillBegin: [
    'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ',
    'LOCK TABLE stats_rollup_state IN EXCLUSIVE MODE',
  ],
  rollupReadBegin: ['SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY'],
  rollupInsertBatch: 256,
  rollupFillDays: 7,
};

export const sqliteStatsDialect: StatsDialect = {
  ...sqliteDialect,
  jsonNumber: (c, k) => `json_extract(${c}, '$.${k}')`,
  jsonField: (c, k) => `json_extract(${c}, '$.${k}')`,
  percentiles: 'client',
  escalatedRuns: 'escalations',
  // The store runs the fill in its write transaction (BEGIN IMMEDIATE: one writer) and a read in BEGIN.
  rollupFillBegin: [],
  rollupReadBegin: [],
  rollupInsertBatch: 256,
  rollupFillDays: 1,
};

/** The percentiles every distribution reports, in percent. */
export const PERCENTILES = [50, 95, 99] as const;

/** The runs a figure covers, as a WHERE clause on `runs r` (the runs_stats index serves it). */
function runFilter(d: Dialect, filter: StatsSelection, extra: string[] = []): Query {
  const where = ['1 = 1'];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(`${sql} ${d.param(params.length)}`);
  };
  if (filter.role !== undefined) add('r.role =', filter.role);
  if (filter.version !== undefined) add('r.role_version =', filter.version);
  if (filter.since !== undefined) add('r.created_at >=', filter.since);
  if (filter.from !== undefined) add('r.created_at >=', filter.from);
  if (filter.until !== undefined) add('r.created_at <', filter.until);
  // An upper bound even when open: with a lower bound alone SQLite guesses that a quarter of the runs
  // match and scans runs_stats for its order instead of seeking runs_created.
  if (filter.to !== undefined || filter.from !== undefined)
    add('r.created_at <', filter.to ?? Number.MAX_SAFE_INTEGER);
  if (filter.ids) {
    params.push(d.list(filter.ids));
    where.push(`r.id ${d.anyOf(params.length)}`);
  }
  if (filter.settled) where.push(SETTLED_RUN);
  return { text: [...where, ...extra].join(' AND '), params };
}

const HOUR_OF = `r.created_at / ${HOUR_MS}`;
/** The grouping columns (role, role_version[, hour]) and a GROUP BY over them plus `more` columns. */
const group = (f: StatsSelection) =>
  `r.role AS role, r.role_version AS role_version${f.byHour ? `, ${HOUR_OF} AS hour` : ''}`;
const groupBy = (f: StatsSelection, more: number) =>
  `GROUP BY ${Array.from({ length: (f.byHour ? 3 : 2) + more }, (_, i) => i + 1).join(', ')}`;

/** Runs by status, with their usage summed. */
export function runsByStatus(d: StatsDialect, filter: StatsSelection): Query {
  const w = runFilter(d, filter);
  const sum = (key: string) => `COALESCE(SUM(${d.jsonNumber('r.usage', key)}), 0)`;
  return {
    text: `SELECT ${group(filter)}, r.status AS status, COUNT(*) AS count, ${sum('costUsd')} AS cost_usd,
  ${sum('inputTokens')} AS input_tokens, ${sum('outputTokens')} AS output_tokens,
  ${sum('cachedInputTokens')} AS cached_input_tokens
FROM runs r WHERE ${w.text} ${groupBy(filter, 1)}`,
    params: w.params,
  };
}

/** Failed runs by their error's code. */
export function failuresByCode(d: StatsDialect, filter: StatsSelection): Query {
  // Runs by id (the rollup's pending ones): `|| ''` keeps SQLite off the status index, which it would
  // otherwise walk (every failed run) to probe the list: 1.5 s at 1M runs for a handful of ids.
  const w = runFilter(d, filter, [filter.ids ? "r.status || '' = 'failed'" : "r.status = 'failed'"]);
  return {
    text: `SELECT ${group(filter)}, COALESCE(${d.jsonField('r.error', 'code')}, '') AS code, COUNT(*) AS count
FROM runs r WHERE ${w.text} ${groupBy(filter, 1)}`,
    params: w.params,
  };
}

/** Tool calls (the ledger) by tool, decision and status. */
export function toolCalls(d: StatsDialect, filter: StatsSelection): Query {
  const w = runFilter(d, filter);
  return {
    text: `SELECT ${group(filter)}, t.tool AS tool, t.decision AS decision, t.status AS status, COUNT(*) AS count
FROM runs r JOIN tool_calls t ON t.run_id = r.id WHERE ${w.text} ${groupBy(filter, 3)}`,
    params: w.params,
  };
}

/** Escalations by category. */
export function escalationsByCategory(d: StatsDialect, filter: StatsSelection): Query {
  // CROSS JOIN: SQLite keeps the runs outside (a range of them) instead of scanning every escalation.
  const w = runFilter(d, filter, fromRunsSide(filter) ? ['e.run_id = r.id'] : []);
  const join = fromRunsSide(filter) ? 'CROSS JOIN escalations e' : 'JOIN escalations e ON e.run_id = r.id';
  return {
    text: `SELECT ${group(filter)}, e.category AS category, COUNT(*) AS count
FROM runs r ${join} WHERE ${w.text} ${groupBy(filter, 1)}`,
    params: w.params,
  };
}

/**
 * Runs with at least one escalation. For one role the runs_stats index finds its runs and each is probed
 * for an escalation; across roles, on SQLite, that probe would run once per run (a million index
 * lookups, 1.2 s at 1M runs), so the count is driven from the escalated runs instead (77 ms): the same
 * count (docs/decisions/020-stats-rollup.md).
 */
export function escalatedRuns(d: StatsDialect, filter: StatsSelection): Query {
  // The rollup's runs (by id, or a range of creation times) are few: probe them too.
  if (filter.role !== undefined || fromRunsSide(filter) || d.escalatedRuns === 'probe') {
    const w = runFilter(d, filter, ['EXISTS (SELECT 1 FROM escalations e WHERE e.run_id = r.id)']);
    return {
      text: `SELECT ${group(filter)}, COUNT(*) AS count FROM runs r WHERE ${w.text} ${groupBy(filter, 0)}`,
      params: w.params,
    };
  }
  const w = runFilter(d, filter);
  return {
    text: `SELECT ${group(filter)}, COUNT(*) AS count
FROM (SELECT DISTINCT run_id FROM escalations) e JOIN runs r ON r.id = e.run_id
WHERE ${w.text} ${groupBy(filter, 0)}`,
    params: w.params,
  };
}

/** Approvals (change sets) by status. */
export function approvalsByStatus(d: StatsDialect, filter: StatsSelection): Query {
  const w = runFilter(d, filter);
  return {
    text: `SELECT ${group(filter)}, a.status AS status, COUNT(*) AS count
FROM runs r JOIN approvals a ON a.run_id = r.id WHERE ${w.text} ${groupBy(filter, 1)}`,
    params: w.params,
  };
}

/**
 * The values of each distribution, per row of its source (NULL: the row has none). Queue wait: from the
 * run's creation to the start of its first piece of work: its first model turn (the step is written when
 * the turn ends; `latencyMs` before that it began), executor session, or resumption (a run taken over,
 * retried, or answered before its first turn). A run not started yet has none. Durations, active time
 * and cost per task are of finished runs.
 */
function runValues(d: StatsDialect): [StatsDistribution, string][] {
  const finished = (v: string) => `CASE WHEN r.finished_at IS NOT NULL THEN ${v} END`;
  return [
    [
      'queueWaitMs',
      `(SELECT CASE WHEN s.kind = 'model_turn' THEN s.at - ${d.jsonNumber('s.data', 'latencyMs')} ELSE s.at END
    FROM steps s WHERE s.run_id = r.id AND s.seq > 1
      AND s.kind IN ('model_turn', 'executor_started', 'run_resumed')
    ORDER BY s.seq LIMIT 1) - r.created_at`,
    ],
    ['durationMs', finished('r.finished_at - r.created_at')],
    ['activeMs', finished('r.active_ms')],
    ['costUsd', finished(d.jsonNumber('r.usage', 'costUsd'))],
  ];
}

/** Percentiles of one column of the `v` CTE: role, role_version, name, count, p50, p95, p99. */
function percentilesOf(name: StatsDistribution, column: string): string {
  // percentile_disc and COUNT(column) leave NULLs out.
  const cols = PERCENTILES.map(
    (p) => `percentile_disc(${p / 100}) WITHIN GROUP (ORDER BY ${column}) AS p${p}`,
  );
  return `SELECT role, role_version, '${name}' AS name, COUNT(${column}) AS count, ${cols.join(', ')}
FROM v GROUP BY role, role_version`;
}

/**
 * Distributions read in one pass over their source. Ordered-set: the values go to a CTE and each is
 * aggregated from there. Client: the values themselves, one row per source row (role, role_version,
 * v0, v1, ...: `values` order), for the caller to rank (rankValues in stats-rows.ts).
 */
function distributions(
  d: StatsDialect,
  filter: StatsSelection,
  from: string,
  where: string[],
  values: [StatsDistribution, string][],
): Query {
  const w = runFilter(d, filter, where);
  const cols = values.map(([, expr], i) => `${expr} AS v${i}`).join(',\n  ');
  const scan = `SELECT ${group(filter)},\n  ${cols}\nFROM ${from} WHERE ${w.text}`;
  if (d.percentiles === 'client') return { text: scan, params: w.params };
  const parts = values.map(([name], i) => percentilesOf(name, `v${i}`));
  return { text: `WITH v AS MATERIALIZED (${scan})\n${parts.join('\nUNION ALL\n')}`, params: w.params };
}

/** The distributions of runDistributions, in its column order (the names runValues gives them). */
export const RUN_DISTRIBUTIONS: readonly StatsDistribution[] = runValues(sqliteStatsDialect).map(
  ([name]) => name,
);

/** Queue wait, run duration, active time and cost per finished run (see `distributions` for the shape). */
export const runDistributions = (d: StatsDialect, filter: StatsSelection): Query =>
  distributions(d, filter, 'runs r', [], runValues(d));

/** Request to decision of decided change sets, likewise (one column: decisionMs). */
export const decisionDistribution = (d: StatsDialect, filter: StatsSelection): Query =>
  distributions(
    d,
    filter,
    'runs r JOIN approvals a ON a.run_id = r.id',
    // From the runs' side (by id or range): `|| ''` keeps SQLite off approvals_status (every decided one).
    [`a.status${fromRunsSide(filter) ? " || ''" : ''} IN ('approved', 'rejected')`],
    [['decisionMs', 'a.decided_at - a.requested_at']],
  );
