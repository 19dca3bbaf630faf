// The Postgres store: the same contract as the embedded one, for many workers on many machines. Every
// commit is one transaction whose first statement is the fenced `UPDATE runs ... WHERE seq = $expected`:
// it takes the run's row lock, so a concurrent commit to the same run waits and then fails the fence.
import pg from 'pg';
import { NightshiftError } from '../../errors.js';
import { checkBatchShape } from '../batch-shape.js';
import type {
  ApprovalRecord,
  ApprovalStatus,
  AuditEvent,
  CommitBatch,
  EscalationRecord,
  EscalationStatus,
  RoleVersionRecord,
  RunFilter,
  RunPatch,
  RunRecord,
  RunSnapshot,
  Store,
} from '../types.js';
import { migrations } from './migrations.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema holding nightshift's tables (created if missing). Default `nightshift`. */
  schema?: string;
  /** Pool size. Default 10. */
  max?: number;
}

type Row = Record<string, unknown>;
type Client = pg.PoolClient;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const jsonb = (v: unknown): string => JSON.stringify(v === undefined ? null : v);
/** Postgres TEXT cannot hold NUL; in human-readable text it becomes U+FFFD (JSON columns keep it escaped). */
const txt = <T extends string | null>(v: T): T =>
  typeof v === 'string' && v.includes('\u0000') ? (v.replaceAll('\u0000', '\uFFFD') as T) : v;
const jsonbOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

// BIGINT (int8) arrives as a string by default; epoch milliseconds fit a double exactly.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

function toRun(r: Row): RunRecord {
  return {
    id: r.id as string,
    role: r.role as string,
    roleVersion: r.role_version as string,
    model: r.model as string,
    status: r.status as RunRecord['status'],
    input: r.input,
    output: r.output ?? null,
    error: (r.error as RunRecord['error']) ?? null,
    seq: r.seq as number,
    turns: r.turns as number,
    usage: r.usage as RunRecord['usage'],
    activeMs: num(r.active_ms)!,
    grant: r.grant_json as RunRecord['grant'],
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseUntil: num(r.lease_until),
    createdAt: num(r.created_at)!,
    updatedAt: num(r.updated_at)!,
    finishedAt: num(r.finished_at),
  };
}

function toApproval(r: Row): ApprovalRecord {
  return {
    id: r.id as string,
    runId: r.run_id as string,
    role: r.role as string,
    roleVersion: r.role_version as string,
    autonomy: r.autonomy as ApprovalRecord['autonomy'],
    status: r.status as ApprovalStatus,
    callKeys: r.call_keys as string[],
    changeSetHash: r.change_set_hash as string,
    calls: r.calls as ApprovalRecord['calls'],
    requestedAt: num(r.requested_at)!,
    decidedAt: num(r.decided_at),
    decidedBy: (r.decided_by as string | null) ?? null,
    note: (r.note as string | null) ?? null,
  };
}

function toEscalation(r: Row): EscalationRecord {
  return {
    id: r.id as string,
    runId: r.run_id as string,
    role: r.role as string,
    category: r.category as EscalationRecord['category'],
    reason: r.reason as string,
    missing: (r.missing as string | null) ?? null,
    source: r.source as EscalationRecord['source'],
    callKey: (r.call_key as string | null) ?? null,
    context: r.context as Record<string, unknown>,
    status: r.status as EscalationStatus,
    answer: (r.answer as string | null) ?? null,
    answeredBy: (r.answered_by as string | null) ?? null,
    answeredAt: num(r.answered_at),
    allowCall: r.allow_call === true,
    createdAt: num(r.created_at)!,
  };
}

const PATCH: Record<keyof RunPatch, { column: string; encode: (v: unknown) => unknown }> = {
  status: { column: 'status', encode: (v) => v },
  output: { column: 'output', encode: jsonbOrNull },
  error: { column: 'error', encode: jsonbOrNull },
  turns: { column: 'turns', encode: (v) => v },
  usage: { column: 'usage', encode: jsonb },
  activeMs: { column: 'active_ms', encode: (v) => v },
  grant: { column: 'grant_json', encode: jsonb },
  finishedAt: { column: 'finished_at', encode: (v) => v },
  leaseOwner: { column: 'lease_owner', encode: (v) => v },
  leaseUntil: { column: 'lease_until', encode: (v) => v },
};

function storeError(what: string, err: unknown): NightshiftError {
  if (err instanceof NightshiftError) return err;
  return new NightshiftError('STORE_ERROR', `Postgres store: ${what} failed: ${(err as Error).message}`, {
    cause: err,
  });
}

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly schema: string;
  private readonly pool: pg.Pool;

  constructor(options: PostgresStoreOptions) {
    this.schema = options.schema ?? 'nightshift';
    if (!/^[a-z_][a-z0-9_]*$/.test(this.schema))
      throw new NightshiftError('CONFIG_INVALID', `invalid Postgres schema name '${this.schema}'`);
    this.pool = new pg.Pool({ connectionString: options.connectionString, max: options.max ?? 10, types });
    // Every connection works in the nightshift schema; table names in queries stay unqualified.
    this.pool.on('connect', (client) => {
      client.query(`SET search_path TO ${this.schema}`).catch(() => {});
    });
  }

  private async tx<T>(what: string, fn: (c: Client) => Promise<T>): Promise<T> {
    let client: Client;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw storeError(what, err);
    }
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw storeError(what, err);
    } finally {
      client.release();
    }
  }

  private async q(what: string, sql: string, params: unknown[] = []): Promise<Row[]> {
    try {
      return (await this.pool.query(sql, params)).rows as Row[];
    } catch (err) {
      throw storeError(what, err);
    }
  }

  async init(): Promise<void> {
    await this.tx('migrating', async (c) => {
      // One migrator at a time across every worker and machine.
      await c.query(`SELECT pg_advisory_xact_lock(hashtext('nightshift.migrate.${this.schema}'))`);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await c.query(`SET LOCAL search_path TO ${this.schema}`);
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const done = new Set(
        (await c.query('SELECT version FROM schema_migrations')).rows.map((r: Row) => r.version as number),
      );
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          Date.now(),
        ]);
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async putRoleVersion(r: RoleVersionRecord): Promise<void> {
    await this.q(
      'saving a role version',
      'INSERT INTO role_versions (name, version, spec, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [r.name, r.version, jsonb(r.spec), r.createdAt],
    );
  }

  async getRoleVersion(name: string, version: string): Promise<RoleVersionRecord | undefined> {
    const [r] = await this.q(
      'reading a role version',
      'SELECT * FROM role_versions WHERE name = $1 AND version = $2',
      [name, version],
    );
    return r
      ? {
          name: r.name as string,
          version: r.version as string,
          spec: r.spec as Record<string, unknown>,
          createdAt: num(r.created_at)!,
        }
      : undefined;
  }

  async createRun(
    run: RunRecord,
    init: Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'>,
  ): Promise<{ run: RunRecord; created: boolean }> {
    checkBatchShape(run.id, 0, { ...init, runId: run.id });
    return this.tx('creating a run', async (c) => {
      const inserted = await c.query(
        `INSERT INTO runs (id, role, role_version, model, status, input, output, error, seq, turns, usage, active_ms, grant_json,
           idempotency_key, lease_owner, lease_until, created_at, updated_at, finished_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
        [
          run.id,
          run.role,
          run.roleVersion,
          run.model,
          run.status,
          jsonb(run.input),
          jsonbOrNull(run.output),
          jsonbOrNull(run.error),
          run.seq,
          run.turns,
          jsonb(run.usage),
          run.activeMs,
          jsonb(run.grant),
          run.idempotencyKey,
          run.leaseOwner,
          run.leaseUntil,
          run.createdAt,
          run.updatedAt,
          run.finishedAt,
        ],
      );
      if (inserted.rowCount === 0) {
        const existing = await c.query('SELECT * FROM runs WHERE idempotency_key = $1', [run.idempotencyKey]);
        return { run: toRun(existing.rows[0] as Row), created: false };
      }
      if (init.steps.some((s, i) => s.seq !== i + 1 || s.runId !== run.id) || init.steps.length !== run.seq) {
        throw new NightshiftError(
          'INTERNAL',
          `createRun: steps must be numbered 1..${run.seq} for run ${run.id}`,
        );
      }
      await this.writeRecords(c, { ...init, runId: run.id, expectSeq: 0 });
      return { run, created: true };
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const [r] = await this.q('reading a run', 'SELECT * FROM runs WHERE id = $1', [id]);
    return r ? toRun(r) : undefined;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.role) {
      params.push(filter.role);
      where.push(`role = $${params.length}`);
    }
    if (filter.status && filter.status.length > 0) {
      params.push(filter.status);
      where.push(`status = ANY($${params.length})`);
    }
    params.push(filter.limit ?? 100);
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`;
    return (await this.q('listing runs', sql, params)).map(toRun);
  }

  async loadRun(id: string): Promise<RunSnapshot | undefined> {
    // REPEATABLE READ: the run and its records come from one snapshot.
    return this.tx('loading a run', async (c) => {
      await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const run = (await c.query('SELECT * FROM runs WHERE id = $1', [id])).rows[0] as Row | undefined;
      if (!run) return undefined;
      const steps = (await c.query('SELECT * FROM steps WHERE run_id = $1 ORDER BY seq', [id])).rows as Row[];
      const calls = (await c.query('SELECT * FROM tool_calls WHERE run_id = $1 ORDER BY step, idx', [id]))
        .rows as Row[];
      const approvals = (
        await c.query('SELECT * FROM approvals WHERE run_id = $1 ORDER BY requested_at, id', [id])
      ).rows as Row[];
      const escalations = (
        await c.query('SELECT * FROM escalations WHERE run_id = $1 ORDER BY created_at, id', [id])
      ).rows as Row[];
      return {
        run: toRun(run),
        steps: steps.map((s) => ({
          runId: s.run_id as string,
          seq: s.seq as number,
          kind: s.kind as never,
          at: num(s.at)!,
          data: s.data as Record<string, unknown>,
        })),
        toolCalls: calls.map((t) => ({
          key: t.key as string,
          runId: t.run_id as string,
          step: t.step as number,
          index: t.idx as number,
          callId: t.call_id as string,
          tool: t.tool as string,
          args: t.args,
          argsHash: t.args_hash as string,
          decision: t.decision as never,
          reason: t.reason as string,
          status: t.status as never,
          result: t.result ?? null,
          isError: t.is_error === true,
          approvalId: (t.approval_id as string | null) ?? null,
          escalationId: (t.escalation_id as string | null) ?? null,
          startedAt: num(t.started_at),
          finishedAt: num(t.finished_at),
        })),
        approvals: approvals.map(toApproval),
        escalations: escalations.map(toEscalation),
      };
    });
  }

  async commit(batch: CommitBatch): Promise<void> {
    // A malformed batch is a caller's bug, refused loudly before any write.
    checkBatchShape(batch.runId, batch.expectSeq, batch);
    await this.tx('committing a step', async (c) => {
      const patch = (batch.run ?? {}) as Record<string, unknown>;
      const keys = Object.keys(patch).filter((k) => patch[k] !== undefined) as (keyof RunPatch)[];
      const params: unknown[] = [batch.expectSeq + batch.steps.length, batch.at];
      const sets = keys.map((k) => {
        params.push(PATCH[k].encode(patch[k]));
        return `${PATCH[k].column} = $${params.length}`;
      });
      params.push(batch.runId, batch.expectSeq);
      const res = await c.query(
        `UPDATE runs SET seq = $1, updated_at = $2${sets.map((s) => `, ${s}`).join('')} WHERE id = $${params.length - 1} AND seq = $${params.length}`,
        params,
      );
      if (res.rowCount !== 1) {
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
      await this.writeRecords(c, batch);
    });
  }

  private async writeRecords(c: Client, batch: Omit<CommitBatch, 'run'>): Promise<void> {
    if (batch.steps.length > 0) {
      const params: unknown[] = [];
      const values = batch.steps.map((s) => {
        params.push(s.runId, s.seq, s.kind, s.at, jsonb(s.data));
        const n = params.length;
        return `($${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
      });
      await c.query(`INSERT INTO steps (run_id, seq, kind, at, data) VALUES ${values.join(', ')}`, params);
    }
    for (const t of batch.toolCalls ?? []) {
      await c.query(
        `INSERT INTO tool_calls (key, run_id, step, idx, call_id, tool, args, args_hash, decision, reason, status, result, is_error, approval_id, escalation_id, started_at, finished_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)
         ON CONFLICT (run_id, step, idx) DO UPDATE SET key = excluded.key, call_id = excluded.call_id, tool = excluded.tool,
           args = excluded.args, args_hash = excluded.args_hash, decision = excluded.decision, reason = excluded.reason, status = excluded.status,
           result = excluded.result, is_error = excluded.is_error, approval_id = excluded.approval_id, escalation_id = excluded.escalation_id,
           started_at = excluded.started_at, finished_at = excluded.finished_at`,
        [
          t.key,
          t.runId,
          t.step,
          t.index,
          t.callId,
          t.tool,
          jsonb(t.args),
          t.argsHash,
          t.decision,
          txt(t.reason),
          t.status,
          jsonb(t.result),
          t.isError,
          t.approvalId,
          t.escalationId,
          t.startedAt,
          t.finishedAt,
        ],
      );
    }
    for (const { record: a, expectStatus } of batch.approvals ?? []) {
      if (expectStatus === undefined) {
        await c.query(
          `INSERT INTO approvals (id, run_id, role, role_version, autonomy, status, call_keys, change_set_hash, calls, requested_at, decided_at, decided_by, note)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
           ON CONFLICT (id) DO UPDATE SET role = excluded.role, role_version = excluded.role_version, autonomy = excluded.autonomy,
             status = excluded.status, call_keys = excluded.call_keys, change_set_hash = excluded.change_set_hash, calls = excluded.calls,
             requested_at = excluded.requested_at, decided_at = excluded.decided_at, decided_by = excluded.decided_by, note = excluded.note`,
          [
            a.id,
            a.runId,
            a.role,
            a.roleVersion,
            a.autonomy,
            a.status,
            jsonb(a.callKeys),
            a.changeSetHash,
            jsonb(a.calls),
            a.requestedAt,
            a.decidedAt,
            txt(a.decidedBy),
            txt(a.note),
          ],
        );
      } else {
        const r = await c.query(
          'UPDATE approvals SET status = $1, decided_at = $2, decided_by = $3, note = $4 WHERE id = $5 AND status = $6',
          [a.status, a.decidedAt, txt(a.decidedBy), txt(a.note), a.id, expectStatus],
        );
        if (r.rowCount !== 1)
          throw new NightshiftError(
            'APPROVAL_NOT_PENDING',
            `approval ${a.id} is not ${expectStatus} any more`,
          );
      }
    }
    for (const { record: e, expectStatus } of batch.escalations ?? []) {
      if (expectStatus === undefined) {
        await c.query(
          `INSERT INTO escalations (id, run_id, role, category, reason, missing, source, call_key, context, status, answer, answered_by, answered_at, allow_call, created_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)
           ON CONFLICT (id) DO UPDATE SET role = excluded.role, category = excluded.category, reason = excluded.reason,
             missing = excluded.missing, source = excluded.source, call_key = excluded.call_key, context = excluded.context,
             status = excluded.status, answer = excluded.answer, answered_by = excluded.answered_by,
             answered_at = excluded.answered_at, allow_call = excluded.allow_call, created_at = excluded.created_at`,
          [
            e.id,
            e.runId,
            e.role,
            e.category,
            txt(e.reason),
            txt(e.missing),
            e.source,
            e.callKey,
            jsonb(e.context),
            e.status,
            txt(e.answer),
            txt(e.answeredBy),
            e.answeredAt,
            e.allowCall,
            e.createdAt,
          ],
        );
      } else {
        const r = await c.query(
          'UPDATE escalations SET status = $1, answer = $2, answered_by = $3, answered_at = $4, allow_call = $5 WHERE id = $6 AND status = $7',
          [e.status, txt(e.answer), txt(e.answeredBy), e.answeredAt, e.allowCall, e.id, expectStatus],
        );
        if (r.rowCount !== 1)
          throw new NightshiftError(
            'ESCALATION_NOT_PENDING',
            `escalation ${e.id} is not ${expectStatus} any more`,
          );
      }
    }
    for (const a of batch.audit ?? []) {
      await c.query(
        'INSERT INTO audit_events (at, actor, action, run_id, target, data) VALUES ($1, $2, $3, $4, $5, $6)',
        [a.at, a.actor, a.action, a.runId, a.target, jsonb(a.data)],
      );
    }
  }

  async claimRun(runId: string, owner: string, until: number, now: number): Promise<boolean> {
    const rows = await this.q(
      'claiming a run',
      'UPDATE runs SET lease_owner = $1, lease_until = $2 WHERE id = $3 AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until IS NULL OR lease_until < $4) RETURNING id',
      [owner, until, runId, now],
    );
    return rows.length === 1;
  }

  async stealRun(runId: string, previousOwner: string, owner: string, until: number): Promise<boolean> {
    const rows = await this.q(
      'taking over a run',
      'UPDATE runs SET lease_owner = $1, lease_until = $2 WHERE id = $3 AND lease_owner = $4 RETURNING id',
      [owner, until, runId, previousOwner],
    );
    return rows.length === 1;
  }

  async releaseRun(runId: string, owner: string): Promise<void> {
    await this.q(
      'releasing a run',
      'UPDATE runs SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2',
      [runId, owner],
    );
  }

  async claimNextRun(
    owner: string,
    until: number,
    now: number,
    roles: readonly string[],
  ): Promise<RunRecord | undefined> {
    if (roles.length === 0) return undefined;
    // SKIP LOCKED: concurrent workers each take a different run instead of queueing on the same row.
    const rows = await this.q(
      'claiming queued work',
      `UPDATE runs SET lease_owner = $1, lease_until = $2 WHERE id = (
         SELECT id FROM runs WHERE role = ANY($3) AND status IN ('queued', 'running') AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < $4)
         ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [owner, until, [...roles], now],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async rememberSignature(signature: string, at: number, forgetBefore: number): Promise<boolean> {
    return this.tx('remembering a webhook signature', async (c) => {
      await c.query('DELETE FROM webhook_signatures WHERE at < $1', [forgetBefore]);
      const r = await c.query(
        'INSERT INTO webhook_signatures (signature, at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [signature, at],
      );
      return r.rowCount === 1;
    });
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    const [r] = await this.q('reading an approval', 'SELECT * FROM approvals WHERE id = $1', [id]);
    return r ? toApproval(r) : undefined;
  }

  async listApprovals(filter: { status?: ApprovalStatus; runId?: string } = {}): Promise<ApprovalRecord[]> {
    return (
      await this.q(
        'listing approvals',
        'SELECT * FROM approvals WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR run_id = $2) ORDER BY requested_at, id',
        [filter.status ?? null, filter.runId ?? null],
      )
    ).map(toApproval);
  }

  async getEscalation(id: string): Promise<EscalationRecord | undefined> {
    const [r] = await this.q('reading an escalation', 'SELECT * FROM escalations WHERE id = $1', [id]);
    return r ? toEscalation(r) : undefined;
  }

  async listEscalations(
    filter: { status?: EscalationStatus; runId?: string } = {},
  ): Promise<EscalationRecord[]> {
    return (
      await this.q(
        'listing escalations',
        'SELECT * FROM escalations WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR run_id = $2) ORDER BY created_at, id',
        [filter.status ?? null, filter.runId ?? null],
      )
    ).map(toEscalation);
  }

  async listAudit(filter: { runId?: string; limit?: number } = {}): Promise<AuditEvent[]> {
    const rows = await this.q(
      'listing audit events',
      'SELECT * FROM audit_events WHERE ($1::text IS NULL OR run_id = $1) ORDER BY id LIMIT $2',
      [filter.runId ?? null, filter.limit ?? 1000],
    );
    return rows.map((r) => ({
      id: num(r.id)!,
      at: num(r.at)!,
      actor: r.actor as string,
      action: r.action as string,
      runId: (r.run_id as string | null) ?? null,
      target: (r.target as string | null) ?? null,
      data: r.data as Record<string, unknown>,
    }));
  }

  async roleCostSince(role: string, since: number): Promise<number> {
    // A run with a step since `since` was updated since then: `updated_at` narrows the runs first.
    const [r] = await this.q(
      `summing the model cost of role ${role}`,
      `SELECT COALESCE(SUM((s.data->'usage'->>'costUsd')::float8), 0) AS cost FROM runs r
       JOIN steps s ON s.run_id = r.id
       WHERE r.role = $1 AND r.updated_at >= $2 AND s.kind = 'model_turn' AND s.at >= $2`,
      [role, since],
    );
    return Number(r?.cost ?? 0);
  }
}

export function openPostgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}
