// Eval results for both stores (see dialect.ts): appended once, never updated, read newest first.
import type { EvalResultFilter, EvalResultRecord } from '../types.js';
import type { Dialect, Query } from './dialect.js';

type Row = Record<string, unknown>;

const COLUMNS =
  'id, role, role_version, suite, suite_hash, passed, pass_rate, ci_low, ci_high, repeat_count, cost_usd, duration_ms, cases, created_at, split';

export function insertEvalResult(d: Dialect, r: EvalResultRecord): Query {
  const marks = Array.from({ length: 15 }, (_, i) => d.param(i + 1)).join(', ');
  return {
    text: `INSERT INTO eval_results (${COLUMNS}) VALUES (${marks})`,
    params: [
      r.id,
      r.role,
      r.roleVersion,
      r.suite,
      r.suiteHash,
      // 1/0: SQLite has no boolean, and Postgres reads '1'/'0' as one.
      r.passed ? 1 : 0,
      r.passRate,
      r.ciLow,
      r.ciHigh,
      r.repeat,
      r.costUsd,
      r.durationMs,
      JSON.stringify(r.cases),
      r.createdAt,
      r.split ?? null,
    ],
  };
}

export function listEvalResults(d: Dialect, f: EvalResultFilter): Query {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(d.param(params.length)));
  };
  add((p) => `role = ${p}`, f.role);
  if (f.suite !== undefined) add((p) => `suite = ${p}`, f.suite);
  if (f.roleVersion !== undefined) add((p) => `role_version = ${p}`, f.roleVersion);
  if (f.exceptVersion !== undefined) add((p) => `role_version <> ${p}`, f.exceptVersion);
  if (f.passed !== undefined) add((p) => `passed = ${p}`, f.passed ? 1 : 0);
  if (f.wholeSuite) where.push('split IS NULL');
  if (f.newestPerSuite) {
    // One row per (version, suite), whatever the number of results: a window of the newest results
    // would lose an older version's latest eval behind a busy version's (both stores have ROW_NUMBER).
    let limit = '';
    if (f.limit !== undefined) {
      params.push(f.limit);
      limit = ` LIMIT ${d.param(params.length)}`;
    }
    return {
      text: `SELECT ${COLUMNS} FROM (
        SELECT ${COLUMNS}, ROW_NUMBER() OVER (
          PARTITION BY role_version, suite ORDER BY created_at DESC, id DESC) AS newest
        FROM eval_results WHERE ${where.join(' AND ')}) AS latest
      WHERE newest = 1 ORDER BY created_at DESC, id DESC${limit}`,
      params,
    };
  }
  params.push(f.limit ?? 50);
  return {
    text: `SELECT ${COLUMNS} FROM eval_results WHERE ${where.join(' AND ')}
      ORDER BY created_at DESC, id DESC LIMIT ${d.param(params.length)}`,
    params,
  };
}

export function toEvalResult(d: Dialect, row: Row): EvalResultRecord {
  return {
    id: String(row.id),
    role: String(row.role),
    roleVersion: String(row.role_version),
    suite: String(row.suite),
    suiteHash: String(row.suite_hash),
    passed: row.passed === true || Number(row.passed) === 1,
    passRate: Number(row.pass_rate),
    ciLow: Number(row.ci_low),
    ciHigh: Number(row.ci_high),
    repeat: Number(row.repeat_count),
    costUsd: Number(row.cost_usd),
    durationMs: Number(row.duration_ms),
    cases: d.decodeJson(row.cases) as EvalResultRecord['cases'],
    ...(row.split === 'train' || row.split === 'holdout' ? { split: row.split } : {}),
    createdAt: Number(row.created_at),
  };
}
