// What people decide, in the SQLite store: approvals and escalations, the notification outbox and the
// decision tiers, and the signatures remembered against replays. Methods of SqliteStore (store.ts), moved
// here by concept.
import * as catalog from '../sql/catalog.js';
import { sqliteDialect as d } from '../sql/dialect.js';
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
import { type Row, rowToApproval, rowToEscalation } from './rows.js';
import { all, get, run } from './statements.js';
import type { SqliteIo } from './store-io.js';

export const decisionMethods = {
  rememberSignature(this: SqliteIo, signature: string, at: number, forgetBefore: number): Promise<boolean> {
    return this.write('remembering a webhook signature', (s) => {
      run(s, catalog.forgetSignatures(d, forgetBefore));
      return run(s, catalog.rememberSignature(d, signature, at)).changes === 1;
    });
  },

  forgetSignature(this: SqliteIo, signature: string): Promise<void> {
    return this.write('forgetting a webhook signature', (s) => {
      run(s, catalog.forgetSignature(d, signature));
    });
  },

  recordedUnder(
    this: SqliteIo,
    idempotencyKey: string,
  ): Promise<{ runId: string } | { inboxId: string } | undefined> {
    return this.read('looking for a delivery by its key', (s) =>
      catalog.toRecorded(get(s, catalog.recordedUnder(d, idempotencyKey))),
    );
  },

  claimNotifications(
    this: SqliteIo,
    owner: string,
    until: number,
    now: number,
    channels: readonly string[],
    max: number,
  ): Promise<OutboxRecord[]> {
    return this.write('claiming notifications', (s) =>
      all(s, outbox.claimNotifications(d, owner, until, now, channels, max)).map((r) =>
        outbox.toOutbox(d, r),
      ),
    );
  },

  settleNotification(
    this: SqliteIo,
    id: string,
    owner: string,
    o: { status: OutboxStatus; at: number; dueAt?: number; error?: string | null },
  ): Promise<boolean> {
    return this.write(
      `settling notification ${id}`,
      (s) => run(s, outbox.settleNotification(d, id, owner, o)).changes === 1,
    );
  },

  outboxDepth(this: SqliteIo): Promise<number> {
    return this.read('counting the outbox', (s) => Number(get(s, outbox.outboxDepth())?.n ?? 0));
  },

  listNotifications(
    this: SqliteIo,
    filter: { decisionId?: string; runId?: string } = {},
  ): Promise<OutboxRecord[]> {
    return this.read('listing notifications', (s) =>
      all(s, outbox.listNotifications(d, filter)).map((r) => outbox.toOutbox(d, r)),
    );
  },

  dueTiers(this: SqliteIo, now: number, max: number): Promise<DecisionTierRecord[]> {
    return this.read('reading due tiers', (s) => all(s, outbox.dueTiers(d, now, max)).map(outbox.toTier));
  },

  getTier(this: SqliteIo, decisionId: string): Promise<DecisionTierRecord | undefined> {
    return this.read(`reading the tier of ${decisionId}`, (s) => {
      const row = get(s, outbox.tierOf(d, decisionId));
      return row ? outbox.toTier(row) : undefined;
    });
  },

  closeTier(this: SqliteIo, decisionId: string, at: number): Promise<void> {
    return this.write(`closing the tier of ${decisionId}`, (s) => {
      run(s, outbox.closeTier(d, decisionId, at));
    });
  },

  getApproval(this: SqliteIo, id: string): Promise<ApprovalRecord | undefined> {
    return this.read(`reading approval ${id}`, (s) => {
      const row = s.approvalById.get(id) as Row | undefined;
      return row ? rowToApproval(row) : undefined;
    });
  },

  listApprovals(this: SqliteIo, filter: HumanListFilter<ApprovalStatus> = {}): Promise<ApprovalRecord[]> {
    return this.read('listing approvals', (s) =>
      all(s, listings.listApprovals(d, filter)).map(rowToApproval),
    );
  },

  getEscalation(this: SqliteIo, id: string): Promise<EscalationRecord | undefined> {
    return this.read(`reading escalation ${id}`, (s) => {
      const row = s.escalationById.get(id) as Row | undefined;
      return row ? rowToEscalation(row) : undefined;
    });
  },

  listEscalations(
    this: SqliteIo,
    filter: HumanListFilter<EscalationStatus> = {},
  ): Promise<EscalationRecord[]> {
    return this.read('listing escalations', (s) =>
      all(s, listings.listEscalations(d, filter)).map(rowToEscalation),
    );
  },
};
