// Filling the stats rollup (see stats-rollup.ts): closed hours rolled up, pending runs folded in once
// settled, old hours compacted to days.
import * as sql from './stats.js';
import { emptyFigures, type HourlyFigures, planFigures } from './stats-figures.js';
import { type Plan, raw, rows, run } from './stats-plan.js';
import {
  bind,
  bucketOf,
  closedUntil,
  DAY,
  decode,
  encode,
  FIGURE_COLUMNS,
  H,
  HOURLY_HOURS,
  num,
  type RollupDialect,
  readState,
} from './stats-rollup.js';
import { ValueChunks } from './stats-values.js';

/** Hourly figures as rollup rows in their buckets, the same key's rows added up (one upsert per key). */
function figureRows(f: HourlyFigures, daysUntil: number): unknown[][] {
  const byKey = new Map<string, unknown[]>();
  const add = (
    r: { hour?: number; role: string; roleVersion: string },
    kind: string,
    keys: string[],
    sums: number[],
  ) => {
    const k = [
      bucketOf(r.hour ?? 0, daysUntil),
      r.role,
      r.roleVersion,
      kind,
      keys[0] ?? '',
      keys[1] ?? '',
      keys[2] ?? '',
    ];
    const key = JSON.stringify(k);
    const found = byKey.get(key);
    if (!found) byKey.set(key, [...k, ...sums, ...Array(5 - sums.length).fill(0)]);
    else for (const [i, v] of sums.entries()) found[7 + i] = (found[7 + i] as number) + v;
  };
  for (const r of f.runs)
    add(r, 'run', [r.status], [r.count, r.costUsd, r.inputTokens, r.outputTokens, r.cachedInputTokens]);
  for (const r of f.failures) add(r, 'failure', [r.code], [r.count]);
  for (const r of f.toolCalls) add(r, 'tool', [r.tool, r.decision, r.status], [r.count]);
  for (const r of f.escalations) add(r, 'escalation', [r.category], [r.count]);
  for (const r of f.escalatedRuns) add(r, 'escalated', [], [r.count]);
  for (const r of f.approvals) add(r, 'approval', [r.status], [r.count]);
  return [...byKey.values()];
}

/**
 * Multi-row INSERTs of `rows` into `table`: full batches, then the rest in halving sizes (128, 64, ..., 1
 * rows), so a table is written with a few statement texts (SQLite's store prepares each text once and
 * keeps it).
 */
function* insert(
  d: RollupDialect,
  table: string,
  columns: string[],
  all: unknown[][],
  conflict: string,
): Plan<void> {
  for (let at = 0, size = d.rollupInsertBatch; at < all.length; ) {
    while (size > all.length - at) size >>= 1;
    const chunk = all.slice(at, at + size);
    at += size;
    const params: unknown[] = [];
    const values = chunk.map((r) => `(${r.map((v) => bind(d, params, v)).join(', ')})`).join(', ');
    yield* run({ text: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values} ${conflict}`, params });
  }
}

/**
 * One fill transaction: the next closed hours (to the end of the dialect's rollupFillDays days) rolled
 * up and, with `fold`, the pending runs now settled folded in. Returns whether closed hours remain to fill.
 */
export function* planFill(d: RollupDialect, now: number, fold: boolean): Plan<boolean> {
  for (const text of d.rollupFillBegin) yield* run({ text, params: [] });
  const target = closedUntil(now);
  const state = yield* readState();
  const rolled = state?.rolledUntil;
  const daysUntil = state?.daysUntil ?? 0;
  // Skip to the hour of the first run not rolled up yet (one seek of runs_created): hours without runs
  // (a store idle for months) cost nothing.
  const [first] = yield* rows({
    text: `SELECT MIN(created_at) AS at FROM runs${rolled === undefined ? '' : ` WHERE created_at >= ${d.param(1)}`}`,
    params: rolled === undefined ? [] : [rolled * H],
  });
  let from =
    first?.at === null || first?.at === undefined ? target : Math.min(target, Math.floor(num(first.at) / H));
  if (rolled !== undefined) from = Math.max(from, rolled);
  // Steps end on a day's end, so a day is filled in one step.
  const to = Math.max(from, Math.min(target, (Math.floor(from / DAY) + d.rollupFillDays) * DAY));
  // Hours before compactTo are kept by the day, counted from the closed hours, not from this step's end:
  // a first fill writes its old hours straight into their day's rows (once, not 24 hourly rows it then
  // rewrites). Until the fill is done, days_until may pass rolled_until: a report reads the rollup up to
  // rolled_until either way, the partial day's row holding the hours rolled up so far.
  const compactTo = Math.max(daysUntil, Math.floor((target - HOURLY_HOURS) / DAY) * DAY);
  const figures = emptyFigures();
  const values = new Map<number, ValueChunks>();
  let pending: unknown[][] = [];
  const take = (f: HourlyFigures) => {
    for (const key of Object.keys(f) as (keyof HourlyFigures)[])
      (figures[key] as unknown[]).push(...(f[key] as unknown[]));
  };
  if (to > from) {
    // Every group at once, by the creation-time range (runs_created): one statement set per step.
    const range = { from: from * H, to: to * H };
    const unsettled = yield* raw({
      text: `SELECT r.id, r.created_at / ${H} FROM runs r
WHERE r.created_at >= ${d.param(1)} AND r.created_at < ${d.param(2)} AND NOT (${sql.SETTLED_RUN})`,
      params: [range.from, range.to],
    });
    pending = unsettled.map(([id, hour]) => [id, num(hour)]);
    take(yield* planFigures(d, { ...range, settled: true, byHour: true }, new ValueChunks(), values));
  }
  let folded: string[] = [];
  if (fold) {
    // Ids first, then the runs by id: with the pending table in a subquery SQLite (no statistics on it)
    // scanned every run instead (17 s at 1M runs with no run pending).
    const ids = (yield* raw({ text: 'SELECT run_id FROM stats_rollup_pending', params: [] })).map(([id]) =>
      String(id),
    );
    const settled =
      ids.length === 0
        ? []
        : yield* raw({
            text: `SELECT r.id FROM runs r WHERE r.id ${d.anyOf(1)} AND ${sql.SETTLED_RUN}`,
            params: [d.list(ids)],
          });
    folded = settled.map(([id]) => String(id));
    if (folded.length > 0)
      take(yield* planFigures(d, { ids: folded, byHour: true }, new ValueChunks(), values));
  }
  yield* insert(
    d,
    'stats_rollup',
    FIGURE_COLUMNS,
    figureRows(figures, compactTo),
    `ON CONFLICT (hour, role, role_version, kind, k1, k2, k3) DO UPDATE SET ${FIGURE_COLUMNS.slice(7)
      .map((c) => `${c} = stats_rollup.${c} + excluded.${c}`)
      .join(', ')}`,
  );
  // One values row per bucket, group and distribution: a day's hours joined (the report reads ~80 rows
  // a day, not ~80 an hour).
  const buckets = new Map<number, ValueChunks>();
  for (const [hour, chunks] of values) {
    const into = chunksAt(buckets, bucketOf(hour, compactTo));
    for (const { group, name, values: v } of chunks.entries())
      into.addChunk(group.role, group.roleVersion, name, v);
  }
  yield* insertValues(d, buckets);
  yield* insert(d, 'stats_rollup_pending', ['run_id', 'hour'], pending, 'ON CONFLICT (run_id) DO NOTHING');
  for (let at = 0; at < folded.length; at += 10_000)
    yield* run({
      text: `DELETE FROM stats_rollup_pending WHERE run_id ${d.anyOf(1)}`,
      params: [d.list(folded.slice(at, at + 10_000))],
    });
  if (compactTo > daysUntil) yield* compact(d, daysUntil, compactTo);
  if (rolled === undefined || to > rolled || compactTo > daysUntil)
    yield* run({
      text: `INSERT INTO stats_rollup_state (id, rolled_until, days_until) VALUES (1, ${d.param(1)}, ${d.param(2)})
ON CONFLICT (id) DO UPDATE SET rolled_until = excluded.rolled_until, days_until = excluded.days_until`,
      params: [to, compactTo],
    });
  return to < target;
}

/** Rewrites the hourly rows of hours [from, to) (whole days) as one row per day and key. */
function* compact(d: RollupDialect, from: number, to: number): Plan<void> {
  const params = [from, to];
  const range = `hour >= ${d.param(1)} AND hour < ${d.param(2)}`;
  const day = `(hour / ${DAY}) * ${DAY}`;
  const keys = 'role, role_version, kind, k1, k2, k3';
  const sums = FIGURE_COLUMNS.slice(7).map((c) => `SUM(${c})`);
  const summed = yield* raw({
    text: `SELECT ${day}, ${keys}, ${sums.join(', ')} FROM stats_rollup WHERE ${range} GROUP BY ${day}, ${keys}`,
    params,
  });
  const chunks = new Map<number, ValueChunks>();
  for (const [hour, role, version, name, blob] of yield* raw({
    text: `SELECT hour, role, role_version, name, vals FROM stats_rollup_values WHERE ${range}`,
    params,
  }))
    chunksAt(chunks, bucketOf(num(hour), to)).addChunk(
      String(role),
      String(version),
      name as never,
      decode(blob),
    );
  yield* run({ text: `DELETE FROM stats_rollup WHERE ${range}`, params });
  yield* run({ text: `DELETE FROM stats_rollup_values WHERE ${range}`, params });
  yield* insert(d, 'stats_rollup', FIGURE_COLUMNS, summed, '');
  yield* insertValues(d, chunks);
}

/** The values gathered for bucket `at` (an hour, or a compacted day's first hour). */
function chunksAt(buckets: Map<number, ValueChunks>, at: number): ValueChunks {
  let c = buckets.get(at);
  if (!c) {
    c = new ValueChunks();
    buckets.set(at, c);
  }
  return c;
}

/** Each bucket's values as rows: one per group and distribution. */
function* insertValues(d: RollupDialect, buckets: Map<number, ValueChunks>): Plan<void> {
  const valueRows: unknown[][] = [];
  for (const [at, c] of buckets)
    for (const { group, name, values } of c.entries())
      valueRows.push([at, group.role, group.roleVersion, name, encode(values)]);
  yield* insert(d, 'stats_rollup_values', ['hour', 'role', 'role_version', 'name', 'vals'], valueRows, '');
}
