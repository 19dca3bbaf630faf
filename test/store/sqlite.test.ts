// The embedded SQLite store: the shared contract on a temp file, plus what is specific to one file that
// several stores and processes share (fencing across connections, concurrent migration, WAL, locking).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { resolveDataDir } from '../../src/store/data-dir.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { migrations } from '../../src/store/sqlite/migrations.js';
import type { CommitBatch, RunRecord } from '../../src/store/types.js';
import { describeStoreContract, newRun, step } from '../contract/store.js';
import { tempDir } from '../support/tmp.js';

describeStoreContract('sqlite', async () => {
  const tmp = tempDir('nightshift-store-');
  const path = join(tmp.path, 'data', 'nightshift.db');
  let store = openSqliteStore({ path });
  return {
    get store() {
      return store;
    },
    reopen: async () => {
      await store.close();
      store = openSqliteStore({ path });
      return store;
    },
    cleanup: async () => tmp.cleanup(),
  };
});

const STORE_MODULE = fileURLToPath(new URL('../../src/store/sqlite/index.js', import.meta.url));

/** Runs an ES module snippet in a fresh node process; `STORE` is the compiled store module's path. */
function node(
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, STORE_MODULE, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function createOne(store: ReturnType<typeof openSqliteStore>, over: Partial<RunRecord> = {}) {
  const run = newRun(over);
  await store.createRun(run, { steps: [step(run.id, 1, 'run_started')], at: 1 });
  return run;
}

const next = (run: RunRecord, expectSeq: number, data: Record<string, unknown> = {}): CommitBatch => ({
  runId: run.id,
  expectSeq,
  steps: [step(run.id, expectSeq + 1, 'decision', data)],
  at: 2,
});

describe('sqlite store specifics', () => {
  const tmp = tempDir('nightshift-store-');
  after(() => tmp.cleanup());
  let n = 0;
  const dir = () => join(tmp.path, `case-${n++}`);

  it('creates the data dir with its parents and keeps nightshift.db in it', async () => {
    const dataDir = join(dir(), 'deep', 'er');
    const store = openSqliteStore({ dataDir });
    await store.init();
    assert.equal(store.path, join(dataDir, 'nightshift.db'));
    assert.ok(existsSync(join(dataDir, 'nightshift.db')));
    await store.close();
  });

  it('uses WAL, synchronous=NORMAL, a 5 s busy timeout and foreign keys', async () => {
    const store = openSqliteStore({ dataDir: dir() });
    await store.init();
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(store.db.pragma('synchronous', { simple: true }), 1);
    assert.equal(store.db.pragma('busy_timeout', { simple: true }), 5000);
    assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
    await store.close();
  });

  it('records each migration once, and init() twice changes nothing', async () => {
    const store = openSqliteStore({ dataDir: dir() });
    await store.init();
    await store.init();
    const rows = store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    assert.deepEqual(
      rows,
      migrations.map((m) => m.version),
    );
    await store.close();
  });

  it('migrates safely when several processes open a fresh file at the same moment', async () => {
    const path = join(dir(), 'nightshift.db');
    const script = `
      const { openSqliteStore } = await import(process.argv[1]);
      const store = openSqliteStore({ path: process.argv[2] });
      await store.init();
      await store.close();
    `;
    const results = await Promise.all(Array.from({ length: 4 }, () => node(script, [path])));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const db = new Database(path, { readonly: true });
    assert.deepEqual(
      db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(),
      migrations.map((m) => m.version),
    );
    db.close();
  });

  it('refuses a database migrated by a newer nightshift', async () => {
    const path = join(dir(), 'nightshift.db');
    const first = openSqliteStore({ path });
    await first.init();
    first.db
      .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)")
      .run();
    await first.close();
    const store = openSqliteStore({ path });
    await assert.rejects(store.init(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'STORE_ERROR');
      assert.match(err.message, /999.*upgrade nightshift/);
      return true;
    });
    await store.close();
  });

  it('two stores on one file: a seq race has exactly one winner, the other gets STORE_CONFLICT', async () => {
    const dataDir = dir();
    const a = openSqliteStore({ dataDir });
    const b = openSqliteStore({ dataDir });
    await Promise.all([a.init(), b.init()]);
    const run = await createOne(a);
    const results = await Promise.allSettled([
      a.commit(next(run, 1, { by: 'a' })),
      b.commit(next(run, 1, { by: 'b' })),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal(rejected.reason.code, 'STORE_CONFLICT');
    const seen = await b.loadRun(run.id);
    assert.equal(seen?.steps.length, 2);
    assert.deepEqual(await a.loadRun(run.id), seen);
    await a.close();
    await b.close();
  });

  it('two processes advancing the same runs: every seq is written exactly once', async () => {
    const path = join(dir(), 'nightshift.db');
    const store = openSqliteStore({ path });
    await store.init();
    const runs = [await createOne(store), await createOne(store)];
    // Each process reads a run's seq and tries to commit the next step, over and over: a lost race
    // shows up as STORE_CONFLICT, never as a duplicate or a gap.
    const script = `
      const { openSqliteStore } = await import(process.argv[1]);
      const [, , path, who, ...ids] = process.argv;
      const store = openSqliteStore({ path });
      await store.init();
      let won = 0, lost = 0;
      for (let i = 0; i < 150; i++) {
        for (const id of ids) {
          const seq = (await store.getRun(id)).seq;
          try {
            await store.commit({ runId: id, expectSeq: seq, at: i,
              steps: [{ runId: id, seq: seq + 1, kind: 'decision', at: i, data: { who } }] });
            won++;
          } catch (err) {
            if (err.code !== 'STORE_CONFLICT') throw err;
            lost++;
          }
        }
      }
      await store.close();
      console.log(JSON.stringify({ won, lost }));
    `;
    const ids = runs.map((r) => r.id);
    const results = await Promise.all(['p1', 'p2'].map((who) => node(script, [path, who, ...ids])));
    let won = 0;
    for (const r of results) {
      assert.equal(r.code, 0, r.stderr);
      won += JSON.parse(r.stdout).won;
    }
    let steps = 0;
    for (const run of runs) {
      const snap = await store.loadRun(run.id);
      assert.ok(snap);
      assert.deepEqual(
        snap.steps.map((s) => s.seq),
        Array.from({ length: snap.run.seq }, (_, i) => i + 1),
      );
      steps += snap.steps.length - 1;
    }
    assert.equal(steps, won);
    await store.close();
  });

  it('keeps every write across closing and opening the file again', async () => {
    const dataDir = dir();
    const first = openSqliteStore({ dataDir });
    await first.init();
    const run = await createOne(first);
    await first.commit({ ...next(run, 1), run: { status: 'succeeded', output: { ok: '✓' } } });
    await first.close();
    const second = openSqliteStore({ dataDir });
    await second.init();
    const got = await second.getRun(run.id);
    assert.deepEqual([got?.seq, got?.status, got?.output], [2, 'succeeded', { ok: '✓' }]);
    await second.close();
  });

  it('a read sees every write issued before it, even one not awaited yet', async () => {
    const store = openSqliteStore({ dataDir: dir() });
    await store.init();
    const run = await createOne(store);
    const pending = store.commit(next(run, 1));
    assert.equal((await store.getRun(run.id))?.seq, 2);
    await pending;
    await store.close();
  });

  it('close() settles the writes still queued, and they are on disk', async () => {
    const dataDir = dir();
    const store = openSqliteStore({ dataDir });
    await store.init();
    const run = await createOne(store);
    const pending = store.commit(next(run, 1));
    await store.close();
    await pending;
    const again = openSqliteStore({ dataDir });
    await again.init();
    assert.equal((await again.getRun(run.id))?.seq, 2);
    await again.close();
  });

  it('wraps a lock held past the busy timeout as STORE_ERROR naming what was being done, then recovers', async () => {
    const path = join(dir(), 'nightshift.db');
    const store = openSqliteStore({ path });
    await store.init();
    const run = await createOne(store);
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE'); // another process holding the write lock
    store.db.pragma('busy_timeout = 50');
    const [commit, claim] = await Promise.allSettled([
      store.commit(next(run, 1)),
      store.claimRun(run.id, 'w1', 10, 0),
    ]);
    for (const r of [commit, claim]) {
      assert.equal(r.status, 'rejected');
      const err = (r as PromiseRejectedResult).reason;
      assert.equal(err.code, 'STORE_ERROR');
      assert.equal(err.details.sqliteCode, 'SQLITE_BUSY');
      assert.match(err.message, new RegExp(path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.ok(err.cause);
    }
    assert.match(
      (commit as PromiseRejectedResult).reason.message,
      /committing run .* failed: .*busy timeout/,
    );
    assert.match((claim as PromiseRejectedResult).reason.message, /claiming run /);
    other.exec('ROLLBACK');
    other.close();
    await store.commit(next(run, 1));
    assert.equal((await store.getRun(run.id))?.seq, 2);
    await store.close();
  });

  it('a failing write in a group leaves the others in that group written', async () => {
    const store = openSqliteStore({ dataDir: dir() });
    await store.init();
    const runs = await Promise.all(Array.from({ length: 5 }, () => createOne(store)));
    // Same tick: these share one transaction, each in its own savepoint.
    const results = await Promise.allSettled([
      store.commit(next(runs[0]!, 1)),
      store.commit(next(runs[1]!, 7)), // stale
      store.createRun(runs[2]!, { steps: [step(runs[2]!.id, 1, 'run_started')], at: 1 }), // duplicate id
      store.commit(next(runs[3]!, 1)),
      store.claimRun(runs[4]!.id, 'w1', 10, 0),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code)),
      ['ok', 'STORE_CONFLICT', 'STORE_ERROR', 'ok', 'ok'],
    );
    assert.deepEqual(
      await Promise.all(runs.map(async (r) => (await store.getRun(r.id))?.seq)),
      [2, 1, 1, 2, 1],
    );
    assert.equal((await store.getRun(runs[4]!.id))?.leaseOwner, 'w1');
    await store.close();
  });

  it('says to call init() first when used before it', async () => {
    const store = openSqliteStore({ dataDir: dir() });
    await assert.rejects(store.getRun('x'), { code: 'INTERNAL', message: /init\(\)/ });
    await assert.rejects(store.commit(next(newRun(), 1)), { code: 'INTERNAL' });
    await store.close();
  });

  it('resolves the data dir from the flag, then NIGHTSHIFT_DATA_DIR, then ./.nightshift', () => {
    assert.equal(resolveDataDir('x', { NIGHTSHIFT_DATA_DIR: '/y' }, '/w'), '/w/x');
    assert.equal(resolveDataDir('/abs', { NIGHTSHIFT_DATA_DIR: '/y' }, '/w'), '/abs');
    assert.equal(resolveDataDir(undefined, { NIGHTSHIFT_DATA_DIR: '/y' }, '/w'), '/y');
    assert.equal(resolveDataDir(undefined, { NIGHTSHIFT_DATA_DIR: 'rel' }, '/w'), '/w/rel');
    assert.equal(resolveDataDir(undefined, {}, '/w'), '/w/.nightshift');
  });
});
