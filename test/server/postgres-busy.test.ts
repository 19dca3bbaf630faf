// A busy database is not an outage, nor the run's fault (decision 013): real `nightshift serve` on the real
// Postgres, with another session holding locks the way a long migration or a stuck report query would.
// A run whose write hits `lock_timeout` (SQLSTATE 55P03) is driven again once the lock is gone, finishing
// on its first attempt; a request that finds every pooled connection in use is answered 503 STORE_BUSY,
// not STORE_UNAVAILABLE ("could not be reached"). Skipped, saying so, without Postgres.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { type Served, startServe } from '../support/cli.js';
import { occupancy } from '../support/occupancy.js';
import { fixtures } from '../support/paths.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const skip = await postgresUnavailable();

/** Another session holding `lock` on a table of the schema until `release()`. */
async function holdLock(schema: string, table: string, mode: string) {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  await c.query('BEGIN');
  await c.query(`LOCK TABLE ${schema}.${table} IN ${mode} MODE`);
  return {
    release: async () => {
      await c.query('ROLLBACK');
      await c.end();
    },
  };
}

/**
 * Another session holding the run's audit chain head (audit_heads) row-locked until `release()`: every
 * write of the run that appends to its audit trail (a policy denial) waits on it; its other writes (its
 * steps, its failure) do not, as a table lock would have them do (every commit statement names each table).
 */
async function holdAuditHead(schema: string, runId: string) {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  await c.query('BEGIN');
  const { rowCount } = await c.query(`SELECT 1 FROM ${schema}.audit_heads WHERE chain = $1 FOR UPDATE`, [
    runId,
  ]);
  assert.equal(rowCount, 1, 'the run has an audit chain (run.created)');
  return {
    release: async () => {
      await c.query('ROLLBACK');
      await c.end();
    },
  };
}

/** A role whose one tool call is denied (autonomy sandbox, no scope): a write with an audit event. */
function deniedCallRole(name: string, maxAttempts: number) {
  return writeTestRole({
    name,
    autonomy: 'sandbox',
    tools: ['ledger.append_once'],
    turns: [{ call: 'ledger.append_once', args: { entry: 'done' } }, { final: { summary: 'ok' } }],
    extra: { retry: { maxAttempts, backoffSeconds: 1, maxBackoffSeconds: 1 } },
  });
}

describe('Postgres busy (lock and statement timeouts, a full pool) under serve', { skip }, () => {
  /**
   * Enqueues a run with one attempt, holds `table` locked in SHARE mode, starts serve with `timeout` (a
   * 200 ms lock_timeout, or statement_timeout through libpq's `options`), releases the lock once a write has
   * timed out (its log says `said`), and checks the run's ending.
   */
  async function lockedWrite(
    table: string,
    timeout: { param: string; value: string; said: RegExp } = {
      param: 'lock_timeout',
      value: '200',
      said: /lock timeout/,
    },
  ) {
    const r = writeTestRole({
      name: 'pg-busy',
      autonomy: 'full',
      tools: ['ledger.append_once'],
      turns: [{ call: 'ledger.append_once', args: { entry: 'done' } }, { final: { summary: 'ok' } }],
      // One attempt: a timeout counted against the run would fail it outright.
      extra: { retry: { maxAttempts: 1, backoffSeconds: 1, maxBackoffSeconds: 1 } },
    });
    const schema = freshSchema();
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set(timeout.param, timeout.value);
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    let served: Served | undefined;
    let lock: Awaited<ReturnType<typeof holdLock>> | undefined;
    try {
      const rt = await createRuntime({ store });
      const queued = await rt.enqueue(await loadRoleFile(r.file), {});
      lock = await holdLock(schema, table, 'SHARE');
      served = await startServe([r.dir, '--port', '0', '--poll-ms', '50', '--lease-ms', '3000'], {
        env: { NIGHTSHIFT_DATABASE_URL: url.toString(), NIGHTSHIFT_DATABASE_SCHEMA: schema },
      });
      const s = served;
      await waitFor(async () => (timeout.said.test(s.stdout()) ? true : undefined), 'a write to time out');
      await lock.release();
      lock = undefined;
      const done = await waitFor(
        async () => {
          const run = await store.getRun(queued.runId);
          return run && (run.status === 'succeeded' || run.status === 'failed') ? run : undefined;
        },
        'the run to finish',
        30_000,
      );
      assert.equal(done.status, 'succeeded', `run ${done.status}: ${JSON.stringify(done.error)}`);
      assert.equal(done.attempt, 1, 'the timeout used up no attempt');
      const steps = (await store.loadRun(queued.runId))!.steps.map((x) => x.kind);
      assert.ok(!steps.includes('run_retry_scheduled'), `no retry was scheduled: ${steps.join(', ')}`);
      assert.equal(r.ledger().length, 1, 'the tool ran once');
      await rt.close();
    } finally {
      await lock?.release();
      served?.child.kill('SIGKILL');
      await served?.done;
      await store.close().catch(() => {});
      await dropSchema(schema);
      r.cleanup();
    }
  }

  it('a run whose every write hits lock_timeout is driven again and finishes on its first attempt', async () => {
    // Claiming writes only the run's row; every step the run then records is blocked, failing too.
    await lockedWrite('steps');
  });

  it('a run whose every write hits statement_timeout (57014) is driven again and finishes on its first attempt', async () => {
    // No lock_timeout: the wait for the lock is what outlasts the statement timeout, set in the URL.
    await lockedWrite('steps', {
      param: 'statement_timeout',
      value: '200',
      said: /statement timeout/,
    });
  });

  it('a timeout on a write whose failure could be recorded still costs the run no attempt', async () => {
    // Only the denial's audit event is blocked: the failed attempt (a step and the run's row) would go
    // through, so recording it is what failUnexpected must not do with a busy store (decision 013, 7).
    const r = deniedCallRole('pg-busy-audit', 1);
    const schema = freshSchema();
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('lock_timeout', '200');
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    let served: Served | undefined;
    let lock: Awaited<ReturnType<typeof holdAuditHead>> | undefined;
    try {
      const rt = await createRuntime({ store });
      const queued = await rt.enqueue(await loadRoleFile(r.file), {});
      lock = await holdAuditHead(schema, queued.runId);
      served = await startServe([r.dir, '--port', '0', '--poll-ms', '50', '--lease-ms', '3000'], {
        env: { NIGHTSHIFT_DATABASE_URL: url.toString(), NIGHTSHIFT_DATABASE_SCHEMA: schema },
      });
      const s = served;
      await waitFor(async () => (/lock timeout/.test(s.stdout()) ? true : undefined), 'a write to time out');
      await lock.release();
      lock = undefined;
      const done = await waitFor(
        async () => {
          const run = await store.getRun(queued.runId);
          return run && (run.status === 'succeeded' || run.status === 'failed') ? run : undefined;
        },
        'the run to finish',
        30_000,
      );
      assert.equal(done.status, 'succeeded', `run ${done.status}: ${JSON.stringify(done.error)}`);
      assert.equal(done.attempt, 1, 'the timeout used up no attempt');
      const steps = (await store.loadRun(queued.runId))!.steps.map((x) => x.kind);
      assert.ok(!steps.includes('run_retry_scheduled'), `no retry was scheduled: ${steps.join(', ')}`);
      assert.equal(steps.filter((k) => k === 'decision').length, 1, `the denial recorded once: ${steps}`);
      await rt.close();
    } finally {
      await lock?.release();
      served?.child.kill('SIGKILL');
      await served?.done;
      await store.close().catch(() => {});
      await dropSchema(schema);
      r.cleanup();
    }
  });

  it('a run the database stays busy for past serve.storeBusyLimitMs spends an attempt, then fails STORE_BUSY', async () => {
    const r = deniedCallRole('pg-busy-limit', 2);
    const schema = freshSchema();
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('lock_timeout', '100');
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    let served: Served | undefined;
    let lock: Awaited<ReturnType<typeof holdAuditHead>> | undefined;
    try {
      const rt = await createRuntime({ store });
      const queued = await rt.enqueue(await loadRoleFile(r.file), {});
      // Never released while serve runs: a lock that outlives the run, as a stuck session's would.
      lock = await holdAuditHead(schema, queued.runId);
      served = await startServe([r.dir, '--port', '0', '--poll-ms', '50', '--lease-ms', '60000'], {
        env: {
          NIGHTSHIFT_DATABASE_URL: url.toString(),
          NIGHTSHIFT_DATABASE_SCHEMA: schema,
          NIGHTSHIFT_STORE_BUSY_LIMIT_MS: '1500',
        },
      });
      const done = await waitFor(
        async () => {
          const run = await store.getRun(queued.runId);
          return run && (run.status === 'succeeded' || run.status === 'failed') ? run : undefined;
        },
        'the run to end',
        30_000,
      );
      assert.equal(done.status, 'failed', `run ${done.status}`);
      assert.equal(done.error?.code, 'STORE_BUSY', JSON.stringify(done.error));
      assert.match(done.error!.message, /the database stayed busy for \d+(\.\d)? s/);
      assert.match(done.error!.message, /lock timeout/, 'with the last timeout said');
      assert.ok(Number(done.error!.details?.busyMs) >= 1500, JSON.stringify(done.error!.details));
      assert.equal(done.attempt, 2, 'the first busy spell cost an attempt, the second failed the run');
      const loaded = (await store.loadRun(queued.runId))!;
      const kinds = loaded.steps.map((x) => x.kind);
      const retry = loaded.steps.find((x) => x.kind === 'run_retry_scheduled');
      assert.equal(
        (retry?.data as { error?: { code?: string } } | undefined)?.error?.code,
        'STORE_BUSY',
        `the first attempt's retry says why: ${kinds.join(', ')}`,
      );
      // Nothing half-written: the blocked write (the denial with its audit event) is not there at all.
      assert.ok(!kinds.includes('decision'), `no denial recorded: ${kinds.join(', ')}`);
      await rt.close();
    } finally {
      await lock?.release();
      served?.child.kill('SIGKILL');
      await served?.done;
      await store.close().catch(() => {});
      await dropSchema(schema);
      r.cleanup();
    }
  });

  it('busy spells apart, with a drive that moved the run on between them, each count afresh (no attempt spent)', async () => {
    // Two denials (a tool the role does not list: a write with an audit event), a long allowed call between.
    const r = writeTestRole({
      name: 'pg-busy-spells',
      autonomy: 'full',
      tools: ['slot.occupy'],
      ledgerTools: false,
      turns: [
        { call: 'ledger.append_once', args: { entry: 'one' } },
        { call: 'slot.occupy', args: { who: 'run', ms: 5000 } },
        { call: 'ledger.append_once', args: { entry: 'two' } },
        { final: { summary: 'ok' } },
      ],
      extra: {
        toolModules: [fixtures('tools', 'occupancy.ts')],
        retry: { maxAttempts: 1, backoffSeconds: 1, maxBackoffSeconds: 1 },
      },
    });
    const schema = freshSchema();
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('lock_timeout', '100');
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    let served: Served | undefined;
    let lock: Awaited<ReturnType<typeof holdAuditHead>> | undefined;
    try {
      const rt = await createRuntime({ store });
      const queued = await rt.enqueue(await loadRoleFile(r.file), {});
      lock = await holdAuditHead(schema, queued.runId);
      served = await startServe([r.dir, '--port', '0', '--poll-ms', '50', '--lease-ms', '60000'], {
        env: {
          NIGHTSHIFT_DATABASE_URL: url.toString(),
          NIGHTSHIFT_DATABASE_SCHEMA: schema,
          NIGHTSHIFT_STORE_BUSY_LIMIT_MS: '3000',
        },
      });
      const s = served;
      // Spell one: the first denial is blocked until the lock goes.
      await waitFor(async () => (/lock timeout/.test(s.stdout()) ? true : undefined), 'a write to time out');
      await lock.release();
      lock = undefined;
      // The run moves on into its 5 s call; the lock is taken again meanwhile, so the second denial, more
      // than the busy limit after spell one began, is blocked too: spell two.
      await waitFor(async () => (occupancy(r.workspace).entered === 1 ? true : undefined), 'the long call');
      lock = await holdAuditHead(schema, queued.runId);
      await waitFor(
        async () => (occupancy(r.workspace).left === 1 ? true : undefined),
        'the call to end',
        30_000,
      );
      await sleep(500);
      await lock.release();
      lock = undefined;
      const done = await waitFor(
        async () => {
          const run = await store.getRun(queued.runId);
          return run && (run.status === 'succeeded' || run.status === 'failed') ? run : undefined;
        },
        'the run to end',
        30_000,
      );
      // Before, spell two was counted from spell one's start (over the limit at once): STORE_BUSY.
      assert.equal(done.status, 'succeeded', `run ${done.status}: ${JSON.stringify(done.error)}`);
      assert.equal(done.attempt, 1, 'neither spell cost an attempt');
      const kinds = (await store.loadRun(queued.runId))!.steps.map((x) => x.kind);
      assert.equal(kinds.filter((k) => k === 'decision').length, 3, `both denials recorded once: ${kinds}`);
      await rt.close();
    } finally {
      await lock?.release();
      served?.child.kill('SIGKILL');
      await served?.done;
      await store.close().catch(() => {});
      await dropSchema(schema);
      r.cleanup();
    }
  });

  it('a request that finds every pooled connection in use gets 503 STORE_BUSY, not STORE_UNAVAILABLE', async () => {
    const r = writeTestRole({
      name: 'pg-busy-pool',
      autonomy: 'full',
      turns: [{ final: { summary: 'ok' } }],
    });
    const schema = freshSchema();
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    let served: Served | undefined;
    let lock: Awaited<ReturnType<typeof holdLock>> | undefined;
    try {
      await (await createRuntime({ store })).close();
      served = await startServe([r.dir, '--port', '0'], {
        env: { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema },
      });
      const s = served;
      // Every read of runs waits on this lock, each holding one of the pool's 10 connections meanwhile; the
      // requests past that wait for a connection until the pool gives up (connectTimeoutMs, 10 s).
      lock = await holdLock(schema, 'runs', 'ACCESS EXCLUSIVE');
      const answers = Array.from({ length: 16 }, () =>
        fetch(`${s.url}/api/v1/runs`, { headers: s.auth }).then(async (res) => ({
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          body: (await res.json()) as { error?: { code?: string } },
        })),
      );
      const first = await Promise.race(answers);
      await lock.release();
      lock = undefined;
      const all = await Promise.all(answers);
      assert.equal(first.status, 503, `the first answer, during the lock: ${JSON.stringify(first)}`);
      assert.equal(first.body.error?.code, 'STORE_BUSY');
      assert.ok(first.retryAfter, 'with Retry-After');
      const codes = all.map((a) => a.body.error?.code ?? String(a.status));
      assert.ok(
        !codes.includes('STORE_UNAVAILABLE'),
        `no request was told the database is unreachable: ${codes}`,
      );
      // Busy is not an outage: the service stays ready.
      assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
    } finally {
      await lock?.release();
      served?.child.kill('SIGKILL');
      await served?.done;
      await store.close().catch(() => {});
      await dropSchema(schema);
      r.cleanup();
    }
  });
});
