// The statements that create runs: one run (`INSERT_RUN`), and a group of runs created concurrently in
// one process (`CREATE_GROUP_SQL`, sent by a GroupCommit: see group-commit.ts and commit.ts).
//
// Measured on the substrate bench (a burst of 2,000 events over 4 workers): creating each run on its own
// was one statement per run, as many as the grouped engine commits of the whole run. Events accepted in
// the same moment now share one statement (one round trip, one transaction, one WAL flush).
import type { CommitBatch, RunRecord } from '../types.js';
import { insertAudit, insertSteps, insertToolCalls, recordsJson } from './commit-statement.js';
import { jsonText, jsonTextOrNull } from './encode.js';

/** A new run and its first records, as one batch of a create group. */
export interface NewRun {
  runId: string;
  run: RunRecord;
  init: Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'>;
}

type ColumnType = 'text' | 'int' | 'bigint' | 'json';

/** The runs table's columns in insert order, each with its type and its value in a record. */
const RUN_COLUMNS: [string, ColumnType, (r: RunRecord) => unknown][] = [
  ['id', 'text', (r) => r.id],
  ['role', 'text', (r) => r.role],
  ['role_version', 'text', (r) => r.roleVersion],
  ['model', 'text', (r) => r.model],
  ['status', 'text', (r) => r.status],
  ['input', 'json', (r) => jsonText(r.input)],
  ['output', 'json', (r) => jsonTextOrNull(r.output)],
  ['error', 'json', (r) => jsonTextOrNull(r.error)],
  ['seq', 'int', (r) => r.seq],
  ['turns', 'int', (r) => r.turns],
  ['usage', 'json', (r) => jsonText(r.usage)],
  ['active_ms', 'bigint', (r) => r.activeMs],
  ['grant_json', 'json', (r) => jsonText(r.grant)],
  ['idempotency_key', 'text', (r) => r.idempotencyKey],
  ['lease_owner', 'text', (r) => r.leaseOwner],
  ['lease_until', 'bigint', (r) => r.leaseUntil],
  ['created_at', 'bigint', (r) => r.createdAt],
  ['updated_at', 'bigint', (r) => r.updatedAt],
  ['finished_at', 'bigint', (r) => r.finishedAt],
  ['attempt', 'int', (r) => r.attempt],
  ['not_before', 'bigint', (r) => r.notBefore],
  ['lease_epoch', 'int', (r) => r.leaseEpoch],
  ['parent_run_id', 'text', (r) => r.parentRunId ?? null],
  ['parent_call_key', 'text', (r) => r.parentCallKey ?? null],
  ['autonomy_cap', 'text', (r) => r.autonomyCap ?? null],
];

const columnList = RUN_COLUMNS.map(([c]) => c).join(', ');

/** One run; an existing idempotency key wins and nothing is inserted. */
export const INSERT_RUN = `INSERT INTO runs (${columnList})
  VALUES (${RUN_COLUMNS.map((_, i) => `$${i + 1}`).join(',')})
  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`;

export function runParams(run: RunRecord): unknown[] {
  return RUN_COLUMNS.map(([, , value]) => value(run));
}

/**
 * A group of runs and their first records. Each run is inserted unless its idempotency key is known (then
 * nothing of it is written: its records are gated on the ids the insert returned, as in the grouped
 * engine commit). Two runs of one group with the same key: the first is inserted, the second is not.
 */
// The runs are read with json_to_recordset (one parse of the array; commit-statement.ts says why), JSON
// columns as their text, then cast.
export const CREATE_GROUP_SQL = `WITH r AS (
  INSERT INTO runs (${columnList})
  SELECT ${RUN_COLUMNS.map(([c, type]) => (type === 'json' ? `e.${c}::json` : `e.${c}`)).join(', ')}
  FROM json_to_recordset($1::json) AS e(${RUN_COLUMNS.map(([c, type]) => `${c} ${type === 'json' ? 'TEXT' : type.toUpperCase()}`).join(', ')})
  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
), s AS (${insertSteps('$2', 'r')}
), t AS (${insertToolCalls('$3', 'r')}
), a AS (${insertAudit('$4', 'r')}
)
SELECT id FROM r`;

/** The parameters of CREATE_GROUP_SQL: the runs, then their steps, tool calls and audit events. */
export function createGroupParams(batches: readonly NewRun[]): [string, string, string, string] {
  const runs: unknown[] = [];
  // In idempotency-key order (a stable sort: two runs of one key keep their order): two workers grouping
  // the same keys in opposite orders would each hold one key's insert lock and wait for the other's, a
  // deadlock Postgres breaks only after deadlock_timeout by refusing one whole group. event.ts sorts its
  // inserts the same way for the same reason.
  const inKeyOrder = [...batches].sort((a, b) => {
    const x = a.run.idempotencyKey ?? '';
    const y = b.run.idempotencyKey ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  });
  for (const { run } of inKeyOrder) {
    const row: Record<string, unknown> = {};
    for (const [column, , value] of RUN_COLUMNS) row[column] = value(run);
    runs.push(row);
  }
  return [
    JSON.stringify(runs),
    ...recordsJson(inKeyOrder.map(({ run, init }) => ({ ...init, runId: run.id }))),
  ];
}

/**
 * Whether a run can travel in a group: a NUL in one of its text columns cannot pass through JSON text
 * into TEXT, and such a run is created alone so that Postgres answers for it exactly as it always did.
 */
export function groupable(run: RunRecord): boolean {
  return RUN_COLUMNS.every(([, type, value]) => {
    if (type !== 'text') return true;
    const v = value(run);
    return typeof v !== 'string' || !v.includes('\u0000');
  });
}
