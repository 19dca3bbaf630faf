// The listings behind the CLI and the server, for both stores (see dialect.ts). One text per filter
// shape rather than `(? IS NULL OR status = ?)`, which keeps both databases on the (status, time) and
// run_id indexes; each store caches or prepares each text once.
import type { HumanListFilter, RunFilter } from '../types.js';
import type { Dialect, Query } from './dialect.js';

type HumanFilter = HumanListFilter<string>;

function byStatusAndRun(d: Dialect, table: string, time: string, filter: HumanFilter): Query {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.status !== undefined) {
    params.push(filter.status);
    where.push(`status = ${d.param(params.length)}`);
  }
  if (filter.runId !== undefined) {
    params.push(filter.runId);
    where.push(`run_id = ${d.param(params.length)}`);
  }
  if (filter.after !== undefined) {
    // Spelled out rather than a row comparison, so SQLite uses the (status, time) index for the range.
    params.push(filter.after.at, filter.after.at, filter.after.id);
    const [a, b, c] = [params.length - 2, params.length - 1, params.length].map((i) => d.param(i));
    where.push(`(${time} > ${a} OR (${time} = ${b} AND id > ${c}))`);
  }
  let text = `SELECT * FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${time}, id`;
  if (filter.limit !== undefined) {
    params.push(filter.limit);
    text += ` LIMIT ${d.param(params.length)}`;
  }
  return { text, params };
}

/** Approvals, oldest request first. */
export const listApprovals = (d: Dialect, filter: HumanFilter): Query =>
  byStatusAndRun(d, 'approvals', 'requested_at', filter);

/** Escalations, oldest first. */
export const listEscalations = (d: Dialect, filter: HumanFilter): Query =>
  byStatusAndRun(d, 'escalations', 'created_at', filter);

/** Audit events in the order they were written (of one run, if given), at most `limit` (default 1000). */
export function listAudit(d: Dialect, filter: { runId?: string; limit?: number }): Query {
  const limit = filter.limit ?? 1000;
  return filter.runId === undefined
    ? { text: `SELECT * FROM audit_events ORDER BY id LIMIT ${d.param(1)}`, params: [limit] }
    : {
        text: `SELECT * FROM audit_events WHERE run_id = ${d.param(1)} ORDER BY id LIMIT ${d.param(2)}`,
        params: [filter.runId, limit],
      };
}

/**
 * Runs newest first (ties by id, descending), of one role, parent, some statuses and a creation window if
 * given, after a keyset position if given; default 100.
 */
export function listRuns(d: Dialect, filter: RunFilter): Query {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.role) {
    params.push(filter.role);
    where.push(`role = ${d.param(params.length)}`);
  }
  if (filter.parentRunId) {
    params.push(filter.parentRunId);
    where.push(`parent_run_id = ${d.param(params.length)}`);
  }
  if (filter.status && filter.status.length === 1) {
    // One status as an equality: SQLite then walks the (status, created_at) index in order and stops at
    // the limit; through json_each it sorted every run of that status (1.5 s on a million runs).
    params.push(filter.status[0]);
    where.push(`status = ${d.param(params.length)}`);
  } else if (filter.status && filter.status.length > 1) {
    params.push(d.list(filter.status));
    where.push(`status ${d.anyOf(params.length)}`);
  }
  if (filter.createdSince !== undefined) {
    params.push(filter.createdSince);
    where.push(`created_at >= ${d.param(params.length)}`);
  }
  if (filter.createdUntil !== undefined) {
    params.push(filter.createdUntil);
    where.push(`created_at < ${d.param(params.length)}`);
  }
  if (filter.after !== undefined) {
    params.push(filter.after.at, filter.after.at, filter.after.id);
    const [a, b, c] = [params.length - 2, params.length - 1, params.length].map((i) => d.param(i));
    where.push(`(created_at < ${a} OR (created_at = ${b} AND id < ${c}))`);
  }
  params.push(filter.limit ?? 100);
  const text = `SELECT * FROM runs${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ${d.param(params.length)}`;
  return { text, params };
}

/**
 * How many steps the run has whose kind is not one of `except`, in one statement that decodes no step
 * (the worker's busy-progress read, engine/busy-progress.ts); no row when there is no such run.
 */
export function countRunSteps(d: Dialect, runId: string, except: readonly string[]): Query {
  return {
    text: `SELECT (SELECT count(*) FROM steps WHERE run_id = ${d.param(1)} AND NOT (kind ${d.anyOf(2)})) AS n FROM runs WHERE id = ${d.param(3)}`,
    params: [runId, d.list(except), runId],
  };
}
