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
import type { StatsFilter } from '../records/stats.js';
import * as sql from './stats.js';
import { emptyFigures, type Figures, type HourlyFigures, planFigures, typeFigures } from './stats-figures.js';
import { type Plan, type Row, raw, rows, run } from './stats-plan.js';
import { ValueChunks } from './stats-values.js';

const H = sql.HOUR_MS;
/** An hour is closed (no run can still be created in it) once it ended this long ago. */
export const SETTLE_MS = 3_600_000;
/**
 * Hours kept hour by hour before `rolled_until`; older ones are compacted to one row per day and key, so
 * the all-time report reads ~30 rows per group and key a month instead of ~720. A `--since` inside a
 * compacted day is answered from the runs up to the next day.
 */
const HOURLY_HOURS = 48;
const DAY = 24;

export type RollupDialect = sql.StatsDialect;

/** The last hour (exclusive) closed at `now`. */
export const closedUntil = (now: number) => Math.floor((now - SETTLE_MS) / H);

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const bind = (d: sql.StatsDialect, params: unknown[], value: unknown) => {
  params.push(value);
  return d.param(params.length);
};

/**
 * Every (role, role version) with runs matching the filter, in order: each found with a MIN over the
 * runs_stats index (one seek; a row-value `>` seek was scanning, ~10 ms a step at 1M runs).
 */
function* listGroups(d: sql.StatsDialect, filter: StatsFilter): Plan<{ role: string; version: string }[]> {
  const out: { role: string; version: string }[] = [];
  const min = function* (column: string, where: string[], params: unknown[]): Plan<string | undefined> {
    const [r] = yield* rows({
      text: `SELECT MIN(${column}) AS v FROM runs${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
      params,
    });
    return r?.v === null || r?.v === undefined ? undefined : String(r.v);
  };
  let role = filter.role ?? (yield* min('role', [], []));
  while (role !== undefined) {
    if (filter.version !== undefined) {
      const found = yield* min(
        'role_version',
        [`role = ${d.param(1)}`, `role_version = ${d.param(2)}`],
        [role, filter.version],
      );
      if (found !== undefined) out.push({ role, version: found });
    } else {
      let version = yield* min('role_version', [`role = ${d.param(1)}`], [role]);
      while (version !== undefined) {
        out.push({ role, version });
        version = yield* min(
          'role_version',
          [`role = ${d.param(1)}`, `role_version > ${d.param(2)}`],
          [role, version],
        );
      }
    }
    if (filter.role !== undefined) break;
    role = yield* min('role', [`role > ${d.param(1)}`], [role]);
  }
  return out;
}

interface RollupState {
  /** Hours before it are rolled up. */
  rolledUntil: number;
  /** Hours before it are compacted to days (a day's first hour, or 0). */
  daysUntil: number;
}

function* readState(): Plan<RollupState | undefined> {
  const [state] = yield* rows({
    text: 'SELECT rolled_until, days_until FROM stats_rollup_state WHERE id = 1',
    params: [],
  });
  return state ? { rolledUntil: num(state.rolled_until), daysUntil: num(state.days_until) } : undefined;
}

/** Where hour `h`'s figures are kept: its own row, or its day's. */
const bucketOf = (h: number, daysUntil: number) => (h < daysUntil ? Math.floor(h / DAY) * DAY : h);

const FIGURE_COLUMNS = [
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

const encode = (values: Float64Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength);
const decode = (blob: unknown): Float64Array => {
  const b = blob as Uint8Array;
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

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

/** Rollup rows of hours [fromHour, toHour) matching the filter, as figures (no hour). */
function rollupFigures(r: Row[]): Figures {
  const f: Figures = emptyFigures();
  const results: Row[][] = [[], [], [], [], [], []];
  const at = ['run', 'failure', 'tool', 'escalation', 'escalated', 'approval'];
  for (const x of r) {
    const keys: Record<string, Row> = {
      run: {
        status: x.k1,
        cost_usd: x.cost_usd,
        input_tokens: x.input_tokens,
        output_tokens: x.output_tokens,
        cached_input_tokens: x.cached_input_tokens,
      },
      failure: { code: x.k1 },
      tool: { tool: x.k1, decision: x.k2, status: x.k3 },
      escalation: { category: x.k1 },
      escalated: {},
      approval: { status: x.k1 },
    };
    const i = at.indexOf(String(x.kind));
    if (i >= 0)
      results[i]!.push({
        role: x.role,
        role_version: x.role_version,
        count: x.count,
        ...keys[String(x.kind)],
      });
  }
  Object.assign(f, typeFigures(results));
  return f;
}

function rollupWhere(d: sql.StatsDialect, filter: StatsFilter, fromHour: number, toHour: number) {
  const params: unknown[] = [];
  const where = [`hour >= ${bind(d, params, fromHour)}`, `hour < ${bind(d, params, toHour)}`];
  if (filter.role !== undefined) where.push(`role = ${bind(d, params, filter.role)}`);
  if (filter.version !== undefined) where.push(`role_version = ${bind(d, params, filter.version)}`);
  return { text: where.join(' AND '), params };
}

/**
 * The report's figures from the rollup where it can answer (hours from the first whole hour at or after
 * `since` to `rolled_until`, or to the last whole hour before `until`) and from the runs for the rest:
 * the hours after, the part of an hour before the first whole one, and the runs left pending. Undefined
 * when the rollup covers none of the filter.
 */
export function* planReport(
  d: RollupDialect,
  filter: StatsFilter,
): Plan<{ figures: Figures; values: ValueChunks } | undefined> {
  for (const text of d.rollupReadBegin) yield* run({ text, params: [] });
  const state = yield* readState();
  if (!state) return undefined;
  const firstHour = filter.since === undefined ? 0 : Math.ceil(filter.since / H);
  // A `--since` inside a compacted day: the rest of that day comes from the runs.
  const fromHour = firstHour < state.daysUntil ? Math.ceil(firstHour / DAY) * DAY : firstHour;
  // Likewise an `until` inside a compacted day: that day's part before it comes from the runs.
  const lastHour = filter.until === undefined ? state.rolledUntil : Math.floor(filter.until / H);
  const endHour = lastHour < state.daysUntil ? Math.floor(lastHour / DAY) * DAY : lastHour;
  const until = Math.min(state.rolledUntil, endHour);
  if (fromHour >= until) return undefined;
  const values = new ValueChunks();
  const w = rollupWhere(d, filter, fromHour, until);
  const sums = FIGURE_COLUMNS.slice(7).map((c) => `SUM(${c}) AS ${c}`);
  const figures = rollupFigures(
    yield* rows({
      text: `SELECT role, role_version, kind, k1, k2, k3, ${sums.join(', ')} FROM stats_rollup
WHERE ${w.text} GROUP BY role, role_version, kind, k1, k2, k3`,
      params: w.params,
    }),
  );
  const add = (f: Figures) => {
    for (const key of Object.keys(f) as (keyof Figures)[])
      (figures[key] as unknown[]).push(...(f[key] as unknown[]));
  };
  for (const [role, version, name, blob] of yield* raw({
    text: `SELECT role, role_version, name, vals FROM stats_rollup_values WHERE ${w.text}`,
    params: w.params,
  }))
    values.addChunk(String(role), String(version), name as never, decode(blob));
  // The runs after the rollup, and before its first bucket. Across roles: every group at once by creation
  // time (runs_created), so the report is ~21 statements whatever the number of groups. With --role:
  // group by group, each a seek of runs_stats (SQLite's plan for the joins with `role =` alone would read
  // every run of the role).
  const { since, until: before } = filter;
  const selections =
    filter.role === undefined
      ? [filter]
      : (yield* listGroups(d, filter)).map((g) => ({
          role: g.role,
          version: g.version,
          ...(since === undefined ? {} : { since }),
          ...(before === undefined ? {} : { until: before }),
        }));
  for (const one of selections) {
    add(yield* planFigures(d, { ...one, from: until * H }, values));
    if (since !== undefined && since < fromHour * H)
      add(yield* planFigures(d, { ...one, to: fromHour * H }, values));
  }
  // The runs left pending, by id (see planFill on why not by subquery).
  const pending = yield* raw({
    text: `SELECT run_id FROM stats_rollup_pending WHERE hour >= ${d.param(1)} AND hour < ${d.param(2)}`,
    params: [fromHour, until],
  });
  if (pending.length > 0)
    add(yield* planFigures(d, { ...filter, ids: pending.map(([id]) => String(id)) }, values));
  return { figures, values };
}
