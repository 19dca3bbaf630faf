// What the Postgres store keeps about roles, not runs: role versions, eval results, promotions
// (src/versions/) and event subscriptions. Methods of PostgresStore (store.ts), moved here by concept.
import * as catalog from '../sql/catalog.js';
import { postgresDialect as d } from '../sql/dialect.js';
import * as evals from '../sql/evals.js';
import * as improvements from '../sql/improvements.js';
import * as promotions from '../sql/promotions.js';
import type {
  EvalResultFilter,
  EvalResultRecord,
  ImprovementRoundFilter,
  ImprovementRoundRecord,
  NewAuditEvent,
  PromotionOutcome,
  PromotionRecord,
  PromotionStatus,
  RoleVersionRecord,
  SubscriptionRecord,
} from '../types.js';
import * as pgCatalog from './catalog.js';
import { applyPromotion } from './promotions.js';
import type { PostgresIo } from './store-io.js';

export const catalogMethods = {
  putRoleVersion(this: PostgresIo, r: RoleVersionRecord): Promise<void> {
    return pgCatalog.putRoleVersion(this.db, r);
  },

  getRoleVersion(this: PostgresIo, name: string, version: string): Promise<RoleVersionRecord | undefined> {
    return pgCatalog.getRoleVersion(this.db, name, version);
  },

  async putImprovementRound(this: PostgresIo, record: ImprovementRoundRecord): Promise<void> {
    await this.run(`saving improvement round ${record.id}`, improvements.insertImprovementRound(d, record));
  },

  async listImprovementRounds(
    this: PostgresIo,
    filter: ImprovementRoundFilter,
  ): Promise<ImprovementRoundRecord[]> {
    const rows = await this.run(
      `listing improvement rounds of ${filter.role}`,
      improvements.listImprovementRounds(d, filter),
    );
    return rows.map((r) => improvements.toImprovementRound(d, r));
  },

  async putEvalResult(this: PostgresIo, record: EvalResultRecord): Promise<void> {
    await this.run(`saving eval result ${record.id}`, evals.insertEvalResult(d, record));
  },

  async listEvalResults(this: PostgresIo, filter: EvalResultFilter): Promise<EvalResultRecord[]> {
    const rows = await this.run(`listing eval results of ${filter.role}`, evals.listEvalResults(d, filter));
    return rows.map((r) => evals.toEvalResult(d, r));
  },

  async listRoleVersions(this: PostgresIo, name: string): Promise<RoleVersionRecord[]> {
    return promotions.toRoleVersions(
      d,
      await this.run('listing role versions', promotions.roleVersionsOf(d, name)),
    );
  },

  async findRoleVersions(this: PostgresIo, prefix: string, role?: string): Promise<RoleVersionRecord[]> {
    return promotions.toRoleVersions(
      d,
      await this.run('finding role versions', promotions.roleVersionsStartingWith(d, prefix, role)),
    );
  },

  async activePromotion(this: PostgresIo, role: string): Promise<PromotionRecord | undefined> {
    const [r] = await this.run('reading the active version', promotions.activePromotion(d, role));
    return r ? promotions.toPromotion(d, r) : undefined;
  },

  async getPromotion(this: PostgresIo, id: string): Promise<PromotionRecord | undefined> {
    const [r] = await this.run('reading a promotion', promotions.promotionById(d, id));
    return r ? promotions.toPromotion(d, r) : undefined;
  },

  async listPromotions(
    this: PostgresIo,
    filter: { role?: string; status?: PromotionStatus } = {},
  ): Promise<PromotionRecord[]> {
    const rows = await this.run('listing promotions', promotions.listPromotions(d, filter));
    return rows.map((r) => promotions.toPromotion(d, r));
  },

  applyPromotion(
    this: PostgresIo,
    p: PromotionRecord,
    o: { settle: boolean },
    audit: readonly NewAuditEvent[],
  ): Promise<PromotionOutcome> {
    return applyPromotion(this.db, p, o.settle, audit);
  },

  putSubscriptions(this: PostgresIo, records: readonly SubscriptionRecord[]): Promise<void> {
    return pgCatalog.putSubscriptions(this.db, records);
  },

  async listSubscriptions(this: PostgresIo, since: number): Promise<SubscriptionRecord[]> {
    return (await this.run('listing event subscriptions', catalog.subscriptionsSince(d, since))).map(
      catalog.toSubscription,
    );
  },
};
