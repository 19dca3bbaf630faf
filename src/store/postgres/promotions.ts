// Role promotions on Postgres: each write holds a per-role transaction lock, so the check against the
// promotion in effect and the write after it cannot interleave with another promotion of the same role.
import { postgresDialect as d, type Query } from '../sql/dialect.js';
import * as promotions from '../sql/promotions.js';
import type { NewAuditEvent, PromotionOutcome, PromotionRecord } from '../types.js';
import type { Client, Database } from './database.js';
import { jsonText } from './encode.js';
import type { Row } from './rows.js';

const run = (c: Client, q: Query) => c.query(q.text, q.params);

export function applyPromotion(
  db: Database,
  p: PromotionRecord,
  settle: boolean,
  audit: readonly NewAuditEvent[],
): Promise<PromotionOutcome> {
  return db.tx(`promoting ${p.role}@${p.version}`, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`nightshift.promotions:${p.role}`]);
    if (settle) {
      const [current] = (await run(c, promotions.promotionById(d, p.id))).rows as Row[];
      if (current?.status !== 'pending') return 'not_pending';
    }
    let seq: number | null = null;
    if (p.status === 'done') {
      const [active] = (await run(c, promotions.activePromotion(d, p.role))).rows as Row[];
      if (((active?.id as string | undefined) ?? null) !== p.baseId) return 'stale';
      seq = Number(((await run(c, promotions.nextSeq(d, p.role))).rows[0] as Row).seq);
    }
    const row = { ...p, seq };
    await run(c, settle ? promotions.settlePromotion(d, row) : promotions.insertPromotion(d, row));
    for (const e of audit)
      await c.query(
        'INSERT INTO audit_events (at, actor, action, run_id, target, data) VALUES ($1, $2, $3, $4, $5, $6)',
        [e.at, e.actor, e.action, e.runId, e.target, jsonText(e.data)],
      );
    return 'applied';
  });
}
