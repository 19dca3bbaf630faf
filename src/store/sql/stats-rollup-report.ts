// Reading the stats report from the rollup (see stats-rollup.ts), and from the runs for what it does
// not cover.
import type { StatsFilter } from '../records/stats.js';
import type * as sql from './stats.js';
import { emptyFigures, type Figures, planFigures, typeFigures } from './stats-figures.js';
import { type Plan, type Row, raw, rows, run } from './stats-plan.js';
import { bind, DAY, decode, FIGURE_COLUMNS, H, type RollupDialect, readState } from './stats-rollup.js';
import { ValueChunks } from './stats-values.js';

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
