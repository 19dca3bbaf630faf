// Decoding the rows both stores lay out alike: approvals, escalations, audit events, role versions. The
// columns are the same; only JSON (parsed by Postgres, text in SQLite) and booleans (0/1 in SQLite)
// differ. Runs, steps and tool calls keep a decoder per store: they are on the hot path.
import type { ApprovalRecord, AuditEvent, EscalationRecord, RoleVersionRecord, RunRecord } from '../types.js';
import type { Dialect } from './dialect.js';

type Row = Record<string, unknown>;

const text = (v: unknown): string | null => (v as string | null) ?? null;
const time = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function toApproval(d: Dialect, r: Row): ApprovalRecord {
  return {
    id: r.id as string,
    runId: r.run_id as string,
    role: r.role as string,
    roleVersion: r.role_version as string,
    autonomy: r.autonomy as ApprovalRecord['autonomy'],
    status: r.status as ApprovalRecord['status'],
    callKeys: d.decodeJson(r.call_keys) as string[],
    changeSetHash: r.change_set_hash as string,
    calls: d.decodeJson(r.calls) as ApprovalRecord['calls'],
    requestedAt: Number(r.requested_at),
    decidedAt: time(r.decided_at),
    decidedBy: text(r.decided_by),
    note: text(r.note),
  };
}

export function toEscalation(d: Dialect, r: Row): EscalationRecord {
  return {
    id: r.id as string,
    runId: r.run_id as string,
    role: r.role as string,
    category: r.category as EscalationRecord['category'],
    reason: r.reason as string,
    missing: text(r.missing),
    source: r.source as EscalationRecord['source'],
    callKey: text(r.call_key),
    context: d.decodeJson(r.context) as Record<string, unknown>,
    status: r.status as EscalationRecord['status'],
    answer: text(r.answer),
    answeredBy: text(r.answered_by),
    answeredAt: time(r.answered_at),
    allowCall: r.allow_call === true || r.allow_call === 1,
    createdAt: Number(r.created_at),
  };
}

export function toAudit(d: Dialect, r: Row): AuditEvent {
  return {
    id: Number(r.id),
    at: Number(r.at),
    actor: r.actor as string,
    action: r.action as string,
    runId: text(r.run_id),
    target: text(r.target),
    data: d.decodeJson(r.data) as Record<string, unknown>,
  };
}

export function toRoleVersion(d: Dialect, r: Row): RoleVersionRecord {
  return {
    name: r.name as string,
    version: r.version as string,
    spec: d.decodeJson(r.spec) as Record<string, unknown>,
    createdAt: Number(r.created_at),
  };
}

/**
 * A run row's delegation columns (both stores), present on the record only for a child run: a run started
 * any other way reads back exactly as it was written, without them.
 */
export function delegationFields(
  r: Row,
): Pick<RunRecord, 'parentRunId' | 'parentCallKey' | 'autonomyCap'> | Record<string, never> {
  if (r.parent_run_id === null || r.parent_run_id === undefined) return {};
  return {
    parentRunId: r.parent_run_id as string,
    parentCallKey: text(r.parent_call_key),
    autonomyCap: text(r.autonomy_cap) as RunRecord['autonomyCap'],
  };
}
