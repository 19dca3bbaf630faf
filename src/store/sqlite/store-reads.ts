// The SQLite store's reads across runs: the audit log and its hash chain, run counts, cost and the
// figures of `nightshift stats`. Methods of SqliteStore (store.ts), moved here by concept.
import { countsOf } from '../counts.js';
import * as audit from '../sql/audit.js';
import * as catalog from '../sql/catalog.js';
import { sqliteDialect as d } from '../sql/dialect.js';
import * as listings from '../sql/listings.js';
import * as underWay from '../sql/under-way.js';
import type { AuditEvent, RunStatus, StatsFilter, StatsOptions, StatsRows } from '../types.js';
import { rowToAudit } from './rows.js';
import { all } from './statements.js';
import { sqliteStatsRows } from './stats.js';
import type { SqliteIo } from './store-io.js';

export const readMethods = {
  listAudit(this: SqliteIo, filter: { runId?: string; limit?: number } = {}): Promise<AuditEvent[]> {
    return this.read('listing audit events', (s) => all(s, listings.listAudit(d, filter)).map(rowToAudit));
  },

  readAuditChain(this: SqliteIo, filter: audit.AuditChainFilter): Promise<audit.ChainedAuditRow[]> {
    return this.read('reading the audit chain', (s) =>
      all(s, audit.readAuditChain(d, filter)).map(audit.toChainedRow),
    );
  },

  auditChainHeads(this: SqliteIo, chains?: readonly string[]): Promise<audit.AuditChainHead[]> {
    return this.read('reading the audit chain heads', (s) =>
      all(s, audit.auditChainHeads(d, chains)).map(audit.toHead),
    );
  },

  countRuns(this: SqliteIo, statuses: readonly RunStatus[], role?: string): Promise<Record<string, number>> {
    return this.read('counting runs', (s) =>
      countsOf(statuses, all(s, catalog.countRuns(d, statuses, role)) as { status: string; n: number }[]),
    );
  },

  roleCostSince(this: SqliteIo, role: string, since: number): Promise<number> {
    return this.read(`summing the model cost of role ${role}`, (s) =>
      Number(s.roleCostSince.get(role, since, since)),
    );
  },

  roleRunUnderWayAt(this: SqliteIo, role: string, at: number, recent: number): Promise<boolean> {
    return this.read(
      `reading whether a run of role ${role} was under way`,
      (s) => all(s, underWay.roleRunUnderWayAt(d, role, at, recent)).length > 0,
    );
  },

  statsRows(this: SqliteIo, filter: StatsFilter, options?: StatsOptions): Promise<StatsRows> {
    return sqliteStatsRows(
      (what, fn) => this.read(what, fn),
      (what, fn) => this.write(what, fn),
      filter,
      // A reader may not fill the rollup (a write): it computes from the runs alone (the same figures).
      this.readOnly ? { ...options, rollup: false } : options,
    );
  },
};
