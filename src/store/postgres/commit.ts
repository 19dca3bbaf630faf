// Writes that are not the engine's grouped commits (see group-commit.ts): creating a run with its first
// records, and a commit that carries approvals or escalations (whose status preconditions need their own
// checks). Steps, tool calls and audit events go through the same inserts as the grouped commit
// (commit-statement.ts), gated on the run, as one statement.
import { checkBatchShape } from '../batch-shape.js';
import {
  approvalNotPending,
  escalationNotPending,
  initialStepsMismatch,
  seqConflict,
  tierMoved,
} from '../errors.js';
import { postgresDialect } from '../sql/dialect.js';
import * as outbox from '../sql/outbox.js';
import type { CommitBatch, RunPatch, RunRecord } from '../types.js';
import { insertAudit, insertSteps, insertToolCalls, PATCH_COLUMNS, recordsJson } from './commit-statement.js';
import { groupable, INSERT_RUN, type NewRun, runParams } from './create-statement.js';
import type { Client, Database } from './database.js';
import { jsonText, txt } from './encode.js';
import type { GroupCommit } from './group-commit.js';
import { type Row, toRun } from './rows.js';
import { storeError } from './store-error.js';

type RunInit = Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'>;

/**
 * Inserts the run and its first records; an existing idempotency key wins and nothing is written. Runs
 * with only steps, tool calls and audit events travel in `group` with the others created meanwhile.
 */
export async function createRun(
  db: Database,
  run: RunRecord,
  init: RunInit,
  group?: GroupCommit<NewRun>,
): Promise<{ run: RunRecord; created: boolean }> {
  checkBatchShape(run.id, 0, { ...init, runId: run.id });
  if (init.steps.length !== run.seq) throw initialStepsMismatch(run.id, run.seq, init.steps.length);
  const params = runParams(run);
  const existing = async (c: { query: Client['query'] }) => {
    const rows = (await c.query('SELECT * FROM runs WHERE idempotency_key = $1', [run.idempotencyKey])).rows;
    return { run: toRun(rows[0] as Row), created: false };
  };
  if (
    !init.approvals?.length &&
    !init.escalations?.length &&
    !init.notifications?.length &&
    !init.tiers?.length
  ) {
    // One statement (one round trip): the run and its first records, or nothing if the key is known;
    // shared with the runs created at the same moment when there is a group.
    if (group && groupable(run)) {
      if (await group.commit({ runId: run.id, run, init })) return { run, created: true };
    } else {
      const ctes = [`r AS (${INSERT_RUN})`, ...recordCtes({ ...init, runId: run.id }, params, 'r')];
      const [row] = await db.q(
        'creating a run',
        `WITH ${ctes.join(', ')} SELECT COUNT(*)::int AS n FROM r`,
        params,
      );
      if (row?.n === 1) return { run, created: true };
    }
    try {
      return await existing(db.pool);
    } catch (err) {
      throw storeError('creating a run', err);
    }
  }
  const found = await db.tx('creating a run', async (c) => {
    const inserted = await c.query(INSERT_RUN, params);
    if (inserted.rowCount === 0) return existing(c);
    await writeRecords(c, { ...init, runId: run.id });
    return undefined;
  });
  return found ?? { run, created: true };
}

/** A commit outside the groups: the fenced run update, then every record, in one transaction. */
export async function commitAlone(db: Database, batch: CommitBatch): Promise<void> {
  const patch = (batch.run ?? {}) as Record<string, unknown>;
  const keys = Object.keys(patch).filter((k) => patch[k] !== undefined) as (keyof RunPatch)[];
  const params: unknown[] = [batch.expectSeq + batch.steps.length, batch.at];
  const sets = keys.map((k) => {
    params.push(PATCH_COLUMNS[k].encode(patch[k]));
    // As in the group statement: the holder's own lease end never goes back; a null one is a release.
    if (k === 'leaseUntil' && !keys.includes('leaseOwner') && patch[k] !== null)
      return `lease_until = GREATEST(lease_until, $${params.length}::bigint)`;
    return `${PATCH_COLUMNS[k].column} = $${params.length}`;
  });
  params.push(batch.runId, batch.expectSeq);
  let update = `UPDATE runs SET seq = $1, updated_at = $2${sets.map((x) => `, ${x}`).join('')} WHERE id = $${params.length - 1} AND seq = $${params.length}`;
  if (batch.lease) {
    // A driver's batch is also fenced by its lease: see CommitBatch.lease.
    params.push(batch.lease.owner, batch.lease.epoch);
    update += ` AND lease_owner = $${params.length - 1} AND lease_epoch = $${params.length}`;
  }
  await db.tx('committing a step', async (c) => {
    const res = await c.query(update, params);
    if (res.rowCount !== 1) throw seqConflict(batch);
    await writeRecords(c, batch);
  });
}

/**
 * Data-modifying CTEs writing a batch's steps, tool calls and audit events, each gated on `gate` (a CTE
 * returning the run's id when the write may happen). The records travel as one JSON array each.
 */
function recordCtes(
  batch: Omit<CommitBatch, 'run' | 'expectSeq' | 'at'>,
  params: unknown[],
  gate: string,
): string[] {
  const [steps, calls, audit] = recordsJson([batch]);
  const ctes: string[] = [];
  const add = (name: string, records: string, insert: (param: string, gate: string) => string) => {
    if (records === '[]') return;
    params.push(records);
    ctes.push(`${name} AS (${insert(`$${params.length}`, gate)})`);
  };
  add('s', steps, insertSteps);
  add('t', calls, insertToolCalls);
  add('a', audit, insertAudit);
  return ctes;
}

/** A batch's records, inside the caller's transaction once its fence held (or its run was inserted). */
export async function writeRecords(
  c: Client,
  batch: Omit<CommitBatch, 'run' | 'expectSeq' | 'at'>,
): Promise<void> {
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
          jsonText(a.callKeys),
          a.changeSetHash,
          jsonText(a.calls),
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
      if (r.rowCount !== 1) throw approvalNotPending(a.id, expectStatus);
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
          jsonText(e.context),
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
      if (r.rowCount !== 1) throw escalationNotPending(e.id, expectStatus);
    }
  }
  for (const n of batch.notifications ?? []) {
    const q = outbox.insertNotification(postgresDialect, n);
    await c.query(q.text, q.params);
  }
  for (const { record, expectTier } of batch.tiers ?? []) {
    const q =
      expectTier === undefined
        ? outbox.insertTier(postgresDialect, record)
        : outbox.advanceTier(postgresDialect, record, expectTier);
    const r = await c.query(q.text, q.params);
    if (expectTier !== undefined && r.rowCount !== 1) throw tierMoved(record.decisionId, expectTier);
  }
  // Last: inserting an audit entry locks its run's audit chain head until the commit; taking no other
  // lock after it, this transaction never waits on another while holding one (audit-chain-migration.ts).
  const params: unknown[] = [batch.runId];
  const ctes = recordCtes(batch, params, 'g');
  if (ctes.length > 0)
    await c.query(`WITH g AS (SELECT $1::text AS id), ${ctes.join(', ')} SELECT 1`, params);
}
