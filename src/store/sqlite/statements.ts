// Every SQL statement of the hot paths, prepared once after the schema is migrated. The fenced run update,
// whose text depends on which run fields a commit patches, is prepared on first use and cached by that
// shape; the cold paths (shared with Postgres in ../sql/) go through `sql()`, cached by text.
import type Database from 'better-sqlite3';
import type { Query } from '../sql/dialect.js';
import { AuditAppender } from './audit-chain.js';
import {
  APPROVAL_COLUMNS,
  ESCALATION_COLUMNS,
  PATCH_BIT,
  PATCH_FIELDS,
  type Row,
  RUN_COLUMNS,
  TOOL_CALL_COLUMNS,
} from './rows.js';

type Statement = Database.Statement<unknown[], unknown>;

export const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
const setExcluded = (columns: readonly string[]): string =>
  columns.map((c) => `${c} = excluded.${c}`).join(', ');

export class Statements {
  readonly insertRun: Statement;
  readonly runById: Statement;
  readonly runByIdempotencyKey: Statement;
  readonly insertStep: Statement;
  readonly upsertToolCall: Statement;
  readonly upsertApproval: Statement;
  readonly updateApprovalIfStatus: Statement;
  readonly upsertEscalation: Statement;
  readonly updateEscalationIfStatus: Statement;
  /** Chained inserts into the audit log (prepared at first use: its table comes with migration 8). */
  get audit(): AuditAppender {
    this.auditAppender ??= new AuditAppender(this.db);
    return this.auditAppender;
  }
  private auditAppender: AuditAppender | undefined;
  readonly insertRoleVersion: Statement;
  readonly roleVersion: Statement;
  readonly stepsOfRun: Statement;
  readonly toolCallsOfRun: Statement;
  readonly approvalsOfRun: Statement;
  readonly escalationsOfRun: Statement;
  readonly approvalById: Statement;
  readonly escalationById: Statement;
  readonly claimRun: Statement;
  readonly claimRunWithin: Statement;
  readonly renewLease: Statement;
  readonly stealRun: Statement;
  readonly leaseRun: Statement;
  readonly roleCostSince: Statement;

  private readonly runUpdates = new Map<number, Statement>();
  private readonly adHoc = new Map<string, Statement>();

  constructor(private readonly db: Database.Database) {
    const p = (sql: string): Statement => db.prepare(sql);
    this.insertRun = p(
      `INSERT INTO runs (${RUN_COLUMNS.join(', ')}) VALUES (${marks(RUN_COLUMNS.length)})
       ON CONFLICT (idempotency_key) DO NOTHING`,
    );
    this.runById = p('SELECT * FROM runs WHERE id = ?');
    this.runByIdempotencyKey = p('SELECT * FROM runs WHERE idempotency_key = ?');
    this.insertStep = p('INSERT INTO steps (run_id, seq, kind, at, data) VALUES (?, ?, ?, ?, ?)');
    this.upsertToolCall = p(
      `INSERT INTO tool_calls (${TOOL_CALL_COLUMNS.join(', ')}) VALUES (${marks(TOOL_CALL_COLUMNS.length)})
       ON CONFLICT (run_id, step, idx) DO UPDATE SET ${setExcluded(TOOL_CALL_COLUMNS.slice(3))}`,
    );
    this.upsertApproval = p(
      `INSERT INTO approvals (${APPROVAL_COLUMNS.join(', ')}, id) VALUES (${marks(APPROVAL_COLUMNS.length + 1)})
       ON CONFLICT (id) DO UPDATE SET ${setExcluded(APPROVAL_COLUMNS)}`,
    );
    this.updateApprovalIfStatus = p(
      `UPDATE approvals SET ${APPROVAL_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ? AND status = ?`,
    );
    this.upsertEscalation = p(
      `INSERT INTO escalations (${ESCALATION_COLUMNS.join(', ')}, id) VALUES (${marks(ESCALATION_COLUMNS.length + 1)})
       ON CONFLICT (id) DO UPDATE SET ${setExcluded(ESCALATION_COLUMNS)}`,
    );
    this.updateEscalationIfStatus = p(
      `UPDATE escalations SET ${ESCALATION_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ? AND status = ?`,
    );
    this.insertRoleVersion = p(
      `INSERT INTO role_versions (name, version, spec, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name, version) DO NOTHING`,
    );
    this.roleVersion = p('SELECT * FROM role_versions WHERE name = ? AND version = ?');
    this.stepsOfRun = p('SELECT * FROM steps WHERE run_id = ? ORDER BY seq');
    this.toolCallsOfRun = p('SELECT * FROM tool_calls WHERE run_id = ? ORDER BY step, idx');
    this.approvalsOfRun = p('SELECT * FROM approvals WHERE run_id = ? ORDER BY requested_at, id');
    this.escalationsOfRun = p('SELECT * FROM escalations WHERE run_id = ? ORDER BY created_at, id');
    this.approvalById = p('SELECT * FROM approvals WHERE id = ?');
    this.escalationById = p('SELECT * FROM escalations WHERE id = ?');
    // A claim is a new acquisition: the epoch (fencing token) goes up. Binds: owner, until, id, owner, now.
    this.claimRun = p(
      `UPDATE runs SET lease_owner = ?, lease_until = ?, lease_epoch = lease_epoch + 1
       WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until IS NULL OR lease_until < ?)
       RETURNING lease_epoch`,
    ).pluck();
    // claimRun within the role's concurrency: only while fewer than `limit` other runs of its role hold a
    // live lease (the count claim_queued makes, through the same index). Binds: owner, until, id, owner,
    // now, now, limit.
    this.claimRunWithin = p(
      `UPDATE runs SET lease_owner = ?, lease_until = ?, lease_epoch = lease_epoch + 1
       WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until IS NULL OR lease_until < ?)
         AND (SELECT COUNT(*) FROM runs AS other INDEXED BY runs_claim WHERE other.role = runs.role
              AND other.id <> runs.id AND other.status IN ('queued', 'running')
              AND other.lease_owner IS NOT NULL AND other.lease_until >= ?) < ?
       RETURNING lease_epoch`,
    ).pluck();
    // A renewal extends exactly the lease it names, and only while the run is running. Binds: until, id,
    // owner, epoch. It never moves the end back (a renewal sent before a commit may be applied after it);
    // SQLite's MAX() with a NULL is NULL, hence the COALESCE.
    this.renewLease = p(
      `UPDATE runs SET lease_until = MAX(COALESCE(lease_until, 0), ?)
       WHERE id = ? AND status = 'running' AND lease_owner = ? AND lease_epoch = ?`,
    );
    this.stealRun = p(
      `UPDATE runs SET lease_owner = ?, lease_until = ?, lease_epoch = lease_epoch + 1
       WHERE id = ? AND lease_owner = ? RETURNING lease_epoch`,
    ).pluck();
    // Taking over a `running` run means its worker died (or hung) mid-run: that counts as an attempt.
    this.leaseRun = p(
      `UPDATE runs SET lease_owner = ?, lease_until = ?, status = 'running', lease_epoch = lease_epoch + 1,
         attempt = attempt + (CASE WHEN status = 'running' THEN 1 ELSE 0 END)
       WHERE id = ? RETURNING *`,
    );
    // A run with a step since `since` was updated since then, so `updated_at` narrows the runs before their
    // steps are read (by primary key). Binds: role, since, since.
    this.roleCostSince = p(
      `SELECT COALESCE(SUM(json_extract(s.data, '$.usage.costUsd')), 0) FROM runs r
       JOIN steps s ON s.run_id = r.id
       WHERE r.role = ? AND r.updated_at >= ? AND s.kind = 'model_turn' AND s.at >= ?`,
    ).pluck();
  }

  /**
   * The fenced run update for one set of patched fields (a bit mask over PATCH_FIELDS), optionally also
   * fenced by a lease. Binds: seq, updated_at, the patched values in PATCH_FIELDS order, id, expected seq,
   * and with `leased` the lease owner and epoch.
   */
  runUpdate(mask: number, leased = false): Statement {
    const key = leased ? -1 - mask : mask;
    let s = this.runUpdates.get(key);
    if (!s) {
      // A lease end moved on by the holder's own commit (no new owner in the batch) never goes back: a
      // renewal applied first may have moved it further (MAX is NULL when the new end is: a release).
      const newOwner = (mask & PATCH_BIT.leaseOwner!) !== 0;
      const sets = PATCH_FIELDS.filter((_, i) => mask & (1 << i)).map((f) =>
        f.column === 'lease_until' && !newOwner
          ? ', lease_until = MAX(COALESCE(lease_until, 0), ?)'
          : `, ${f.column} = ?`,
      );
      const lease = leased ? ' AND lease_owner = ? AND lease_epoch = ?' : '';
      s = this.db.prepare(
        `UPDATE runs SET seq = ?, updated_at = ?${sets.join('')} WHERE id = ? AND seq = ?${lease}`,
      );
      this.runUpdates.set(key, s);
    }
    return s;
  }

  /** A statement prepared once and cached by its text (for the less frequent queries). */
  sql(text: string): Statement {
    let s = this.adHoc.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.adHoc.set(text, s);
    }
    return s;
  }
}

/** Runs one of the shared statements (../sql/), prepared once per text. */
export const run = (s: Statements, q: Query) => s.sql(q.text).run(q.params);
export const all = (s: Statements, q: Query) => s.sql(q.text).all(q.params) as Row[];
export const get = (s: Statements, q: Query) => s.sql(q.text).get(q.params) as Row | undefined;
