// The statement behind a group of engine commits (see group-commit.ts): one fixed text, so Postgres
// parses and plans it once per connection, whatever the group holds.
//
// Five parameters: four JSON arrays (the runs' fences and patches, then the steps, tool calls and audit
// events of every batch) and the runs' ids. Each record names the run whose batch it belongs to (`gate`) and is
// inserted only if that run's fenced UPDATE matched, so a run whose seq moved writes nothing at all.
// Values travel as JSON text inside JSON (decoded with ->> then cast), which keeps JSON columns exactly
// as given (key order, \u0000 escapes) like the store's other writes.
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

// A patch key absent from the object keeps the column; present (even as JSON null) sets it.
const sets = Object.values(PATCH_COLUMNS)
  .map(
    ({ column, type }) =>
      `${column} = CASE WHEN x.patch -> '${column}' IS NULL THEN r.${column} ELSE (x.patch ->> '${column}')::${type} END`,
  )
  .join(',\n    ');

/**
 * Data-modifying statements inserting a JSON array's records (`elements`: a set-returning expression
 * named `e`) whose `gate` is an id returned by the CTE `gate`: written only if that write happened.
 */
export const insertSteps = (
  elements: string,
  gate: string,
) => `INSERT INTO steps (run_id, seq, kind, at, data)
  SELECT e->>'run_id', (e->>'seq')::int, e->>'kind', (e->>'at')::bigint, (e->>'data')::json
  FROM ${elements} e JOIN ${gate} ON ${gate}.id = e->>'gate'`;

export const insertToolCalls = (
  elements: string,
  gate: string,
) => `INSERT INTO tool_calls (key, run_id, step, idx,
    call_id, tool, args, args_hash, decision, reason, status, result, is_error, approval_id, escalation_id,
    started_at, finished_at)
  SELECT e->>'key', e->>'run_id', (e->>'step')::int, (e->>'idx')::int, e->>'call_id', e->>'tool', (e->>'args')::json,
    e->>'args_hash', e->>'decision', e->>'reason', e->>'status', (e->>'result')::json, (e->>'is_error')::boolean,
    e->>'approval_id', e->>'escalation_id', (e->>'started_at')::bigint, (e->>'finished_at')::bigint
  FROM ${elements} e JOIN ${gate} ON ${gate}.id = e->>'gate'
  ON CONFLICT (run_id, step, idx) DO UPDATE SET key = excluded.key, call_id = excluded.call_id, tool = excluded.tool,
    args = excluded.args, args_hash = excluded.args_hash, decision = excluded.decision, reason = excluded.reason,
    status = excluded.status, result = excluded.result, is_error = excluded.is_error, approval_id = excluded.approval_id,
    escalation_id = excluded.escalation_id, started_at = excluded.started_at, finished_at = excluded.finished_at`;

export const insertAudit = (
  elements: string,
  gate: string,
) => `INSERT INTO audit_events (at, actor, action, run_id, target, data)
  SELECT (e->>'at')::bigint, e->>'actor', e->>'action', e->>'run_id', e->>'target', (e->>'data')::json
  FROM ${elements} e JOIN ${gate} ON ${gate}.id = e->>'gate'`;

export const GROUP_COMMIT_SQL = `WITH x AS (
  SELECT * FROM json_to_recordset($1::json) AS x(id TEXT, expect INT, seq INT, at BIGINT, patch JSON, owner TEXT, epoch INT)
), u AS (
  UPDATE runs r SET seq = x.seq, updated_at = x.at,
    ${sets}
  FROM x
  -- r.id = ANY($5): without it the plan (generic, with no idea how many rows x holds) scans all of runs.
  WHERE r.id = ANY($5::text[]) AND r.id = x.id AND r.seq = x.expect
    -- A driver's batch is also fenced by its lease (CommitBatch.lease).
    AND (x.owner IS NULL OR (r.lease_owner = x.owner AND r.lease_epoch = x.epoch))
  RETURNING r.id
), s AS (${insertSteps('json_array_elements($2::json)', 'u')}
), t AS (${insertToolCalls('json_array_elements($3::json)', 'u')}
), a AS (${insertAudit('json_array_elements($4::json)', 'u')}
)
SELECT id FROM u`;

/** A batch's records as the JSON elements the inserts above read, each gated on the batch's run. */
export function recordRows(b: Omit<CommitBatch, 'run' | 'expectSeq' | 'at'>): {
  steps: unknown[];
  calls: unknown[];
  audit: unknown[];
} {
  const gate = b.runId;
  return {
    steps: b.steps.map((s) => ({
      gate,
      run_id: s.runId,
      seq: s.seq,
      kind: s.kind,
      at: s.at,
      data: jsonText(s.data),
    })),
    calls: (b.toolCalls ?? []).map((t) => ({
      gate,
      key: t.key,
      run_id: t.runId,
      step: t.step,
      idx: t.index,
      call_id: txt(t.callId),
      tool: txt(t.tool),
      args: jsonText(t.args),
      args_hash: t.argsHash,
      decision: t.decision,
      reason: txt(t.reason),
      status: t.status,
      result: jsonText(t.result),
      is_error: t.isError,
      approval_id: t.approvalId,
      escalation_id: t.escalationId,
      started_at: t.startedAt,
      finished_at: t.finishedAt,
    })),
    audit: (b.audit ?? []).map((a) => ({
      gate,
      at: a.at,
      actor: txt(a.actor),
      action: txt(a.action),
      run_id: a.runId,
      target: txt(a.target),
      data: jsonText(a.data),
    })),
  };
}

/** The parameters of GROUP_COMMIT_SQL for batches of distinct runs (engine commits only). */
export function groupCommitParams(
  batches: readonly CommitBatch[],
): [string, string, string, string, string[]] {
  const fences: unknown[] = [];
  const steps: unknown[] = [];
  const calls: unknown[] = [];
  const audit: unknown[] = [];
  for (const b of batches) {
    const patch: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(b.run ?? {})) {
      if (value === undefined) continue;
      const c = PATCH_COLUMNS[key as keyof RunPatch];
      const encoded = c.encode(value);
      patch[c.column] = typeof encoded === 'string' ? txt(encoded) : encoded;
    }
    fences.push({
      id: b.runId,
      expect: b.expectSeq,
      seq: b.expectSeq + b.steps.length,
      at: b.at,
      patch,
      ...(b.lease ? { owner: b.lease.owner, epoch: b.lease.epoch } : {}),
    });
    const rows = recordRows(b);
    steps.push(...rows.steps);
    calls.push(...rows.calls);
    audit.push(...rows.audit);
  }
  return [
    JSON.stringify(fences),
    JSON.stringify(steps),
    JSON.stringify(calls),
    JSON.stringify(audit),
    batches.map((b) => b.runId),
  ];
}
