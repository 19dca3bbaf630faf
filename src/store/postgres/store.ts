// The Postgres store: the same contract as the embedded one, for many workers on many machines. Every
// commit is one transaction whose first statement is the fenced `UPDATE runs ... WHERE seq = $expected`:
// it takes the run's row lock, so a concurrent commit to the same run waits and then fails the fence.
import pg from 'pg';
import { NightshiftError } from '../../errors.js';
import { type AgentState, agentFromColumns, agentState, leaseAgent, newAgentState } from '../agent-state.js';
import { checkBatchShape } from '../batch-shape.js';
import { capacities, openRoles, pick } from '../claim-pick.js';
import { countsOf } from '../counts.js';
import type {
  AgentRecord,
  ApprovalRecord,
  ApprovalStatus,
  AuditEvent,
  CommitBatch,
  EscalationRecord,
  EscalationStatus,
  InboxItem,
  RoleVersionRecord,
  RunFilter,
  RunLease,
  RunPatch,
  RunRecord,
  RunSnapshot,
  RunStatus,
  Store,
  StoreHealth,
  SubscriptionRecord,
} from '../types.js';
import { CommitGroups } from './commit-groups.js';
import {
  GROUP_COMMIT_SQL,
  groupCommitParams,
  insertAudit,
  insertSteps,
  insertToolCalls,
  PATCH_COLUMNS,
  recordRows,
} from './commit-statement.js';
import { ConnectionHealth, isConnectionFailure } from './connection-health.js';
import { jsonb, jsonbOrNull, txt } from './encode.js';
import { migrations } from './migrations.js';
import { isStalePlan, preparedQuery, renamePreparedStatements } from './prepared.js';
import { WakeOthers } from './wake-others.js';
import { WorkListener } from './work-listener.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema holding nightshift's tables (created if missing). Default `nightshift`. */
  schema?: string;
  /** Pool size. Default 10. */
  max?: number;
  /**
   * How long a query may wait for its answer before the connection counts as lost (a stalled network
   * sends no error). Default 30 s; a `query_timeout` parameter on the URL wins.
   */
  queryTimeoutMs?: number;
  /** How long opening a connection may take. Default 10 s. */
  connectTimeoutMs?: number;
}

type Row = Record<string, unknown>;
type Client = pg.PoolClient;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

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
    attempt: r.attempt as number,
    notBefore: num(r.not_before),
    leaseEpoch: (r.lease_epoch as number | null) ?? 0,
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

/**
 * Whether Postgres itself refused a statement (an SQLSTATE error, so it rolled back): not a lost
 * connection (class 08) or a server going away (57P0x), after which a commit may have happened.
 */
function refusedByPostgres(err: unknown): boolean {
  const code = ((err as { cause?: { code?: unknown } }).cause ?? err) as { code?: unknown };
  const state = code.code;
  // SQLSTATEs of refused statements start with a digit (22 data, 23 constraint, 40 rollback, 42 ...);
  // Node's socket errors (EPIPE, ECONNRESET) do not.
  return typeof state === 'string' && /^[0-9][0-9A-Z]{4}$/.test(state) && !/^(08|57P)/.test(state);
}

function storeError(what: string, err: unknown): NightshiftError {
  if (NightshiftError.isInstance(err)) return err;
  // A lost connection is an outage, not a faulty write: callers wait and try again (see store/outage.ts).
  const lost = isConnectionFailure(err);
  return new NightshiftError(
    'STORE_ERROR',
    `Postgres store: ${what} failed: ${(err as Error).message}${lost ? ' (the database could not be reached; the worker retries once it can)' : ''}`,
    { cause: err, ...(lost ? { details: { connectionLost: true } } : {}) },
  );
}

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly schema: string;
  private readonly pool: pg.Pool;

  /** Connection settings shared by the pool and the LISTEN connection. */
  private readonly connection: pg.ClientConfig;
  /** Reachability: an outage is logged once and makes `/readyz` answer 503 until it ends. */
  private readonly reachable = new ConnectionHealth();
  private readonly wake = new WakeOthers(async () => {
    await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, '']);
  });
  /** Group commit of the engine's commits (`groups.stats` counts statements and batches). */
  readonly groups = new CommitGroups({
    send: async (batches) => {
      const rows = await this.q('committing steps', GROUP_COMMIT_SQL, groupCommitParams(batches));
      return new Set(rows.map((r) => r.id as string));
    },
    conflict: seqConflict,
    refused: refusedByPostgres,
  });

  constructor(options: PostgresStoreOptions) {
    this.schema = options.schema ?? 'nightshift';
    if (!/^[a-z_][a-z0-9_]*$/.test(this.schema))
      throw new NightshiftError('CONFIG_INVALID', `invalid Postgres schema name '${this.schema}'`);
    // Every connection works in the nightshift schema (set at connection start, no extra round trip);
    // table names in queries stay unqualified.
    this.connection = {
      connectionString: options.connectionString,
      types,
      options: `-c search_path=${this.schema}`,
      // A cut connection errors at once, a stalled one never does: without these a worker would wait on
      // it forever. Keepalive probes find a peer that vanished while the connection sat idle.
      query_timeout: options.queryTimeoutMs ?? 30_000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    };
    this.pool = new pg.Pool({ ...this.connection, max: options.max ?? 10 });
    // An idle pooled connection that breaks (the database restarted, the network cut it) is an 'error'
    // event on the pool; unheard, Node would end the process. The pool has already dropped the
    // connection and opens a new one on the next query, so this only marks the outage.
    this.pool.on('error', (err) => {
      this.reachable.failed(err);
    });
  }

  health(): StoreHealth {
    return this.reachable.current();
  }

  watchHealth(listener: (health: StoreHealth, detail: Record<string, unknown>) => void): () => void {
    return this.reachable.watch(listener);
  }

  private async tx<T>(what: string, fn: (c: Client) => Promise<T>): Promise<T> {
    let client: Client;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.reachable.failed(err);
      throw storeError(what, err);
    }
    // A checked-out connection that breaks between two queries emits 'error' with no pool listener on
    // it; unheard, that would end the process. The next query on it fails and reports the loss.
    let broken: unknown;
    const onError = (err: unknown) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      this.reachable.succeeded();
      client.removeListener('error', onError);
      client.release();
      return out;
    } catch (err) {
      const lost = this.reachable.failed(err) || broken !== undefined;
      if (!lost) await client.query('ROLLBACK').catch(() => {});
      client.removeListener('error', onError);
      // A connection that broke (or timed out mid-statement) is dropped from the pool, not reused.
      client.release(lost ? (err as Error) : undefined);
      throw storeError(what, err);
    }
  }

  private async q(what: string, sql: string, params: unknown[] = []): Promise<Row[]> {
    try {
      const rows = (await this.pool.query(preparedQuery(sql, params))).rows as Row[];
      this.reachable.succeeded();
      return rows;
    } catch (err) {
      if (isStalePlan(err)) {
        renamePreparedStatements();
        try {
          return (await this.pool.query(preparedQuery(sql, params))).rows as Row[];
        } catch (again) {
          this.reachable.failed(again);
          throw storeError(what, again);
        }
      }
      this.reachable.failed(err);
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
    // Commits already handed to the store are written (or fail) before the pool goes.
    await this.groups.drain();
    this.wake.release();
    await this.wake.settled();
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
    if (init.steps.some((s, i) => s.seq !== i + 1 || s.runId !== run.id) || init.steps.length !== run.seq) {
      throw new NightshiftError(
        'INTERNAL',
        `createRun: steps must be numbered 1..${run.seq} for run ${run.id}`,
      );
    }
    const params: unknown[] = [
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
      run.attempt,
      run.notBefore,
      run.leaseEpoch,
    ];
    const insert = `INSERT INTO runs (id, role, role_version, model, status, input, output, error, seq, turns, usage, active_ms, grant_json,
           idempotency_key, lease_owner, lease_until, created_at, updated_at, finished_at, attempt, not_before, lease_epoch)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`;
    const existing = async (c: { query: Client['query'] }) => {
      const rows = (await c.query('SELECT * FROM runs WHERE idempotency_key = $1', [run.idempotencyKey]))
        .rows;
      return { run: toRun(rows[0] as Row), created: false };
    };
    let created: boolean;
    if (!init.approvals?.length && !init.escalations?.length) {
      // One statement (one round trip): the run and its first records, or nothing if the key is known.
      const ctes = [
        `r AS (${insert})`,
        ...this.recordCtes({ ...init, runId: run.id, expectSeq: 0 }, params, 'r'),
      ];
      const [row] = await this.q(
        'creating a run',
        `WITH ${ctes.join(', ')} SELECT COUNT(*)::int AS n FROM r`,
        params,
      );
      created = row?.n === 1;
      if (!created) {
        try {
          return await existing(this.pool);
        } catch (err) {
          throw storeError('creating a run', err);
        }
      }
    } else {
      const out = await this.tx('creating a run', async (c) => {
        const inserted = await c.query(insert, params);
        if (inserted.rowCount === 0) return existing(c);
        await this.writeRecords(c, { ...init, runId: run.id, expectSeq: 0 });
        return undefined;
      });
      if (out) return out;
      created = true;
    }
    // Wake idle workers elsewhere at once (LISTEN/NOTIFY) instead of at their next poll.
    if (run.status === 'queued') this.wake.queued(run.id, run.role);
    return { run, created };
  }

  /** The channel workers LISTEN on for new queued work in this schema. */
  private get channel(): string {
    return `nightshift_work_${this.schema}`;
  }

  /**
   * Calls `onWork` whenever a run is queued by any process sharing the database (one dedicated
   * connection per subscriber). Returns a function that unsubscribes and closes the connection.
   */
  async subscribeWork(onWork: () => void): Promise<() => Promise<void>> {
    // Reconnected (and LISTENed again) after any outage; see work-listener.ts.
    const listener = new WorkListener({
      client: () => new pg.Client(this.connection),
      channel: this.channel,
      onWork,
      health: this.reachable,
    });
    await listener.start();
    this.wake.listening = true;
    return async () => {
      this.wake.listening = false;
      this.wake.release();
      await listener.close();
    };
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
    // One statement, so one round trip and one snapshot: the run and its records, each list as JSON.
    const [row] = await this.q(
      'loading a run',
      `SELECT row_to_json(r) AS run, ${snapshotLists('r')} FROM runs r WHERE r.id = $1`,
      [id],
    );
    return row ? toSnapshot(row) : undefined;
  }

  async commit(batch: CommitBatch): Promise<void> {
    // A malformed batch is a caller's bug, refused loudly before any write.
    checkBatchShape(batch.runId, batch.expectSeq, batch);
    batch.steps.forEach((s, i) => {
      if (s.seq !== batch.expectSeq + i + 1 || s.runId !== batch.runId) {
        throw new NightshiftError(
          'STORE_CONFLICT',
          `step ${s.seq} of run ${s.runId} does not continue run ${batch.runId} at ${batch.expectSeq}`,
        );
      }
    });
    if (!batch.approvals?.length && !batch.escalations?.length) {
      // The engine's own commits (steps, tool calls, audit) travel in groups: see commit-groups.ts.
      return this.groups.commit(batch);
    }
    const patch = (batch.run ?? {}) as Record<string, unknown>;
    const keys = Object.keys(patch).filter((k) => patch[k] !== undefined) as (keyof RunPatch)[];
    const params: unknown[] = [batch.expectSeq + batch.steps.length, batch.at];
    const sets = keys.map((k) => {
      params.push(PATCH_COLUMNS[k].encode(patch[k]));
      return `${PATCH_COLUMNS[k].column} = $${params.length}`;
    });
    params.push(batch.runId, batch.expectSeq);
    let update = `UPDATE runs SET seq = $1, updated_at = $2${sets.map((x) => `, ${x}`).join('')} WHERE id = $${params.length - 1} AND seq = $${params.length}`;
    if (batch.lease) {
      // A driver's batch is also fenced by its lease: see CommitBatch.lease.
      params.push(batch.lease.owner, batch.lease.epoch);
      update += ` AND lease_owner = $${params.length - 1} AND lease_epoch = $${params.length}`;
    }
    await this.tx('committing a step', async (c) => {
      const res = await c.query(update, params);
      if (res.rowCount !== 1) throw seqConflict(batch);
      await this.writeRecords(c, batch);
    });
  }

  /**
   * Data-modifying CTEs writing a batch's steps, tool calls and audit events, each gated on `gate` (a CTE
   * returning the run's id when the write may happen). The records travel as one JSON array each.
   */
  private recordCtes(batch: Omit<CommitBatch, 'run'>, params: unknown[], gate: string): string[] {
    const rows = recordRows(batch);
    const ctes: string[] = [];
    const add = (name: string, records: unknown[], insert: (elements: string, gate: string) => string) => {
      if (records.length === 0) return;
      params.push(JSON.stringify(records));
      ctes.push(`${name} AS (${insert(`json_array_elements($${params.length}::json)`, gate)})`);
    };
    add('s', rows.steps, insertSteps);
    add('t', rows.calls, insertToolCalls);
    add('a', rows.audit, insertAudit);
    return ctes;
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
          txt(t.callId),
          txt(t.tool),
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
        [a.at, txt(a.actor), txt(a.action), a.runId, txt(a.target), jsonb(a.data)],
      );
    }
  }

  async claimRun(runId: string, owner: string, until: number, now: number): Promise<number | undefined> {
    // A claim is a new acquisition: the epoch (fencing token) goes up.
    const rows = await this.q(
      'claiming a run',
      `UPDATE runs SET lease_owner = $1, lease_until = $2, lease_epoch = lease_epoch + 1
       WHERE id = $3 AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until IS NULL OR lease_until < $4)
       RETURNING lease_epoch`,
      [owner, until, runId, now],
    );
    return rows.length === 1 ? (rows[0]!.lease_epoch as number) : undefined;
  }

  async renewLease(runId: string, lease: RunLease, until: number): Promise<boolean> {
    // Extends exactly the lease it names (owner and epoch), and only while the run is running.
    const rows = await this.q(
      'renewing a run lease',
      `UPDATE runs SET lease_until = $1
       WHERE id = $2 AND status = 'running' AND lease_owner = $3 AND lease_epoch = $4 RETURNING id`,
      [until, runId, lease.owner, lease.epoch],
    );
    return rows.length === 1;
  }

  async stealRun(
    runId: string,
    previousOwner: string,
    owner: string,
    until: number,
  ): Promise<number | undefined> {
    const rows = await this.q(
      'taking over a run',
      `UPDATE runs SET lease_owner = $1, lease_until = $2, lease_epoch = lease_epoch + 1
       WHERE id = $3 AND lease_owner = $4 RETURNING lease_epoch`,
      [owner, until, runId, previousOwner],
    );
    return rows.length === 1 ? (rows[0]!.lease_epoch as number) : undefined;
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
    limits: Readonly<Record<string, number>> = {},
  ): Promise<RunRecord | undefined> {
    return (await this.claimNextRuns(owner, until, now, roles, limits, 1))[0]?.run;
  }

  async claimNextRuns(
    owner: string,
    until: number,
    now: number,
    roles: readonly string[],
    limits: Readonly<Record<string, number>>,
    max: number,
  ): Promise<RunSnapshot[]> {
    if (roles.length === 0 || max < 1) return [];
    const claim = this.wake.claimStarting();
    let claimed: RunSnapshot[];
    try {
      claimed = await this.claimQueued(owner, until, now, roles, limits, max);
    } catch (err) {
      // This process cannot take what it queued just now: let the others know at once.
      this.wake.release();
      throw err;
    }
    this.wake.claimed(
      claim,
      claimed.map((c) => c.run.id),
      { roles, limited: Object.keys(limits), full: claimed.length >= max },
    );
    return claimed;
  }

  private async claimQueued(
    owner: string,
    until: number,
    now: number,
    roles: readonly string[],
    limits: Readonly<Record<string, number>>,
    max: number,
  ): Promise<RunSnapshot[]> {
    // SKIP LOCKED: concurrent workers each take different runs instead of queueing on the same rows.
    // Taking over a `running` run means its worker died (or hung) mid-run: that counts as an attempt.
    // The claimed runs come back with their snapshots (statement-start view of their records), so the
    // worker starts driving without another round trip.
    const lease = (
      ids: string,
    ) => `WITH c AS (UPDATE runs SET lease_owner = $1, lease_until = $2, status = 'running', lease_epoch = lease_epoch + 1,
         attempt = attempt + (CASE WHEN status = 'running' THEN 1 ELSE 0 END)
       WHERE id IN (${ids}) RETURNING *)
       SELECT row_to_json(c) AS run, ${snapshotLists('c')} FROM c`;
    // Oldest claimable runs of the roles. Binds: roles, now, how many.
    const candidates = (roles_: string, now_: string, limit: string) => `SELECT id, role FROM runs
         WHERE role = ANY(${roles_}) AND status IN ('queued', 'running')
           AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < ${now_})
           AND (not_before IS NULL OR not_before <= ${now_})
         ORDER BY created_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
    const byAge = (rows: Row[]) =>
      rows
        .map(toSnapshot)
        .sort((x, y) => x.run.createdAt - y.run.createdAt || (x.run.id < y.run.id ? -1 : 1));
    const limited = roles.filter((r) => limits[r] !== undefined);
    if (limited.length === 0) {
      const rows = await this.q(
        'claiming queued work',
        lease(`SELECT id FROM (${candidates('$3', '$4', '$5')}) c`),
        [owner, until, [...roles], now, max],
      );
      return byAge(rows);
    }
    // With per-role limits, counting and leasing must not interleave across workers: claims that involve
    // a limited role take one transaction-scoped advisory lock (claims of unlimited roles never wait).
    return this.tx('claiming queued work', async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(hashtext('nightshift.claim.${this.schema}'))`);
      const live = await c.query(
        `SELECT role, COUNT(*)::int AS n FROM runs WHERE role = ANY($1) AND status IN ('queued', 'running')
           AND lease_owner IS NOT NULL AND lease_until >= $2 GROUP BY role`,
        [limited, now],
      );
      const cap = capacities(limits, live.rows as { role: string; n: number }[]);
      const chosen: string[] = [];
      for (;;) {
        const open = openRoles(roles, cap);
        if (open.length === 0 || chosen.length >= max) break;
        const found = await c.query(candidates('$1', '$2', '$3'), [open, now, max + chosen.length]);
        const rows = found.rows as { id: string; role: string }[];
        const fresh = rows.filter((r) => !chosen.includes(r.id));
        const { picked, skipped } = pick(fresh, cap, max - chosen.length);
        chosen.push(...picked.map((r) => r.id));
        if (!skipped || fresh.length === 0) break;
      }
      if (chosen.length === 0) return [];
      const rows = (await c.query(lease('SELECT unnest($3::text[])'), [owner, until, chosen])).rows as Row[];
      return byAge(rows);
    });
  }

  // ── continuous agents ──

  async claimAgent(
    role: string,
    owner: string,
    until: number,
    now: number,
  ): Promise<AgentRecord | undefined> {
    return this.tx(`claiming the agent of ${role}`, async (c) => {
      await c.query(
        `INSERT INTO agents (role, owner, lease_until, heartbeat_at, state, started_at, updated_at)
         VALUES ($1, NULL, NULL, NULL, $2, $3, $3) ON CONFLICT (role) DO NOTHING`,
        [role, jsonb(newAgentState()), now],
      );
      const row = (await c.query('SELECT * FROM agents WHERE role = $1 FOR UPDATE', [role])).rows[0] as Row;
      const claimed = leaseAgent(toAgent(row), owner, until, now);
      if (!claimed) return undefined;
      await c.query(
        'UPDATE agents SET owner = $1, lease_until = $2, heartbeat_at = $3, state = $4, updated_at = $3 WHERE role = $5',
        [owner, until, now, jsonb(agentState(claimed)), role],
      );
      return claimed;
    });
  }

  async heartbeatAgents(
    owner: string,
    roles: readonly string[],
    until: number,
    now: number,
  ): Promise<string[]> {
    if (roles.length === 0) return [];
    const rows = await this.q(
      'renewing agent leases',
      'UPDATE agents SET lease_until = $1, heartbeat_at = $2 WHERE owner = $3 AND role = ANY($4) RETURNING role',
      [until, now, owner, [...roles]],
    );
    return rows.map((r) => r.role as string);
  }

  async saveAgent(agent: AgentRecord, owner: string): Promise<boolean> {
    const rows = await this.q(
      `saving the agent of ${agent.role}`,
      'UPDATE agents SET state = $1, updated_at = $2 WHERE role = $3 AND owner = $4 RETURNING role',
      [jsonb(agentState(agent)), agent.updatedAt, agent.role, owner],
    );
    return rows.length === 1;
  }

  async releaseAgent(role: string, owner: string): Promise<void> {
    await this.q(
      `releasing the agent of ${role}`,
      'UPDATE agents SET owner = NULL, lease_until = NULL WHERE role = $1 AND owner = $2',
      [role, owner],
    );
  }

  async getAgent(role: string): Promise<AgentRecord | undefined> {
    const [r] = await this.q(`reading the agent of ${role}`, 'SELECT * FROM agents WHERE role = $1', [role]);
    return r ? toAgent(r) : undefined;
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (await this.q('listing agents', 'SELECT * FROM agents ORDER BY role')).map(toAgent);
  }

  async pushInbox(item: InboxItem): Promise<{ item: InboxItem; created: boolean }> {
    return this.tx(`adding to the inbox of ${item.role}`, async (c) => {
      const done = await c.query(
        `INSERT INTO inbox (id, role, event, payload, idempotency_key, created_at, handled_at, run_id)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL) ON CONFLICT (idempotency_key) DO NOTHING`,
        [item.id, item.role, item.event, jsonb(item.payload ?? null), item.idempotencyKey, item.createdAt],
      );
      if (done.rowCount === 1) {
        this.wake.notify();
        return { item, created: true };
      }
      const row = (await c.query('SELECT * FROM inbox WHERE idempotency_key = $1', [item.idempotencyKey]))
        .rows[0] as Row;
      return { item: toInbox(row), created: false };
    });
  }

  async inboxHead(role: string): Promise<InboxItem | undefined> {
    const [r] = await this.q(
      `reading the inbox of ${role}`,
      'SELECT * FROM inbox WHERE role = $1 AND handled_at IS NULL ORDER BY n LIMIT 1',
      [role],
    );
    return r ? toInbox(r) : undefined;
  }

  async rolesWithInbox(roles: readonly string[]): Promise<string[]> {
    if (roles.length === 0) return [];
    const rows = await this.q(
      'looking for waiting inbox items',
      'SELECT DISTINCT role FROM inbox WHERE handled_at IS NULL AND role = ANY($1)',
      [[...roles]],
    );
    return rows.map((r) => r.role as string);
  }

  async inboxDepth(role: string): Promise<number> {
    const [r] = await this.q(
      `counting the inbox of ${role}`,
      'SELECT COUNT(*)::int AS n FROM inbox WHERE role = $1 AND handled_at IS NULL',
      [role],
    );
    return (r?.n as number) ?? 0;
  }

  async finishInboxItem(
    itemId: string,
    runId: string,
    agent: AgentRecord,
    owner: string,
    at: number,
  ): Promise<boolean> {
    return this.tx(`finishing inbox item ${itemId}`, async (c) => {
      const saved = await c.query(
        'UPDATE agents SET state = $1, updated_at = $2 WHERE role = $3 AND owner = $4',
        [jsonb(agentState(agent)), agent.updatedAt, agent.role, owner],
      );
      if (saved.rowCount !== 1) return false;
      await c.query('UPDATE inbox SET handled_at = $1, run_id = $2 WHERE id = $3 AND handled_at IS NULL', [
        at,
        runId,
        itemId,
      ]);
      return true;
    });
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

  async countRuns(statuses: readonly RunStatus[], role?: string): Promise<Record<string, number>> {
    const rows = await this.q(
      'counting runs',
      `SELECT status, COUNT(*)::int AS n FROM runs WHERE status = ANY($1)${role === undefined ? '' : ' AND role = $2'} GROUP BY status`,
      role === undefined ? [[...statuses]] : [[...statuses], role],
    );
    return countsOf(statuses, rows as { status: string; n: number }[]);
  }

  async putSubscriptions(records: readonly SubscriptionRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.q(
      'recording event subscriptions',
      `INSERT INTO subscriptions (event, role, role_version, seen_at)
       SELECT * FROM json_to_recordset($1::json) AS x(event TEXT, role TEXT, role_version TEXT, seen_at BIGINT)
       ON CONFLICT (event, role, role_version) DO UPDATE SET seen_at = excluded.seen_at`,
      [
        JSON.stringify(
          records.map((r) => ({
            event: r.event,
            role: r.role,
            role_version: r.roleVersion,
            seen_at: r.seenAt,
          })),
        ),
      ],
    );
  }

  async listSubscriptions(since: number): Promise<SubscriptionRecord[]> {
    const rows = await this.q(
      'listing event subscriptions',
      'SELECT * FROM subscriptions WHERE seen_at >= $1 ORDER BY event, role, role_version',
      [since],
    );
    return rows.map((r) => ({
      event: r.event as string,
      role: r.role as string,
      roleVersion: r.role_version as string,
      seenAt: num(r.seen_at)!,
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

/** The record lists of a snapshot, as JSON columns of one SELECT over the run row aliased `alias`. */
function snapshotLists(alias: string): string {
  return `(SELECT COALESCE(json_agg(x ORDER BY x.seq), '[]') FROM steps x WHERE x.run_id = ${alias}.id) AS steps,
    (SELECT COALESCE(json_agg(x ORDER BY x.step, x.idx), '[]') FROM tool_calls x WHERE x.run_id = ${alias}.id) AS calls,
    (SELECT COALESCE(json_agg(x ORDER BY x.requested_at, x.id), '[]') FROM approvals x WHERE x.run_id = ${alias}.id) AS approvals,
    (SELECT COALESCE(json_agg(x ORDER BY x.created_at, x.id), '[]') FROM escalations x WHERE x.run_id = ${alias}.id) AS escalations`;
}

function toSnapshot(row: Row): RunSnapshot {
  return {
    run: toRun(row.run as Row),
    steps: (row.steps as Row[]).map((s) => ({
      runId: s.run_id as string,
      seq: s.seq as number,
      kind: s.kind as never,
      at: num(s.at)!,
      data: s.data as Record<string, unknown>,
    })),
    toolCalls: (row.calls as Row[]).map((t) => ({
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
    approvals: (row.approvals as Row[]).map(toApproval),
    escalations: (row.escalations as Row[]).map(toEscalation),
  };
}

function seqConflict(batch: CommitBatch): NightshiftError {
  return new NightshiftError(
    'STORE_CONFLICT',
    batch.lease
      ? `run ${batch.runId} is not at step ${batch.expectSeq} or no longer leased to ${batch.lease.owner} (epoch ${batch.lease.epoch}): another worker took it over or advanced it`
      : `run ${batch.runId} is not at step ${batch.expectSeq} (another worker advanced it, or it does not exist)`,
  );
}

function toAgent(r: Row): AgentRecord {
  return agentFromColumns({
    role: r.role as string,
    owner: (r.owner as string | null) ?? null,
    leaseUntil: num(r.lease_until),
    heartbeatAt: num(r.heartbeat_at),
    state: r.state as AgentState,
    startedAt: num(r.started_at)!,
    updatedAt: num(r.updated_at)!,
  });
}

function toInbox(r: Row): InboxItem {
  return {
    id: r.id as string,
    role: r.role as string,
    event: r.event as string,
    payload: r.payload ?? null,
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    createdAt: num(r.created_at)!,
    handledAt: num(r.handled_at),
    runId: (r.run_id as string | null) ?? null,
  };
}
