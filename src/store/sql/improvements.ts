// Improvement rounds for both stores (see dialect.ts), read newest first. A round is written before its
// candidate is stored and evaluated (as `stopped`, interrupted) and again, by id, when it ends: a loop
// killed in between leaves its candidate marked as one (never a baseline, nor a promotion's `from`).
import type { ImprovementRoundFilter, ImprovementRoundRecord } from '../types.js';
import type { Dialect, Query } from './dialect.js';

type Row = Record<string, unknown>;

const COLUMNS =
  'id, role, round, base_version, candidate_version, outcome, reason, proposer, proposer_run_id, rationale, changes, active_eval_id, candidate_eval_id, comparison, promotion_id, cost_usd, duration_ms, created_at';

const UPDATES = COLUMNS.split(', ')
  .filter((c) => c !== 'id')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

export function insertImprovementRound(d: Dialect, r: ImprovementRoundRecord): Query {
  const marks = Array.from({ length: 18 }, (_, i) => d.param(i + 1)).join(', ');
  return {
    text: `INSERT INTO improvement_rounds (${COLUMNS}) VALUES (${marks})
      ON CONFLICT (id) DO UPDATE SET ${UPDATES}`,
    params: [
      r.id,
      r.role,
      r.round,
      r.baseVersion,
      r.candidateVersion,
      r.outcome,
      r.reason,
      r.proposer,
      r.proposerRunId,
      r.rationale,
      r.changes === null ? null : JSON.stringify(r.changes),
      r.activeEvalId,
      r.candidateEvalId,
      r.comparison === null ? null : JSON.stringify(r.comparison),
      r.promotionId,
      r.costUsd,
      r.durationMs,
      r.createdAt,
    ],
  };
}

export function listImprovementRounds(d: Dialect, f: ImprovementRoundFilter): Query {
  // Keyset paging in the listing's own order, so rounds recorded while a reader pages never shift a page.
  const before = f.before
    ? ` AND (created_at < ${d.param(2)} OR (created_at = ${d.param(3)} AND id < ${d.param(4)}))`
    : '';
  const limit = d.param(f.before ? 5 : 2);
  return {
    text: `SELECT ${COLUMNS} FROM improvement_rounds WHERE role = ${d.param(1)}${before}
      ORDER BY created_at DESC, id DESC LIMIT ${limit}`,
    params: f.before
      ? [f.role, f.before.createdAt, f.before.createdAt, f.before.id, f.limit ?? 50]
      : [f.role, f.limit ?? 50],
  };
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function toImprovementRound(d: Dialect, row: Row): ImprovementRoundRecord {
  return {
    id: String(row.id),
    role: String(row.role),
    round: Number(row.round),
    baseVersion: String(row.base_version),
    candidateVersion: text(row.candidate_version),
    outcome: String(row.outcome) as ImprovementRoundRecord['outcome'],
    reason: String(row.reason),
    proposer: String(row.proposer),
    proposerRunId: text(row.proposer_run_id),
    rationale: text(row.rationale),
    changes: row.changes === null ? null : (d.decodeJson(row.changes) as ImprovementRoundRecord['changes']),
    activeEvalId: text(row.active_eval_id),
    candidateEvalId: text(row.candidate_eval_id),
    comparison:
      row.comparison === null ? null : (d.decodeJson(row.comparison) as ImprovementRoundRecord['comparison']),
    promotionId: text(row.promotion_id),
    costUsd: Number(row.cost_usd),
    durationMs: Number(row.duration_ms),
    createdAt: Number(row.created_at),
  };
}
