// What people decide, in the Postgres store: approvals and escalations, the notification outbox and the
// decision tiers, and the signatures remembered against replays. Methods of PostgresStore (store.ts),
// moved here by concept.
import * as catalog from '../sql/catalog.js';
import { postgresDialect as d } from '../sql/dialect.js';
import * as listings from '../sql/listings.js';
import * as outbox from '../sql/outbox.js';
import type {
  ApprovalRecord,
  ApprovalStatus,
  DecisionTierRecord,
  EscalationRecord,
  EscalationStatus,
  HumanListFilter,
  OutboxRecord,
  OutboxStatus,
} from '../types.js';
import * as pgCatalog from './catalog.js';
import { toApproval, toEscalation } from './rows.js';
import type { PostgresIo } from './store-io.js';

export const decisionMethods = {
  rememberSignature(this: PostgresIo, signature: string, at: number, forgetBefore: number): Promise<boolean> {
    return this.db.tx('remembering a webhook signature', async (c) => {
      const forget = catalog.forgetSignatures(d, forgetBefore);
      await c.query(forget.text, forget.params);
      const remember = catalog.rememberSignature(d, signature, at);
      return (await c.query(remember.text, remember.params)).rowCount === 1;
    });
  },

  async forgetSignature(this: PostgresIo, signature: string): Promise<void> {
    await this.run('forgetting a webhook signature', catalog.forgetSignature(d, signature));
  },

  async recordedUnder(
    this: PostgresIo,
    idempotencyKey: string,
  ): Promise<{ runId: string } | { inboxId: string } | undefined> {
    const [row] = await this.run(
      'looking for a delivery by its key',
      catalog.recordedUnder(d, idempotencyKey),
    );
    return catalog.toRecorded(row);
  },

  async claimNotifications(
    this: PostgresIo,
    owner: string,
    until: number,
    now: number,
    channels: readonly string[],
    max: number,
  ): Promise<OutboxRecord[]> {
    const q = outbox.claimNotifications(d, owner, until, now, channels, max);
    return (await this.run('claiming notifications', q)).map((r) => outbox.toOutbox(d, r));
  },

  async settleNotification(
    this: PostgresIo,
    id: string,
    owner: string,
    o: { status: OutboxStatus; at: number; dueAt?: number; error?: string | null },
  ): Promise<boolean> {
    const q = outbox.settleNotification(d, id, owner, o);
    const rows = await this.run(`settling notification ${id}`, { ...q, text: `${q.text} RETURNING id` });
    return rows.length === 1;
  },

  async outboxDepth(this: PostgresIo): Promise<number> {
    const [row] = await this.run('counting the outbox', outbox.outboxDepth());
    return Number(row?.n ?? 0);
  },

  async listNotifications(
    this: PostgresIo,
    filter: { decisionId?: string; runId?: string } = {},
  ): Promise<OutboxRecord[]> {
    return (await this.run('listing notifications', outbox.listNotifications(d, filter))).map((r) =>
      outbox.toOutbox(d, r),
    );
  },

  async dueTiers(this: PostgresIo, now: number, max: number): Promise<DecisionTierRecord[]> {
    return (await this.run('reading due tiers', outbox.dueTiers(d, now, max))).map(outbox.toTier);
  },

  async getTier(this: PostgresIo, decisionId: string): Promise<DecisionTierRecord | undefined> {
    const [row] = await this.run(`reading the tier of ${decisionId}`, outbox.tierOf(d, decisionId));
    return row ? outbox.toTier(row) : undefined;
  },

  async closeTier(this: PostgresIo, decisionId: string, at: number): Promise<void> {
    await this.run(`closing the tier of ${decisionId}`, outbox.closeTier(d, decisionId, at));
  },

  getApproval(this: PostgresIo, id: string): Promise<ApprovalRecord | undefined> {
    return pgCatalog.getApproval(this.db, id);
  },

  async listApprovals(
    this: PostgresIo,
    filter: HumanListFilter<ApprovalStatus> = {},
  ): Promise<ApprovalRecord[]> {
    return (await this.run('listing approvals', listings.listApprovals(d, filter))).map(toApproval);
  },

  getEscalation(this: PostgresIo, id: string): Promise<EscalationRecord | undefined> {
    return pgCatalog.getEscalation(this.db, id);
  },

  async listEscalations(
    this: PostgresIo,
    filter: HumanListFilter<EscalationStatus> = {},
  ): Promise<EscalationRecord[]> {
    return (await this.run('listing escalations', listings.listEscalations(d, filter))).map(toEscalation);
  },
};
