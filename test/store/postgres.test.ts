// The Postgres store passes the same contract as the embedded one, against the real Postgres; and the
// engine runs on it unchanged. Skipped, saying so, when no Postgres answers.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { describeStoreContract, newCall, newRun, step } from '../contract/store.js';
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

  it('commits of many runs issued together travel as one statement, each fenced on its own', async () => {
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    await store.init();
    try {
      const runs = Array.from({ length: 12 }, () => newRun());
      for (const run of runs) {
        await store.createRun(run, { steps: [step(run.id, 1, 'run_started')], at: 1 });
      }
      const before = { ...store.groupCommit.stats };
      // Run 0 is fenced at the wrong seq (another worker moved it); run 1 carries a tool call, an audit
      // event and a patch that sets and clears columns; run 2 writes output with a NUL and a key order
      // that JSONB would lose.
      const output = { z: 1, a: 'nul\u0000here', nested: { b: [1, { y: null }] } };
      const results = await Promise.allSettled(
        runs.map((run, i) =>
          store.commit({
            runId: run.id,
            expectSeq: i === 0 ? 5 : 1,
            steps: [step(run.id, i === 0 ? 6 : 2)],
            at: 10 + i,
            ...(i === 1
              ? {
                  toolCalls: [newCall(run.id, 2, 0, { status: 'succeeded', result: { ok: true } })],
                  audit: [
                    { at: 11, actor: 'test', action: 'tested', runId: run.id, target: null, data: { i } },
                  ],
                  run: { turns: 3, leaseOwner: null, leaseUntil: null, usage: { inputTokens: 7 } as never },
                }
              : {}),
            ...(i === 2 ? { run: { status: 'succeeded' as const, output, finishedAt: 99 } } : {}),
          }),
        ),
      );
      assert.equal(results[0]!.status, 'rejected');
      assert.equal((results[0] as PromiseRejectedResult).reason.code, 'STORE_CONFLICT');
      assert.ok(results.slice(1).every((r) => r.status === 'fulfilled'));
      const sent = store.groupCommit.stats.statements - before.statements;
      assert.equal(store.groupCommit.stats.batches - before.batches, 12);
      assert.ok(sent < 12, `12 commits took ${sent} statements`);
      assert.equal((await store.loadRun(runs[0]!.id))!.steps.length, 1);
      const one = (await store.loadRun(runs[1]!.id))!;
      assert.deepEqual(
        one.steps.map((x) => x.seq),
        [1, 2],
      );
      assert.equal(one.run.turns, 3);
      assert.equal(one.run.leaseOwner, null);
      assert.deepEqual(one.run.usage, { inputTokens: 7 });
      assert.equal(one.run.updatedAt, 11);
      assert.deepEqual(one.toolCalls[0]!.result, { ok: true });
      assert.equal((await store.listAudit({ runId: runs[1]!.id })).length, 1);
      const two = (await store.loadRun(runs[2]!.id))!;
      assert.equal(two.run.status, 'succeeded');
      assert.equal(two.run.finishedAt, 99);
      assert.equal(JSON.stringify(two.run.output), JSON.stringify(output));
      assert.equal(two.run.turns, runs[2]!.turns, 'a column the patch does not name keeps its value');
    } finally {
      await store.close();
    }
  });

  it('while a commit is in flight, the commits that arrive meanwhile wait and travel together in the next statement', async () => {
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    await store.init();
    const { Client } = (await import('pg')).default;
    const locker = new Client({ connectionString: TEST_DATABASE_URL });
    await locker.connect();
    try {
      const runs = Array.from({ length: 9 }, () => newRun());
      for (const run of runs) await store.createRun(run, { steps: [step(run.id, 1, 'run_started')], at: 1 });
      const commit = (i: number) =>
        store.commit({ runId: runs[i]!.id, expectSeq: 1, steps: [step(runs[i]!.id, 2)], at: 2 });
      // Another connection holds run 0's row, so the statement carrying run 0's commit stays in flight.
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM ${schema}.runs WHERE id = $1 FOR UPDATE`, [runs[0]!.id]);
      const before = { ...store.groupCommit.stats };
      const all = [commit(0)];
      // Two waves, well apart, while run 0's statement waits on the lock.
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 1; i <= 4; i++) all.push(commit(i));
      await new Promise((r) => setTimeout(r, 200));
      for (let i = 5; i <= 8; i++) all.push(commit(i));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(
        store.groupCommit.stats.statements - before.statements,
        1,
        'only run 0 sent while it waits',
      );
      await locker.query('COMMIT');
      await Promise.all(all);
      // Run 0's statement, then one for the eight that waited (two in flight sent each wave on its own).
      assert.equal(store.groupCommit.stats.statements - before.statements, 2);
      for (const run of runs) assert.equal((await store.loadRun(run.id))!.steps.length, 2);
    } finally {
      await locker.end();
      await store.close();
    }
  });

  it('runs created together travel as one statement; a known idempotency key, even one repeated in the group, creates nothing', async () => {
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    await store.init();
    try {
      const queued = (over: Parameters<typeof newRun>[0] = {}) => newRun({ status: 'queued', ...over });
      const known = queued({ idempotencyKey: `known-${Date.now()}` });
      await store.createRun(known, { steps: [step(known.id, 1, 'run_started')], at: 1 });
      const twinKey = `twin-${Date.now()}`;
      const fresh = Array.from({ length: 6 }, () => queued());
      const twins = [queued({ idempotencyKey: twinKey }), queued({ idempotencyKey: twinKey })];
      const again = queued({ idempotencyKey: known.idempotencyKey });
      const all = [...fresh, ...twins, again];
      const before = { ...store.createGroup.stats };
      const out = await Promise.all(
        all.map((run) =>
          store.createRun(run, {
            steps: [step(run.id, 1, 'run_started')],
            audit: [{ at: 1, actor: 'test', action: 'created', runId: run.id, target: null, data: {} }],
            at: 1,
          }),
        ),
      );
      const sent = store.createGroup.stats.statements - before.statements;
      assert.equal(store.createGroup.stats.batches - before.batches, all.length);
      assert.ok(sent < all.length, `${all.length} creates took ${sent} statements`);
      for (const [i, run] of fresh.entries()) {
        assert.equal(out[i]!.created, true);
        const snap = (await store.loadRun(run.id))!;
        assert.deepEqual(snap.run, run);
        assert.equal(snap.steps.length, 1);
        assert.equal((await store.listAudit({ runId: run.id })).length, 1);
      }
      // One twin is created, the other answers with it; the known key answers with the run it names.
      const [a, b] = [out[6]!, out[7]!];
      assert.equal([a.created, b.created].filter(Boolean).length, 1);
      assert.equal(a.run.id, b.run.id);
      const loser = a.created ? twins[1]! : twins[0]!;
      assert.deepEqual([out[8]!.created, out[8]!.run.id], [false, known.id]);
      for (const run of [loser, again]) {
        assert.equal(await store.loadRun(run.id), undefined, 'nothing of a run that was not created');
        assert.equal((await store.listAudit({ runId: run.id })).length, 0);
      }
    } finally {
      await store.close();
    }
  });

  it('a batch Postgres refuses fails alone: the rest of its group is written', async () => {
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    await store.init();
    try {
      const runs = Array.from({ length: 5 }, () => newRun());
      for (const run of runs) {
        await store.createRun(run, { steps: [step(run.id, 1, 'run_started')], at: 1 });
      }
      // A step time that is not a number reaches Postgres as NULL and breaks steps.at NOT NULL: the
      // group's one statement fails as a whole, and each batch is sent again on its own.
      const results = await Promise.allSettled(
        runs.map((run, i) =>
          store.commit({
            runId: run.id,
            expectSeq: 1,
            steps: [{ ...step(run.id, 2), ...(i === 3 ? { at: Number.NaN } : {}) }],
            at: 5,
          }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
      );
      const err = (results[3] as PromiseRejectedResult).reason;
      assert.equal(err.code, 'STORE_ERROR');
      assert.match(err.message, /committing steps failed: .*null value in column "at"/);
      for (const [i, run] of runs.entries()) {
        assert.equal((await store.loadRun(run.id))!.steps.length, i === 3 ? 1 : 2);
      }
    } finally {
      await store.close();
    }
  });

  it('refuses a schema migrated by a newer nightshift, and changes nothing', async () => {
    const own = freshSchema();
    const first = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema: own });
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema: own });
    try {
      await first.init();
      await (first as unknown as { db: { q(w: string, s: string): Promise<unknown> } }).db.q(
        'future',
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)",
      );
      await assert.rejects(store.init(), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'STORE_ERROR');
        assert.match(
          err.message,
          new RegExp(`"${own}" has schema migration 999, newer .*upgrade nightshift`),
        );
        return true;
      });
    } finally {
      await store.close();
      await first.close();
      await dropSchema(own);
    }
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
      await (other as unknown as { db: { q(w: string, s: string): Promise<unknown> } }).db.q(
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
      databaseUrl: TEST_DATABASE_URL,
      env: { ...process.env, NIGHTSHIFT_DATABASE_SCHEMA: schema },
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
