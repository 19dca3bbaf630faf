// Mapping between SQLite rows and the Store's records. JSON columns are TEXT; booleans are 0/1.
import type {
  ApprovalRecord,
  AuditEvent,
  EscalationRecord,
  RoleVersionRecord,
  RunRecord,
  StepRecord,
  ToolCallRecord,
} from '../types.js';

export type Row = Record<string, unknown>;

const parse = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(v as string));
const json = (v: unknown): string => JSON.stringify(v === undefined ? null : v);
const jsonOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

export function runToRow(r: RunRecord): Row {
  return {
    id: r.id,
    role: r.role,
    role_version: r.roleVersion,
    model: r.model,
    status: r.status,
    input: json(r.input),
    output: jsonOrNull(r.output),
    error: jsonOrNull(r.error),
    seq: r.seq,
    turns: r.turns,
    usage: json(r.usage),
    active_ms: r.activeMs,
    grant_json: json(r.grant),
    idempotency_key: r.idempotencyKey,
    lease_owner: r.leaseOwner,
    lease_until: r.leaseUntil,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    finished_at: r.finishedAt,
  };
}

export function rowToRun(row: Row): RunRecord {
  return {
    id: row.id as string,
    role: row.role as string,
    roleVersion: row.role_version as string,
    model: row.model as string,
    status: row.status as RunRecord['status'],
    input: parse(row.input),
    output: parse(row.output),
    error: parse(row.error) as RunRecord['error'],
    seq: row.seq as number,
    turns: row.turns as number,
    usage: parse(row.usage) as RunRecord['usage'],
    activeMs: row.active_ms as number,
    grant: parse(row.grant_json) as RunRecord['grant'],
    idempotencyKey: (row.idempotency_key as string | null) ?? null,
    leaseOwner: (row.lease_owner as string | null) ?? null,
    leaseUntil: (row.lease_until as number | null) ?? null,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    finishedAt: (row.finished_at as number | null) ?? null,
  };
}

/** RunPatch field → column, and how its value is stored. */
export const PATCH_COLUMNS: Record<string, { column: string; encode: (v: unknown) => unknown }> = {
  status: { column: 'status', encode: (v) => v },
  output: { column: 'output', encode: jsonOrNull },
  error: { column: 'error', encode: jsonOrNull },
  turns: { column: 'turns', encode: (v) => v },
  usage: { column: 'usage', encode: json },
  activeMs: { column: 'active_ms', encode: (v) => v },
  grant: { column: 'grant_json', encode: json },
  finishedAt: { column: 'finished_at', encode: (v) => v },
  leaseOwner: { column: 'lease_owner', encode: (v) => v },
  leaseUntil: { column: 'lease_until', encode: (v) => v },
};

export function rowToStep(row: Row): StepRecord {
  return {
    runId: row.run_id as string,
    seq: row.seq as number,
    kind: row.kind as StepRecord['kind'],
    at: row.at as number,
    data: parse(row.data) as Record<string, unknown>,
  };
}

/** The tool_calls columns in table order, for positional binding. */
export function toolCallValues(c: ToolCallRecord): unknown[] {
  return [
    c.key,
    c.runId,
    c.step,
    c.index,
    c.callId,
    c.tool,
    json(c.args),
    c.argsHash,
    c.decision,
    c.reason,
    c.status,
    json(c.result),
    c.isError ? 1 : 0,
    c.approvalId,
    c.escalationId,
    c.startedAt,
    c.finishedAt,
  ];
}

export function rowToToolCall(row: Row): ToolCallRecord {
  return {
    key: row.key as string,
    runId: row.run_id as string,
    step: row.step as number,
    index: row.idx as number,
    callId: row.call_id as string,
    tool: row.tool as string,
    args: parse(row.args),
    argsHash: row.args_hash as string,
    decision: row.decision as ToolCallRecord['decision'],
    reason: row.reason as string,
    status: row.status as ToolCallRecord['status'],
    result: parse(row.result),
    isError: row.is_error === 1,
    approvalId: (row.approval_id as string | null) ?? null,
    escalationId: (row.escalation_id as string | null) ?? null,
    startedAt: (row.started_at as number | null) ?? null,
    finishedAt: (row.finished_at as number | null) ?? null,
  };
}

export function approvalToRow(a: ApprovalRecord): Row {
  return {
    id: a.id,
    run_id: a.runId,
    role: a.role,
    role_version: a.roleVersion,
    autonomy: a.autonomy,
    status: a.status,
    call_keys: json(a.callKeys),
    change_set_hash: a.changeSetHash,
    calls: json(a.calls),
    requested_at: a.requestedAt,
    decided_at: a.decidedAt,
    decided_by: a.decidedBy,
    note: a.note,
  };
}

export function rowToApproval(row: Row): ApprovalRecord {
  return {
    id: row.id as string,
    runId: row.run_id as string,
    role: row.role as string,
    roleVersion: row.role_version as string,
    autonomy: row.autonomy as ApprovalRecord['autonomy'],
    status: row.status as ApprovalRecord['status'],
    callKeys: parse(row.call_keys) as string[],
    changeSetHash: row.change_set_hash as string,
    calls: parse(row.calls) as ApprovalRecord['calls'],
    requestedAt: row.requested_at as number,
    decidedAt: (row.decided_at as number | null) ?? null,
    decidedBy: (row.decided_by as string | null) ?? null,
    note: (row.note as string | null) ?? null,
  };
}

export function escalationToRow(e: EscalationRecord): Row {
  return {
    id: e.id,
    run_id: e.runId,
    role: e.role,
    category: e.category,
    reason: e.reason,
    missing: e.missing,
    source: e.source,
    call_key: e.callKey,
    context: json(e.context),
    status: e.status,
    answer: e.answer,
    answered_by: e.answeredBy,
    answered_at: e.answeredAt,
    allow_call: e.allowCall ? 1 : 0,
    created_at: e.createdAt,
  };
}

export function rowToEscalation(row: Row): EscalationRecord {
  return {
    id: row.id as string,
    runId: row.run_id as string,
    role: row.role as string,
    category: row.category as EscalationRecord['category'],
    reason: row.reason as string,
    missing: (row.missing as string | null) ?? null,
    source: row.source as EscalationRecord['source'],
    callKey: (row.call_key as string | null) ?? null,
    context: parse(row.context) as Record<string, unknown>,
    status: row.status as EscalationRecord['status'],
    answer: (row.answer as string | null) ?? null,
    answeredBy: (row.answered_by as string | null) ?? null,
    answeredAt: (row.answered_at as number | null) ?? null,
    allowCall: row.allow_call === 1,
    createdAt: row.created_at as number,
  };
}

export function rowToAudit(row: Row): AuditEvent {
  return {
    id: row.id as number,
    at: row.at as number,
    actor: row.actor as string,
    action: row.action as string,
    runId: (row.run_id as string | null) ?? null,
    target: (row.target as string | null) ?? null,
    data: parse(row.data) as Record<string, unknown>,
  };
}

export function rowToRoleVersion(row: Row): RoleVersionRecord {
  return {
    name: row.name as string,
    version: row.version as string,
    spec: parse(row.spec) as Record<string, unknown>,
    createdAt: row.created_at as number,
  };
}

export const encode = { json, jsonOrNull };
