// The embedded SQLite store: the shared contract, plus what is specific to one file shared by processes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveDataDir } from '../../src/store/data-dir.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { describeStoreContract, newRun } from '../contract/store.js';
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

describe('sqlite store specifics', () => {
  const tmp = tempDir('nightshift-store-');
  after(() => tmp.cleanup());

  it('two stores on one file: a seq race has exactly one winner', async () => {
    const a = openSqliteStore({ dataDir: tmp.path });
    const b = openSqliteStore({ dataDir: tmp.path });
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
    const results = await Promise.allSettled([a.commit(mk()), b.commit(mk())]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal(rejected.reason.code, 'STORE_CONFLICT');
    assert.equal((await b.loadRun(run.id))!.steps.length, 2);
    await a.close();
    await b.close();
  });

  it('uses WAL with synchronous=NORMAL', async () => {
    const s = openSqliteStore({ dataDir: join(tmp.path, 'wal') });
    await s.init();
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.db.pragma('synchronous', { simple: true }), 1);
    await s.close();
  });

  it('resolves the data dir from the flag, then NIGHTSHIFT_DATA_DIR, then ./.nightshift', () => {
    assert.equal(resolveDataDir('x', { NIGHTSHIFT_DATA_DIR: '/y' }, '/w'), '/w/x');
    assert.equal(resolveDataDir(undefined, { NIGHTSHIFT_DATA_DIR: '/y' }, '/w'), '/y');
    assert.equal(resolveDataDir(undefined, {}, '/w'), '/w/.nightshift');
  });
});
