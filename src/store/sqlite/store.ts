// The embedded store: one SQLite file (WAL, synchronous=NORMAL) through better-sqlite3. Every commit is one
// synchronous transaction, so concurrent runs in one process never interleave inside a batch; several
// processes on one file are serialised by SQLite's write lock (busy_timeout) and fenced by `seq`.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { NightshiftError } from '../../errors.js';
import type {
  ApprovalRecord,
  ApprovalStatus,
  AuditEvent,
  CommitBatch,
  EscalationRecord,
  EscalationStatus,
  RoleVersionRecord,
  RunFilter,
  RunRecord,
  RunSnapshot,
  Store,
} from '../types.js';
import { migrations } from './migrations.js';
import {
  approvalToRow,
  encode,
  escalationToRow,
  PATCH_COLUMNS,
  type Row,
  rowToApproval,
  rowToAudit,
  rowToEscalation,
  rowToRoleVersion,
  rowToRun,
  rowToStep,
  rowToToolCall,
  runToRow,
  toolCallValues,
} from './rows.js';

export interface SqliteStoreOptions {
  /** Folder for `nightshift.db` (created if missing). */
  dataDir?: string;
  /** Exact database file path (wins over dataDir). */
  path?: string;
}

type Statement = Database.Statement;

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NightshiftError) throw err;
    throw new NightshiftError('STORE_ERROR', `SQLite store: ${what} failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly path: string;
  readonly db: Database.Database;
  private readonly stmts = new Map<string, Statement>();
  private readonly patchStmts = new Map<string, Statement>();
  private initialised = false;
  private readonly groupTx: (fn: () => void) => void;

  constructor(options: SqliteStoreOptions) {
    this.path = options.path ?? join(options.dataDir ?? '.nightshift', 'nightshift.db');
    mkdirSync(dirname(this.path), { recursive: true });
    this.db = wrap(`opening ${this.path}`, () => new Database(this.path));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    // Fewer, larger checkpoints: each checkpoint fsyncs, commits in between do not (WAL + NORMAL).
    this.db.pragma('wal_autocheckpoint = 10000');
    // One wrapper each, made once: called inside another transaction, better-sqlite3 uses a SAVEPOINT.
    const tx = this.db.transaction((fn: () => unknown) => fn());
    this.groupTx = (fn) => tx(fn);
    this.savepoint = (fn) => tx(fn);
    this.readTx = <T>(fn: () => T): T => tx(fn) as T;
  }

  // Group commit: writes issued while a flush is pending share one SQLite transaction, each inside its own
  // savepoint, so one batch failing its checks rolls back only itself. A caller's promise settles only
  // after the shared COMMIT, so "persisted before the next step" holds for every batch.
  private queue: {
    what: string;
    work: () => unknown;
    resolve: (v: unknown) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private flushScheduled = false;
  private savepoint!: (fn: () => unknown) => unknown;
  private readTx!: <T>(fn: () => T) => T;

  private enqueue<T>(what: string, work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ what, work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const items = this.queue;
    this.queue = [];
    if (items.length === 0) return;
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      this.groupTx(() => {
        for (const item of items) {
          try {
            results.push({ ok: true, value: items.length === 1 ? item.work() : this.savepoint(item.work) });
          } catch (err) {
            if (items.length === 1) throw err;
            results.push({ ok: false, value: err });
          }
        }
      });
    } catch (err) {
      const e =
        err instanceof NightshiftError
          ? err
          : new NightshiftError(
              'STORE_ERROR',
              `SQLite store: ${items[0]!.what} failed: ${(err as Error).message}`,
              { cause: err },
            );
      for (const item of items) item.reject(e);
      return;
    }
    items.forEach((item, i) => {
      const r = results[i]!;
      if (r.ok) item.resolve(r.value);
      else {
        const err = r.value;
        item.reject(
          err instanceof NightshiftError
            ? err
            : new NightshiftError(
                'STORE_ERROR',
                `SQLite store: ${item.what} failed: ${(err as Error).message}`,
                { cause: err },
              ),
        );
      }
    });
  }

  private stmt(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  async init(): Promise<void> {
    if (this.initialised) return;
    wrap('migrating', () => {
      // IMMEDIATE takes the write lock first, so two processes starting at once migrate one after the other.
      this.db.exec('BEGIN IMMEDIATE');
      try {
        this.db.exec(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
        );
        const done = new Set(
          (this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
            (r) => r.version,
          ),
        );
        for (const m of migrations) {
          if (done.has(m.version)) continue;
          this.db.exec(m.sql);
          this.db
            .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
            .run(m.version, m.name, Date.now());
        }
        this.db.exec('COMMIT');
      } catch (err) {
        this.db.exec('ROLLBACK');
        throw err;
      }
    });
    this.initialised = true;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // ── roles ──

  async putRoleVersion(r: RoleVersionRecord): Promise<void> {
    wrap('saving a role version', () =>
      this.stmt(
        'INSERT INTO role_versions (name, version, spec, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name, version) DO NOTHING',
      ).run(r.name, r.version, encode.json(r.spec), r.createdAt),
    );
  }

  async getRoleVersion(name: string, version: string): Promise<RoleVersionRecord | undefined> {
    const row = this.stmt('SELECT * FROM role_versions WHERE name = ? AND version = ?').get(name, version) as
      | Row
      | undefined;
    return row ? rowToRoleVersion(row) : undefined;
  }

  // ── runs ──

  async createRun(
    run: RunRecord,
    init: Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'>,
  ): Promise<{ run: RunRecord; created: boolean }> {
    return this.enqueue('creating a run', () => {
      if (run.idempotencyKey !== null) {
        const existing = this.stmt('SELECT * FROM runs WHERE idempotency_key = ?').get(run.idempotencyKey) as
          | Row
          | undefined;
        if (existing) return { run: rowToRun(existing), created: false };
      }
      const row = runToRow(run);
      this.stmt(
        `INSERT INTO runs (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row)
          .map((k) => `@${k}`)
          .join(', ')})`,
      ).run(row);
      if (init.steps.some((s, i) => s.seq !== i + 1 || s.runId !== run.id)) {
        throw new NightshiftError('INTERNAL', `createRun: steps must be numbered 1..n for run ${run.id}`);
      }
      if (init.steps.length !== run.seq) {
        throw new NightshiftError(
          'INTERNAL',
          `createRun: run.seq ${run.seq} does not match ${init.steps.length} steps`,
        );
      }
      this.writeRecords({ ...init, runId: run.id, expectSeq: 0 });
      return { run, created: true };
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = this.stmt('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    return row ? rowToRun(row) : undefined;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.role) {
      where.push('role = ?');
      params.push(filter.role);
    }
    if (filter.status && filter.status.length > 0) {
      where.push(`status IN (${filter.status.map(() => '?').join(', ')})`);
      params.push(...filter.status);
    }
    params.push(filter.limit ?? 100);
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return (this.stmt(sql).all(...params) as Row[]).map(rowToRun);
  }

  async loadRun(id: string): Promise<RunSnapshot | undefined> {
    return wrap('loading a run', () =>
      this.readTx(() => {
        const row = this.stmt('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
        if (!row) return undefined;
        return {
          run: rowToRun(row),
          steps: (this.stmt('SELECT * FROM steps WHERE run_id = ? ORDER BY seq').all(id) as Row[]).map(
            rowToStep,
          ),
          toolCalls: (
            this.stmt('SELECT * FROM tool_calls WHERE run_id = ? ORDER BY step, idx').all(id) as Row[]
          ).map(rowToToolCall),
          approvals: (
            this.stmt('SELECT * FROM approvals WHERE run_id = ? ORDER BY requested_at, id').all(id) as Row[]
          ).map(rowToApproval),
          escalations: (
            this.stmt('SELECT * FROM escalations WHERE run_id = ? ORDER BY created_at, id').all(id) as Row[]
          ).map(rowToEscalation),
        };
      }),
    );
  }

  async commit(batch: CommitBatch): Promise<void> {
    return this.enqueue('committing a step', () => {
      const patch = batch.run ?? {};
      const keys = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined);
      const sig = keys.join(',');
      let update = this.patchStmts.get(sig);
      if (!update) {
        const sets = keys.map((k) => {
          const col = PATCH_COLUMNS[k];
          if (!col) throw new NightshiftError('INTERNAL', `unknown run patch field ${k}`);
          return `${col.column} = ?`;
        });
        update = this.db.prepare(
          `UPDATE runs SET seq = ?, updated_at = ?${sets.map((s) => `, ${s}`).join('')} WHERE id = ? AND seq = ?`,
        );
        this.patchStmts.set(sig, update);
      }
      const values = keys.map((k) => PATCH_COLUMNS[k]!.encode((patch as Record<string, unknown>)[k]));
      const changed = update.run(
        batch.expectSeq + batch.steps.length,
        batch.at,
        ...values,
        batch.runId,
        batch.expectSeq,
      ).changes;
      if (changed !== 1) {
        throw new NightshiftError(
          'STORE_CONFLICT',
          `run ${batch.runId} is not at step ${batch.expectSeq} (another worker advanced it, or it does not exist)`,
        );
      }
      batch.steps.forEach((s, i) => {
        if (s.seq !== batch.expectSeq + i + 1 || s.runId !== batch.runId) {
          throw new NightshiftError(
            'STORE_CONFLICT',
            `step ${s.seq} of run ${s.runId} does not continue run ${batch.runId} at ${batch.expectSeq}`,
          );
        }
      });
      this.writeRecords(batch);
    });
  }

  private writeRecords(batch: Omit<CommitBatch, 'run'>): void {
    const insertStep = this.stmt('INSERT INTO steps (run_id, seq, kind, at, data) VALUES (?, ?, ?, ?, ?)');
    for (const s of batch.steps) insertStep.run(s.runId, s.seq, s.kind, s.at, encode.json(s.data));
    if (batch.toolCalls?.length) {
      // Positional parameters: binding 17 named ones costs more than the rest of the statement.
      const upsert = this.stmt(
        `INSERT INTO tool_calls (key, run_id, step, idx, call_id, tool, args, args_hash, decision, reason, status, result, is_error, approval_id, escalation_id, started_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, step, idx) DO UPDATE SET decision = excluded.decision, reason = excluded.reason, status = excluded.status, result = excluded.result,
           is_error = excluded.is_error, approval_id = excluded.approval_id, escalation_id = excluded.escalation_id,
           started_at = excluded.started_at, finished_at = excluded.finished_at`,
      );
      for (const c of batch.toolCalls) upsert.run(toolCallValues(c));
    }
    for (const { record, expectStatus } of batch.approvals ?? []) this.writeApproval(record, expectStatus);
    for (const { record, expectStatus } of batch.escalations ?? [])
      this.writeEscalation(record, expectStatus);
    if (batch.audit?.length) {
      const ins = this.stmt(
        'INSERT INTO audit_events (at, actor, action, run_id, target, data) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (const a of batch.audit) ins.run(a.at, a.actor, a.action, a.runId, a.target, encode.json(a.data));
    }
  }

  private writeApproval(record: ApprovalRecord, expectStatus?: ApprovalStatus): void {
    const row = approvalToRow(record);
    if (expectStatus === undefined) {
      this.stmt(
        `INSERT INTO approvals (id, run_id, role, role_version, autonomy, status, call_keys, change_set_hash, calls, requested_at, decided_at, decided_by, note)
         VALUES (@id, @run_id, @role, @role_version, @autonomy, @status, @call_keys, @change_set_hash, @calls, @requested_at, @decided_at, @decided_by, @note)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, decided_at = excluded.decided_at, decided_by = excluded.decided_by, note = excluded.note`,
      ).run(row);
      return;
    }
    const changed = this.stmt(
      'UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, note = ? WHERE id = ? AND status = ?',
    ).run(row.status, row.decided_at, row.decided_by, row.note, row.id, expectStatus).changes;
    if (changed !== 1)
      throw new NightshiftError(
        'APPROVAL_NOT_PENDING',
        `approval ${record.id} is not ${expectStatus} any more`,
      );
  }

  private writeEscalation(record: EscalationRecord, expectStatus?: EscalationStatus): void {
    const row = escalationToRow(record);
    if (expectStatus === undefined) {
      this.stmt(
        `INSERT INTO escalations (id, run_id, role, category, reason, missing, source, call_key, context, status, answer, answered_by, answered_at, allow_call, created_at)
         VALUES (@id, @run_id, @role, @category, @reason, @missing, @source, @call_key, @context, @status, @answer, @answered_by, @answered_at, @allow_call, @created_at)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, answer = excluded.answer, answered_by = excluded.answered_by,
           answered_at = excluded.answered_at, allow_call = excluded.allow_call`,
      ).run(row);
      return;
    }
    const changed = this.stmt(
      'UPDATE escalations SET status = ?, answer = ?, answered_by = ?, answered_at = ?, allow_call = ? WHERE id = ? AND status = ?',
    ).run(
      row.status,
      row.answer,
      row.answered_by,
      row.answered_at,
      row.allow_call,
      row.id,
      expectStatus,
    ).changes;
    if (changed !== 1)
      throw new NightshiftError(
        'ESCALATION_NOT_PENDING',
        `escalation ${record.id} is not ${expectStatus} any more`,
      );
  }

  // ── leases ──

  async claimRun(runId: string, owner: string, until: number, now: number): Promise<boolean> {
    const changed = wrap(
      'claiming a run',
      () =>
        this.stmt(
          'UPDATE runs SET lease_owner = ?, lease_until = ? WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until IS NULL OR lease_until < ?)',
        ).run(owner, until, runId, owner, now).changes,
    );
    return changed === 1;
  }

  async stealRun(runId: string, previousOwner: string, owner: string, until: number): Promise<boolean> {
    const changed = wrap(
      'taking over a run',
      () =>
        this.stmt('UPDATE runs SET lease_owner = ?, lease_until = ? WHERE id = ? AND lease_owner = ?').run(
          owner,
          until,
          runId,
          previousOwner,
        ).changes,
    );
    return changed === 1;
  }

  async releaseRun(runId: string, owner: string): Promise<void> {
    wrap('releasing a run', () =>
      this.stmt(
        'UPDATE runs SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?',
      ).run(runId, owner),
    );
  }

  // ── approvals, escalations, audit ──

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    const row = this.stmt('SELECT * FROM approvals WHERE id = ?').get(id) as Row | undefined;
    return row ? rowToApproval(row) : undefined;
  }

  async listApprovals(filter: { status?: ApprovalStatus; runId?: string } = {}): Promise<ApprovalRecord[]> {
    const sql = `SELECT * FROM approvals WHERE (? IS NULL OR status = ?) AND (? IS NULL OR run_id = ?) ORDER BY requested_at, id`;
    const s = filter.status ?? null;
    const r = filter.runId ?? null;
    return (this.stmt(sql).all(s, s, r, r) as Row[]).map(rowToApproval);
  }

  async getEscalation(id: string): Promise<EscalationRecord | undefined> {
    const row = this.stmt('SELECT * FROM escalations WHERE id = ?').get(id) as Row | undefined;
    return row ? rowToEscalation(row) : undefined;
  }

  async listEscalations(
    filter: { status?: EscalationStatus; runId?: string } = {},
  ): Promise<EscalationRecord[]> {
    const sql = `SELECT * FROM escalations WHERE (? IS NULL OR status = ?) AND (? IS NULL OR run_id = ?) ORDER BY created_at, id`;
    const s = filter.status ?? null;
    const r = filter.runId ?? null;
    return (this.stmt(sql).all(s, s, r, r) as Row[]).map(rowToEscalation);
  }

  async listAudit(filter: { runId?: string; limit?: number } = {}): Promise<AuditEvent[]> {
    const r = filter.runId ?? null;
    return (
      this.stmt('SELECT * FROM audit_events WHERE (? IS NULL OR run_id = ?) ORDER BY id LIMIT ?').all(
        r,
        r,
        filter.limit ?? 1000,
      ) as Row[]
    ).map(rowToAudit);
  }
}

export function openSqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(options);
}
