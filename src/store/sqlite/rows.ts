// Mapping between the Store's records and SQLite rows. JSON values are TEXT, booleans 0/1, times epoch
// milliseconds. Writes bind positional values (binding named parameters costs more than the statement).
import { sqliteDialect } from '../sql/dialect.js';
import * as shared from '../sql/rows.js';
import type {
  ApprovalRecord,
  EscalationRecord,
  NewAuditEvent,
  RoleVersionRecord,
  RunPatch,
  RunRecord,
  StepRecord,
  ToolCallRecord,
} from '../types.js';

export type Row = Record<string, unknown>;

const json = (v: unknown): string => JSON.stringify(v === undefined ? null : v);
const jsonOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const parse = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(v as string));
const text = (v: unknown): string | null => (v as string | null) ?? null;
const int = (v: unknown): number | null => (v as number | null) ?? null;

// ── runs ──

export const RUN_COLUMNS = [
  'id',
  'role',
  'role_version',
  'model',
  'status',
  'input',
  'output',
  'error',
  'seq',
  'turns',
  'usage',
  'active_ms',
  'grant_json',
  'idempotency_key',
  'lease_owner',
  'lease_until',
  'created_at',
  'updated_at',
  'finished_at',
  'attempt',
  'not_before',
  'lease_epoch',
  'parent_run_id',
  'parent_call_key',
  'autonomy_cap',
] as const;

export function runValues(r: RunRecord): unknown[] {
  return [
    r.id,
    r.role,
    r.roleVersion,
    r.model,
    r.status,
    json(r.input),
    jsonOrNull(r.output),
    jsonOrNull(r.error),
    r.seq,
    r.turns,
    json(r.usage),
    r.activeMs,
    json(r.grant),
    r.idempotencyKey,
    r.leaseOwner,
    r.leaseUntil,
    r.createdAt,
    r.updatedAt,
    r.finishedAt,
    r.attempt,
    r.notBefore,
    r.leaseEpoch,
    r.parentRunId ?? null,
    r.parentCallKey ?? null,
    r.autonomyCap ?? null,
  ];
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
    idempotencyKey: text(row.idempotency_key),
    leaseOwner: text(row.lease_owner),
    leaseUntil: int(row.lease_until),
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    finishedAt: int(row.finished_at),
    attempt: row.attempt as number,
    notBefore: int(row.not_before),
    leaseEpoch: (row.lease_epoch as number | null) ?? 0,
    ...shared.delegationFields(row),
  };
}

/**
 * The RunPatch fields in a fixed order, each with its column and encoding. A patch is identified by the
 * bit mask of the fields it sets; the UPDATE statement for each mask is prepared once.
 */
export const PATCH_FIELDS: readonly {
  field: keyof RunPatch;
  column: string;
  encode: (v: unknown) => unknown;
}[] = [
  { field: 'status', column: 'status', encode: (v) => v },
  { field: 'output', column: 'output', encode: jsonOrNull },
  { field: 'error', column: 'error', encode: jsonOrNull },
  { field: 'turns', column: 'turns', encode: (v) => v },
  { field: 'usage', column: 'usage', encode: json },
  { field: 'activeMs', column: 'active_ms', encode: (v) => v },
  { field: 'grant', column: 'grant_json', encode: json },
  { field: 'finishedAt', column: 'finished_at', encode: (v) => v },
  { field: 'leaseOwner', column: 'lease_owner', encode: (v) => v },
  { field: 'leaseUntil', column: 'lease_until', encode: (v) => v },
  { field: 'attempt', column: 'attempt', encode: (v) => v },
  { field: 'notBefore', column: 'not_before', encode: (v) => v },
];

export const PATCH_BIT: Readonly<Record<string, number>> = Object.fromEntries(
  PATCH_FIELDS.map((f, i) => [f.field, 1 << i]),
);

// ── steps ──

export function stepValues(s: StepRecord): unknown[] {
  return [s.runId, s.seq, s.kind, s.at, json(s.data)];
}

export function rowToStep(row: Row): StepRecord {
  return {
    runId: row.run_id as string,
    seq: row.seq as number,
    kind: row.kind as StepRecord['kind'],
    at: row.at as number,
    data: parse(row.data) as Record<string, unknown>,
  };
}

// ── tool calls ──

/** Identity first: (run_id, step, idx) is the primary key, and `key` is `<runId>:<step>:<index>`. */
export const TOOL_CALL_COLUMNS = [
  'run_id',
  'step',
  'idx',
  'key',
  'call_id',
  'tool',
  'args',
  'args_hash',
  'decision',
  'reason',
  'status',
  'result',
  'is_error',
  'approval_id',
  'escalation_id',
  'started_at',
  'finished_at',
] as const;

export function toolCallValues(c: ToolCallRecord): unknown[] {
  return [
    c.runId,
    c.step,
    c.index,
    c.key,
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
    approvalId: text(row.approval_id),
    escalationId: text(row.escalation_id),
    startedAt: int(row.started_at),
    finishedAt: int(row.finished_at),
  };
}

// ── approvals ──

/**
 * Every approvals column but `id`, in binding order. Values list them and then `id`, so one array serves
 * both the upsert (`INSERT (...columns, id)`) and the conditional `UPDATE ... WHERE id = ? AND status = ?`.
 */
export const APPROVAL_COLUMNS = [
  'run_id',
  'role',
  'role_version',
  'autonomy',
  'status',
  'call_keys',
  'change_set_hash',
  'calls',
  'requested_at',
  'decided_at',
  'decided_by',
  'note',
] as const;

export function approvalValues(a: ApprovalRecord): unknown[] {
  return [
    a.runId,
    a.role,
    a.roleVersion,
    a.autonomy,
    a.status,
    json(a.callKeys),
    a.changeSetHash,
    json(a.calls),
    a.requestedAt,
    a.decidedAt,
    a.decidedBy,
    a.note,
    a.id,
  ];
}

export const rowToApproval = (row: Row) => shared.toApproval(sqliteDialect, row);

// ── escalations ──

/** Every escalations column but `id`, in binding order; values end with `id` (as for approvals). */
export const ESCALATION_COLUMNS = [
  'run_id',
  'role',
  'category',
  'reason',
  'missing',
  'source',
  'call_key',
  'context',
  'status',
  'answer',
  'answered_by',
  'answered_at',
  'allow_call',
  'created_at',
] as const;

export function escalationValues(e: EscalationRecord): unknown[] {
  return [
    e.runId,
    e.role,
    e.category,
    e.reason,
    e.missing,
    e.source,
    e.callKey,
    json(e.context),
    e.status,
    e.answer,
    e.answeredBy,
    e.answeredAt,
    e.allowCall ? 1 : 0,
    e.createdAt,
    e.id,
  ];
}

export const rowToEscalation = (row: Row) => shared.toEscalation(sqliteDialect, row);

// ── audit, role versions ──

export function auditValues(a: NewAuditEvent): unknown[] {
  return [a.at, a.actor, a.action, a.runId, a.target, json(a.data)];
}

export const rowToAudit = (row: Row) => shared.toAudit(sqliteDialect, row);

export function roleVersionValues(r: RoleVersionRecord): unknown[] {
  return [r.name, r.version, json(r.spec), r.createdAt];
}

export const rowToRoleVersion = (row: Row) => shared.toRoleVersion(sqliteDialect, row);
