// A busy database is not an outage, nor the run's fault (decision 013): real `nightshift serve` on the real
// Postgres, with another session holding locks the way a long migration or a stuck report query would.
// A run whose write hits `lock_timeout` (SQLSTATE 55P03) is driven again once the lock is gone, finishing
// on its first attempt; a request that finds every pooled connection in use is answered 503 STORE_BUSY,
// not STORE_UNAVAILABLE ("could not be reached"). Skipped, saying so, without Postgres.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { type Served, startServe } from '../support/cli.js';
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

describe('Postgres busy (lock and statement timeouts, a full pool) under serve', { skip }, () => {
  /**
   * Enqueues a run with one attempt, holds `table` locked in SHARE mode, starts serve with a 200 ms
   * lock_timeout, releases the lock once a write has timed out, and checks the run's ending.
   */
  async function lockedWrite(table: string) {
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
    url.searchParams.set('lock_timeout', '200');
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
      await waitFor(
        async () => (/lock timeout/.test(s.stdout()) ? true : undefined),
        'a write to hit lock_timeout',
      );
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
      assert.equal(done.attempt, 1, 'the lock timeout used up no attempt');
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
