// The Postgres store's reads across runs: the audit log and its hash chain, run counts, cost and the
// figures of `nightshift stats`. Methods of PostgresStore (store.ts), moved here by concept.
import { countsOf } from '../counts.js';
import * as audit from '../sql/audit.js';
import * as catalog from '../sql/catalog.js';
import { postgresDialect as d } from '../sql/dialect.js';
import * as listings from '../sql/listings.js';
import * as underWay from '../sql/under-way.js';
import type { AuditEvent, RunStatus, StatsFilter, StatsOptions, StatsRows } from '../types.js';
import * as pgCatalog from './catalog.js';
import { toAudit } from './rows.js';
import { postgresStatsRows } from './stats.js';
import type { PostgresIo } from './store-io.js';

export const readMethods = {
  async listAudit(this: PostgresIo, filter: { runId?: string; limit?: number } = {}): Promise<AuditEvent[]> {
    return (await this.run('listing audit events', listings.listAudit(d, filter))).map(toAudit);
  },

  async readAuditChain(this: PostgresIo, filter: audit.AuditChainFilter): Promise<audit.ChainedAuditRow[]> {
    return (await this.run('reading the audit chain', audit.readAuditChain(d, filter))).map(
      audit.toChainedRow,
    );
  },

  async auditChainHeads(this: PostgresIo, chains?: readonly string[]): Promise<audit.AuditChainHead[]> {
    return (await this.run('reading the audit chain heads', audit.auditChainHeads(d, chains))).map(
      audit.toHead,
    );
  },

  async countRuns(
    this: PostgresIo,
    statuses: readonly RunStatus[],
    role?: string,
  ): Promise<Record<string, number>> {
    const rows = await this.run('counting runs', catalog.countRuns(d, statuses, role));
    return countsOf(statuses, rows as { status: string; n: number }[]);
  },

  roleCostSince(this: PostgresIo, role: string, since: number): Promise<number> {
    return pgCatalog.roleCostSince(this.db, role, since);
  },

  async roleRunUnderWayAt(this: PostgresIo, role: string, at: number, recent: number): Promise<boolean> {
    const rows = await this.run(
      `reading whether a run of role ${role} was under way`,
      underWay.roleRunUnderWayAt(d, role, at, recent),
    );
    return rows.length > 0;
  },

  statsRows(this: PostgresIo, filter: StatsFilter, options?: StatsOptions): Promise<StatsRows> {
    // A reader may not fill the rollup (a write): it computes from the runs alone (the same figures).
    return postgresStatsRows(this.db, filter, this.readOnly ? { ...options, rollup: false } : options);
  },
};
