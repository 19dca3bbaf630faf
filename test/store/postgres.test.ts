// The Postgres store passes the same contract as the embedded one, against the real Postgres; and the
// engine runs on it unchanged. Skipped, saying so, when no Postgres answers.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { describeStoreContract, newRun } from '../contract/store.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);

if (!skip) {
  const schema = freshSchema();
  describeStoreContract('postgres', async () => {
    let store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    return {
      get store() {
        return store;
      },
      reopen: async () => {
        await store.close();
        store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
        return store;
      },
      cleanup: () => dropSchema(schema),
    };
  });
}

describe('postgres specifics', { skip }, () => {
  const schema = freshSchema();
  const made: TestRole[] = [];
  after(async () => {
    await dropSchema(schema);
    for (const r of made) r.cleanup();
  });

  it('two stores (two workers) racing on one run: exactly one commit wins', async () => {
    const a = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    const b = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    await Promise.all([a.init(), b.init()]);
    const run = newRun();
    await a.createRun(run, {
      steps: [{ runId: run.id, seq: 1, kind: 'run_started', at: 1, data: {} }],
      at: 1,
    });
    const mk = () => ({
      runId: run.id,
      expectSeq: 1,
      steps: [{ runId: run.id, seq: 2, kind: 'decision' as const, at: 2, data: {} }],
      at: 2,
    });
    const results = await Promise.allSettled([
      a.commit(mk()),
      b.commit(mk()),
      a.commit(mk()),
      b.commit(mk()),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal(r.reason.code, 'STORE_CONFLICT');
    assert.equal((await b.loadRun(run.id))!.steps.length, 2);
    await a.close();
    await b.close();
  });

  it('keeps answering when another process changes a table under its prepared statements', async () => {
    // The store prepares its statements once per connection. A newer version's migration (a rolling
    // upgrade) that adds a column changes what `SELECT *` returns; Postgres then refuses the cached plan,
    // and the store must run the query again rather than fail every read until it restarts.
    const own = freshSchema();
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema: own, max: 1 });
    const other = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema: own });
    try {
      await store.init();
      const run = newRun();
      await store.createRun(run, {
        steps: [{ runId: run.id, seq: 1, kind: 'run_started', at: 1, data: {} }],
        at: 1,
      });
      assert.equal((await store.getRun(run.id))?.id, run.id);
      await other.init();
      await (other as unknown as { q(w: string, s: string): Promise<unknown> }).q(
        'migrating',
        'ALTER TABLE runs ADD COLUMN added_by_a_newer_version TEXT',
      );
      assert.equal((await store.getRun(run.id))?.id, run.id);
      assert.equal((await store.getRun(run.id))?.id, run.id);
    } finally {
      await store.close();
      await other.close();
      await dropSchema(own);
    }
  });

  it('runs a role end to end on Postgres: draft, approve, output', async () => {
    const r = writeTestRole({
      autonomy: 'draft',
      tools: ['fs.write'],
      turns: [
        { call: 'fs.write', args: { path: 'pg.txt', content: 'from postgres' } },
        { final: { summary: 'done' } },
      ],
    });
    made.push(r);
    const rt = await createRuntime({
      store: openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
    });
    try {
      const paused = await rt.run(r.file, { ticket: 'T-1' });
      assert.equal(paused.status, 'awaiting_approval');
      assert.equal(r.exists('pg.txt'), false);
      const done = await rt.approve(paused.pending[0]!, { by: 'alice' });
      assert.equal(done.status, 'succeeded');
      assert.equal(r.read('pg.txt'), 'from postgres');
      const snap = (await rt.get(done.runId))!;
      assert.deepEqual(snap.run.input, { ticket: 'T-1' });
      assert.ok(snap.steps.length >= 8);
    } finally {
      await rt.close();
    }
  });
});
