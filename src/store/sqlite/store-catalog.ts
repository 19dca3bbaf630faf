// What the SQLite store keeps about roles, not runs: role versions, promotions (src/versions/), eval
// results and event subscriptions. Methods of SqliteStore (store.ts), moved here by concept.
import { roleVersionSeen } from '../../audit/actions.js';
import * as catalog from '../sql/catalog.js';
import { sqliteDialect as d } from '../sql/dialect.js';
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
import { applyPromotion } from './promotions.js';
import { type Row, roleVersionValues, rowToRoleVersion } from './rows.js';
import { all, get, run } from './statements.js';
import type { SqliteIo } from './store-io.js';

export const catalogMethods = {
  putRoleVersion(this: SqliteIo, record: RoleVersionRecord): Promise<void> {
    return this.write(`saving role version ${record.name}@${record.version}`, (s) => {
      if (s.insertRoleVersion.run(roleVersionValues(record)).changes === 1)
        s.audit.append([roleVersionSeen(record)]);
    });
  },

  getRoleVersion(this: SqliteIo, name: string, version: string): Promise<RoleVersionRecord | undefined> {
    return this.read(`reading role version ${name}@${version}`, (s) => {
      const row = s.roleVersion.get(name, version) as Row | undefined;
      return row ? rowToRoleVersion(row) : undefined;
    });
  },

  listRoleVersions(this: SqliteIo, name: string): Promise<RoleVersionRecord[]> {
    return this.read('listing role versions', (s) =>
      promotions.toRoleVersions(d, all(s, promotions.roleVersionsOf(d, name))),
    );
  },

  findRoleVersions(this: SqliteIo, prefix: string, role?: string): Promise<RoleVersionRecord[]> {
    return this.read('finding role versions', (s) =>
      promotions.toRoleVersions(d, all(s, promotions.roleVersionsStartingWith(d, prefix, role))),
    );
  },

  activePromotion(this: SqliteIo, role: string): Promise<PromotionRecord | undefined> {
    return this.read('reading the active version', (s) => {
      const r = get(s, promotions.activePromotion(d, role));
      return r ? promotions.toPromotion(d, r) : undefined;
    });
  },

  getPromotion(this: SqliteIo, id: string): Promise<PromotionRecord | undefined> {
    return this.read('reading a promotion', (s) => {
      const r = get(s, promotions.promotionById(d, id));
      return r ? promotions.toPromotion(d, r) : undefined;
    });
  },

  listPromotions(
    this: SqliteIo,
    filter: { role?: string; status?: PromotionStatus } = {},
  ): Promise<PromotionRecord[]> {
    return this.read('listing promotions', (s) =>
      all(s, promotions.listPromotions(d, filter)).map((r) => promotions.toPromotion(d, r)),
    );
  },

  applyPromotion(
    this: SqliteIo,
    p: PromotionRecord,
    o: { settle: boolean },
    audit: readonly NewAuditEvent[],
  ): Promise<PromotionOutcome> {
    return this.write(`promoting ${p.role}@${p.version}`, (s) => applyPromotion(s, p, o.settle, audit), true);
  },

  putImprovementRound(this: SqliteIo, record: ImprovementRoundRecord): Promise<void> {
    return this.write(`saving improvement round ${record.id}`, (s) => {
      run(s, improvements.insertImprovementRound(d, record));
    });
  },

  listImprovementRounds(this: SqliteIo, filter: ImprovementRoundFilter): Promise<ImprovementRoundRecord[]> {
    return this.read(`listing improvement rounds of ${filter.role}`, (s) =>
      all(s, improvements.listImprovementRounds(d, filter)).map((r) => improvements.toImprovementRound(d, r)),
    );
  },

  putEvalResult(this: SqliteIo, record: EvalResultRecord): Promise<void> {
    return this.write(`saving eval result ${record.id}`, (s) => {
      run(s, evals.insertEvalResult(d, record));
    });
  },

  listEvalResults(this: SqliteIo, filter: EvalResultFilter): Promise<EvalResultRecord[]> {
    return this.read(`listing eval results of ${filter.role}`, (s) =>
      all(s, evals.listEvalResults(d, filter)).map((r) => evals.toEvalResult(d, r)),
    );
  },

  putSubscriptions(this: SqliteIo, records: readonly SubscriptionRecord[]): Promise<void> {
    return this.write('recording event subscriptions', (s) => {
      const upsert = s.sql(
        `INSERT INTO subscriptions (event, role, role_version, seen_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (event, role, role_version) DO UPDATE SET seen_at = excluded.seen_at`,
      );
      for (const r of records) upsert.run(r.event, r.role, r.roleVersion, r.seenAt);
    });
  },

  listSubscriptions(this: SqliteIo, since: number): Promise<SubscriptionRecord[]> {
    return this.read('listing event subscriptions', (s) =>
      all(s, catalog.subscriptionsSince(d, since)).map(catalog.toSubscription),
    );
  },
};
