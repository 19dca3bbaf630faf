// The statement behind a group of engine commits (see group-commit.ts): one fixed text, so Postgres
// parses and plans it once per connection, whatever the group holds.
//
// Five parameters: four JSON arrays (the runs' fences and patches, then the steps, tool calls and audit
// events of every batch) and the runs' ids. Each record names the run whose batch it belongs to (`gate`) and is
// inserted only if that run's fenced UPDATE matched, so a run whose seq moved writes nothing at all.
// Each array is read by json_to_recordset, which parses it once into typed columns. Reading fields with
// `e->>'name'` instead parses the element's JSON text again from its start for every field: for a tool
// call's 17 fields that cost 6–8 times as much per record, for a step's 5 fields 1.5–2.5 times (wall time
// under load, so ratios only; no end-to-end gain shown: bench/README.md, 2026-12-02, "pgrow").
//
// A record's JSON columns (a step's data, a call's args and result, an audit event's data) travel as JSON
// values inside the array, encoded once with it: Postgres hands a `json` record column the value's text
// exactly as written (key order, spacing, escapes), the very text the store's other writes store. It
// does decode `\u` escapes on the way and refuses some (\u0000, a lone surrogate), so an array whose text
// has any `\u` is encoded the old way instead, each JSON column as its JSON text inside a string
// (`data_text`, cast to json by the insert): twice encoded, but what any value survives.
import type { CommitBatch, RunPatch } from '../types.js';
import { jsonText, jsonTextOrNull, txt } from './encode.js';

type Column = { column: string; type: 'text' | 'int' | 'bigint' | 'json'; encode: (v: unknown) => unknown };

const asIs = (v: unknown) => v;

/** How each patchable run field is stored (the same encodings as the store's single-run writes). */
export const PATCH_COLUMNS: Record<keyof RunPatch, Column> = {
  status: { column: 'status', type: 'text', encode: asIs },
  output: { column: 'output', type: 'json', encode: jsonTextOrNull },
  error: { column: 'error', type: 'json', encode: jsonTextOrNull },
  turns: { column: 'turns', type: 'int', encode: asIs },
  usage: { column: 'usage', type: 'json', encode: jsonText },
  activeMs: { column: 'active_ms', type: 'bigint', encode: asIs },
  grant: { column: 'grant_json', type: 'json', encode: jsonText },
  finishedAt: { column: 'finished_at', type: 'bigint', encode: asIs },
  leaseOwner: { column: 'lease_owner', type: 'text', encode: asIs },
  leaseUntil: { column: 'lease_until', type: 'bigint', encode: asIs },
  attempt: { column: 'attempt', type: 'int', encode: asIs },
  notBefore: { column: 'not_before', type: 'bigint', encode: asIs },
};

const patchColumns = Object.values(PATCH_COLUMNS);

/** The bit of `x.given` saying the batch sets a column (a patch key present, even as null). */
const PATCH_BIT = new Map(patchColumns.map(({ column }, i) => [column, 1 << i]));
// `x.given` is read as INT: past 32 columns `1 << i` wraps onto bit 0 (and the 32nd is INT's sign bit).
if (patchColumns.length > 31) throw new Error('PATCH_COLUMNS outgrew the INT bit mask `given`');

/** The SQL type a record column is read as: JSON travels as its text, cast when it is written. */
const recordType = (type: Column['type']) => (type === 'json' ? 'text' : type);

// A column the batch does not set (its bit in `x.given` clear) keeps its value; one it sets (even to null) takes the patch's.
// A lease end the holder's own batch moves on (no new owner in it) never goes back: a renewal applied
// first (renewals travel on their own pool) may have moved it further. A null end (a release) is written.
const sets = patchColumns
  .map(({ column, type }) =>
    column === 'lease_until'
      ? `lease_until = CASE WHEN (x.given & ${PATCH_BIT.get(column)}) = 0 THEN r.lease_until
      WHEN x.p_lease_until IS NULL OR (x.given & ${PATCH_BIT.get('lease_owner')}) <> 0 THEN x.p_lease_until
      ELSE GREATEST(r.lease_until, x.p_lease_until) END`
      : `${column} = CASE WHEN (x.given & ${PATCH_BIT.get(column)}) = 0 THEN r.${column} ELSE x.p_${column}${type === 'json' ? '::json' : ''} END`,
  )
  .join(',\n    ');

/**
 * A record's JSON column, whichever way it travelled. The value JSON null arrives as SQL NULL (Postgres
 * reads a JSON null field so): it was stored as the JSON text `null`, and still is.
 */
const jsonColumn = (name: string) => `COALESCE(e.${name}, e.${name}_text::json, 'null'::json)`;

/**
 * Data-modifying statements inserting the records of a JSON array (`param`: its placeholder, e.g. `$2`)
 * whose `gate` is an id returned by the CTE `gate`: written only if that write happened.
 */
export const insertSteps = (param: string, gate: string) => `INSERT INTO steps (run_id, seq, kind, at, data)
  SELECT e.run_id, e.seq, e.kind, e.at, ${jsonColumn('data')}
  FROM json_to_recordset(${param}::json) AS e(gate TEXT, run_id TEXT, seq INT, kind TEXT, at BIGINT, data JSON,
    data_text TEXT)
  JOIN ${gate} ON ${gate}.id = e.gate`;

export const insertToolCalls = (
  param: string,
  gate: string,
) => `INSERT INTO tool_calls (key, run_id, step, idx,
    call_id, tool, args, args_hash, decision, reason, status, result, is_error, approval_id, escalation_id,
    started_at, finished_at)
  SELECT e.key, e.run_id, e.step, e.idx, e.call_id, e.tool, ${jsonColumn('args')}, e.args_hash, e.decision,
    e.reason, e.status, ${jsonColumn('result')}, e.is_error, e.approval_id, e.escalation_id, e.started_at,
    e.finished_at
  FROM json_to_recordset(${param}::json) AS e(gate TEXT, key TEXT, run_id TEXT, step INT, idx INT, call_id TEXT,
    tool TEXT, args JSON, args_text TEXT, args_hash TEXT, decision TEXT, reason TEXT, status TEXT, result JSON,
    result_text TEXT, is_error BOOLEAN, approval_id TEXT, escalation_id TEXT, started_at BIGINT, finished_at BIGINT)
  JOIN ${gate} ON ${gate}.id = e.gate
  ON CONFLICT (run_id, step, idx) DO UPDATE SET key = excluded.key, call_id = excluded.call_id, tool = excluded.tool,
    args = excluded.args, args_hash = excluded.args_hash, decision = excluded.decision, reason = excluded.reason,
    status = excluded.status, result = excluded.result, is_error = excluded.is_error, approval_id = excluded.approval_id,
    escalation_id = excluded.escalation_id, started_at = excluded.started_at, finished_at = excluded.finished_at`;

export const insertAudit = (
  param: string,
  gate: string,
) => `INSERT INTO audit_events (at, actor, action, run_id, target, data)
  SELECT e.at, e.actor, e.action, e.run_id, e.target, ${jsonColumn('data')}
  FROM json_to_recordset(${param}::json) AS e(gate TEXT, at BIGINT, actor TEXT, action TEXT, run_id TEXT, target TEXT,
    data JSON, data_text TEXT)
  JOIN ${gate} ON ${gate}.id = e.gate`;

export const GROUP_COMMIT_SQL = `WITH x AS (
  SELECT * FROM json_to_recordset($1::json) AS x(id TEXT, expect INT, seq INT, at BIGINT, owner TEXT, epoch INT,
    given INT, ${patchColumns.map(({ column, type }) => `p_${column} ${recordType(type)}`).join(', ')})
), u AS (
  UPDATE runs r SET seq = x.seq, updated_at = x.at,
    ${sets}
  FROM x
  -- r.id = ANY($5): without it the plan (generic, with no idea how many rows x holds) scans all of runs.
  WHERE r.id = ANY($5::text[]) AND r.id = x.id AND r.seq = x.expect
    -- A driver's batch is also fenced by its lease (CommitBatch.lease).
    AND (x.owner IS NULL OR (r.lease_owner = x.owner AND r.lease_epoch = x.epoch))
  RETURNING r.id
), s AS (${insertSteps('$2', 'u')}
), t AS (${insertToolCalls('$3', 'u')}
), a AS (${insertAudit('$4', 'u')}
)
SELECT id FROM u`;

type Records = { steps: unknown[]; calls: unknown[]; audit: unknown[] };
type RecordSource = Omit<CommitBatch, 'run' | 'expectSeq' | 'at'>;

/**
 * A batch's records as the JSON elements the inserts above read, each gated on the batch's run, appended
 * to `into`. A JSON column is its value, or with `asText` its JSON text (in `<column>_text`).
 */
export function recordRows(
  b: RecordSource,
  asText = false,
  into: Records = { steps: [], calls: [], audit: [] },
): Records {
  const gate = b.runId;
  const json = (row: Record<string, unknown>, column: string, v: unknown) => {
    if (asText) row[`${column}_text`] = jsonText(v);
    else row[column] = v === undefined ? null : v;
    return row;
  };
  for (const s of b.steps)
    into.steps.push(json({ gate, run_id: s.runId, seq: s.seq, kind: s.kind, at: s.at }, 'data', s.data));
  for (const t of b.toolCalls ?? []) {
    const row: Record<string, unknown> = {
      gate,
      key: t.key,
      run_id: t.runId,
      step: t.step,
      idx: t.index,
      call_id: txt(t.callId),
      tool: txt(t.tool),
    };
    json(row, 'args', t.args);
    Object.assign(row, {
      args_hash: t.argsHash,
      decision: t.decision,
      reason: txt(t.reason),
      status: t.status,
    });
    json(row, 'result', t.result);
    Object.assign(row, {
      is_error: t.isError,
      approval_id: t.approvalId,
      escalation_id: t.escalationId,
      started_at: t.startedAt,
      finished_at: t.finishedAt,
    });
    into.calls.push(row);
  }
  for (const a of b.audit ?? [])
    into.audit.push(
      json(
        {
          gate,
          at: a.at,
          actor: txt(a.actor),
          action: txt(a.action),
          run_id: a.runId,
          target: txt(a.target),
        },
        'data',
        a.data,
      ),
    );
  return into;
}

/**
 * The steps, tool calls and audit events of `batches` as the three JSON arrays the inserts read: their
 * JSON columns encoded once with the array, unless a `\u` escape in its text sends them the old way.
 */
export function recordsJson(batches: readonly RecordSource[]): [string, string, string] {
  const encode = (asText: boolean): [string, string, string] => {
    const into: Records = { steps: [], calls: [], audit: [] };
    for (const b of batches) recordRows(b, asText, into);
    return [JSON.stringify(into.steps), JSON.stringify(into.calls), JSON.stringify(into.audit)];
  };
  const once = encode(false);
  return once.some((text) => text.includes('\\u')) ? encode(true) : once;
}

/** The parameters of GROUP_COMMIT_SQL for batches of distinct runs (engine commits only). */
export function groupCommitParams(
  batches: readonly CommitBatch[],
): [string, string, string, string, string[]] {
  const fences: unknown[] = [];
  for (const b of batches) {
    const fence: Record<string, unknown> = {
      id: b.runId,
      expect: b.expectSeq,
      seq: b.expectSeq + b.steps.length,
      at: b.at,
      ...(b.lease ? { owner: b.lease.owner, epoch: b.lease.epoch } : {}),
    };
    let given = 0;
    for (const [key, value] of Object.entries(b.run ?? {})) {
      if (value === undefined) continue;
      const c = PATCH_COLUMNS[key as keyof RunPatch];
      const encoded = c.encode(value);
      fence[`p_${c.column}`] = typeof encoded === 'string' ? txt(encoded) : encoded;
      given |= PATCH_BIT.get(c.column)!;
    }
    fence.given = given;
    fences.push(fence);
  }
  return [JSON.stringify(fences), ...recordsJson(batches), batches.map((b) => b.runId)];
}
