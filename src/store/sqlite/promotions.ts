// Role promotions on SQLite: the write transaction holds the database's one write lock, so the check
// against the promotion in effect and the write after it cannot interleave with another promotion.
import { sqliteDialect as d } from '../sql/dialect.js';
import * as promotions from '../sql/promotions.js';
import type { NewAuditEvent, PromotionOutcome, PromotionRecord } from '../types.js';
import { get, run, type Statements } from './statements.js';

export function applyPromotion(
  s: Statements,
  p: PromotionRecord,
  settle: boolean,
  audit: readonly NewAuditEvent[],
): PromotionOutcome {
  if (settle && get(s, promotions.promotionById(d, p.id))?.status !== 'pending') return 'not_pending';
  let seq: number | null = null;
  if (p.status === 'done') {
    const active = get(s, promotions.activePromotion(d, p.role));
    if (((active?.id as string | undefined) ?? null) !== p.baseId) return 'stale';
    seq = Number(get(s, promotions.nextSeq(d, p.role))?.seq);
  }
  const row = { ...p, seq };
  run(s, settle ? promotions.settlePromotion(d, row) : promotions.insertPromotion(d, row));
  s.audit.append(audit);
  return 'applied';
}
