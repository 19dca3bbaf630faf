// Decoding Postgres rows into store records. JSON columns arrive parsed; BIGINT (epoch milliseconds) as a
// number (see `types`); a snapshot's record lists arrive as JSON built by `snapshotLists`.
import pg from 'pg';
import { postgresDialect } from '../sql/dialect.js';
import * as shared from '../sql/rows.js';
import type { RunRecord, RunSnapshot, StepRecord } from '../types.js';

export type Row = Record<string, unknown>;

export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

// BIGINT (int8) arrives as a string by default; epoch milliseconds fit a double exactly.
export const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export function toRun(r: Row): RunRecord {
  return {
    id: r.id as string,
    role: r.role as string,
    roleVersion: r.role_version as string,
    model: r.model as string,
    status: r.status as RunRecord['status'],
    input: r.input,
    output: r.output ?? null,
    error: (r.error as RunRecord['error']) ?? null,
    seq: r.seq as number,
    turns: r.turns as number,
    usage: r.usage as RunRecord['usage'],
    activeMs: num(r.active_ms)!,
    grant: r.grant_json as RunRecord['grant'],
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseUntil: num(r.lease_until),
    createdAt: num(r.created_at)!,
    updatedAt: num(r.updated_at)!,
    finishedAt: num(r.finished_at),
    attempt: r.attempt as number,
    notBefore: num(r.not_before),
    leaseEpoch: (r.lease_epoch as number | null) ?? 0,
    ...shared.delegationFields(r),
  };
}

export const toApproval = (r: Row) => shared.toApproval(postgresDialect, r);

export const toEscalation = (r: Row) => shared.toEscalation(postgresDialect, r);

/** The record lists of a snapshot, as JSON columns of one SELECT over the run row aliased `alias`. */
export function snapshotLists(alias: string): string {
  return `(SELECT COALESCE(json_agg(x ORDER BY x.seq), '[]') FROM steps x WHERE x.run_id = ${alias}.id) AS steps,
    (SELECT COALESCE(json_agg(x ORDER BY x.step, x.idx), '[]') FROM tool_calls x WHERE x.run_id = ${alias}.id) AS calls,
    (SELECT COALESCE(json_agg(x ORDER BY x.requested_at, x.id), '[]') FROM approvals x WHERE x.run_id = ${alias}.id) AS approvals,
    (SELECT COALESCE(json_agg(x ORDER BY x.created_at, x.id), '[]') FROM escalations x WHERE x.run_id = ${alias}.id) AS escalations`;
}

/** A step row (of a snapshot's JSON list). */
export function toStep(s: Row): StepRecord {
  return {
    runId: s.run_id as string,
    seq: s.seq as number,
    kind: s.kind as never,
    at: num(s.at)!,
    data: s.data as Record<string, unknown>,
  };
}

export function toSnapshot(row: Row): RunSnapshot {
  return {
    run: toRun(row.run as Row),
    steps: (row.steps as Row[]).map(toStep),
    toolCalls: (row.calls as Row[]).map((t) => ({
      key: t.key as string,
      runId: t.run_id as string,
      step: t.step as number,
      index: t.idx as number,
      callId: t.call_id as string,
      tool: t.tool as string,
      args: t.args,
      argsHash: t.args_hash as string,
      decision: t.decision as never,
      reason: t.reason as string,
      status: t.status as never,
      result: t.result ?? null,
      isError: t.is_error === true,
      approvalId: (t.approval_id as string | null) ?? null,
      escalationId: (t.escalation_id as string | null) ?? null,
      startedAt: num(t.started_at),
      finishedAt: num(t.finished_at),
    })),
    approvals: (row.approvals as Row[]).map(toApproval),
    escalations: (row.escalations as Row[]).map(toEscalation),
  };
}

export const toRoleVersion = (r: Row) => shared.toRoleVersion(postgresDialect, r);

export const toAudit = (r: Row) => shared.toAudit(postgresDialect, r);
