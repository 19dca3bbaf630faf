// A sequence of statements that must see one snapshot of the database (the rollup's fill, a report read
// from the rollup and the runs), written once for both stores as a generator: it yields each statement
// and gets its rows back. SQLite runs it synchronously inside one transaction (its driver cannot await),
// Postgres inside one REPEATABLE READ transaction; see runPlan in each store's stats.ts.
import type { Query } from './dialect.js';

export type Row = Record<string, unknown>;

/** One statement of a plan: `rows` as objects, `raw` rows as arrays, `run` a write (no rows). */
export interface PlanStep {
  query: Query;
  mode: 'rows' | 'raw' | 'run';
}

export type Plan<T> = Generator<PlanStep, T, unknown[]>;

export function* rows(query: Query): Plan<Row[]> {
  return (yield { query, mode: 'rows' }) as Row[];
}

export function* raw(query: Query): Plan<unknown[][]> {
  return (yield { query, mode: 'raw' }) as unknown[][];
}

export function* run(query: Query): Plan<void> {
  yield { query, mode: 'run' };
}

/** Drives a plan with a synchronous statement runner (SQLite). */
export function runPlanSync<T>(plan: Plan<T>, exec: (step: PlanStep) => unknown[]): T {
  let next = plan.next();
  while (!next.done) next = plan.next(exec(next.value));
  return next.value;
}

/** Drives a plan with an asynchronous statement runner (Postgres). */
export async function runPlanAsync<T>(
  plan: Plan<T>,
  exec: (step: PlanStep) => Promise<unknown[]>,
): Promise<T> {
  let next = plan.next();
  while (!next.done) next = plan.next(await exec(next.value));
  return next.value;
}
