// Background checkpoints of the embedded store (long-running services): the committing connection never
// checkpoints while the thread keeps up, the data reaches the database file anyway, an overloaded WAL is
// bounded by checkpointing inline again, and a dead thread hands checkpoints back to the committing thread.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import { createRuntime } from '../../src/runtime.js';
import { BackgroundCheckpointer } from '../../src/store/sqlite/checkpointer.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/index.js';
import { AUTOCHECKPOINT_PAGES, openDatabase } from '../../src/store/sqlite/open.js';
import { newRun } from '../contract/store.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const autocheckpoint = (store: { db: SqliteStore['db'] }) =>
  store.db.pragma('wal_autocheckpoint', { simple: true }) as number;

/** About `runs` × 2 KB of WAL. */
async function writeRuns(store: SqliteStore, runs: number): Promise<void> {
  const pad = 'x'.repeat(2000);
  await Promise.all(
    Array.from({ length: runs }, () => {
      const run = newRun();
      return store.createRun(run, {
        steps: [{ runId: run.id, seq: 1, kind: 'run_started', at: 1, data: { pad } }],
        at: 1,
      });
    }),
  );
}

describe('SQLite background checkpoints', () => {
  const dirs: { cleanup(): void }[] = [];
  const dir = () => {
    const d = tempDir('nightshift-checkpoints-');
    dirs.push(d);
    return d.path;
  };
  after(() => {
    for (const d of dirs) d.cleanup();
  });

  it('copies the WAL into the database file from the thread; the committing connection never does', async () => {
    const data = dir();
    const store = openSqliteStore({ dataDir: data, backgroundCheckpoints: true });
    await store.init();
    try {
      assert.equal(autocheckpoint(store), 0);
      const file = join(data, 'nightshift.db');
      const before = statSync(file).size;
      await writeRuns(store, 2000); // ~4 MB: far below the automatic threshold of 40 MB
      const passes = store.checkpointer!.stats.passes;
      await waitFor(
        async () => (store.checkpointer!.stats.passes >= passes + 2 ? true : undefined),
        'two checkpoint passes',
      );
      assert.ok(
        statSync(file).size > before + 2_000_000,
        `database file grew from ${before} to ${statSync(file).size} bytes`,
      );
      assert.equal(store.checkpointer!.failure, undefined);
    } finally {
      await store.close();
    }
  });

  it('without it (CLI processes) the same writes stay in the WAL until the automatic threshold', async () => {
    const data = dir();
    const store = openSqliteStore({ dataDir: data });
    await store.init();
    try {
      assert.equal(autocheckpoint(store), AUTOCHECKPOINT_PAGES);
      assert.equal(store.checkpointer, undefined);
      const file = join(data, 'nightshift.db');
      const before = statSync(file).size;
      await writeRuns(store, 2000);
      await sleep(600);
      assert.ok(statSync(file).size < before + 1_000_000);
    } finally {
      await store.close();
    }
  });

  it('bounds a WAL the thread cannot rewind: past the limit the committing connection checkpoints too', async () => {
    // Writes with no pause between them: a checkpoint on another connection never sees the WAL complete,
    // so SQLite never starts it over, and without the limit it grows for as long as the writes go on.
    const path = join(dir(), 'overload.db');
    const db = openDatabase(path);
    db.exec('CREATE TABLE t (v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const limitPages = 500;
    const cp = new BackgroundCheckpointer(db, path, { intervalMs: 5, limitPages });
    try {
      const pad = 'y'.repeat(4000);
      let sawInline = false;
      let largestWal = 0;
      for (let i = 0; i < 40 && !sawInline; i++) {
        // A burst on the event loop (the thread's passes run meanwhile), then the per-commit check.
        const until = Date.now() + 50;
        while (Date.now() < until) insert.run(pad);
        cp.beforeCommit();
        sawInline ||= db.pragma('wal_autocheckpoint', { simple: true }) === AUTOCHECKPOINT_PAGES;
        largestWal = Math.max(largestWal, statSync(`${path}-wal`).size);
        await sleep(1);
      }
      assert.ok(sawInline, `the WAL never reached ${limitPages} pages (largest ${largestWal} bytes)`);
      // The burst ends: the WAL is copied back, the next commit starts it over, and the committing
      // connection stops checkpointing.
      await waitFor(async () => {
        insert.run('after the burst');
        cp.beforeCommit();
        return db.pragma('wal_autocheckpoint', { simple: true }) === 0 ? true : undefined;
      }, 'inline checkpoints to be switched off again');
    } finally {
      await cp.stop();
      db.close();
    }
  });

  it('hands checkpoints back to the committing connection when the thread dies, then restarts it', async () => {
    const data = dir();
    const store = openSqliteStore({ dataDir: data, backgroundCheckpoints: true });
    await store.init();
    try {
      assert.equal(autocheckpoint(store), 0);
      const { worker } = store.checkpointer as unknown as { worker: Worker };
      worker.ref(); // keeps the event loop alive until it has exited
      await worker.terminate();
      await waitFor(async () => store.checkpointer!.failure, 'the failure to be noticed');
      assert.match(store.checkpointer!.failure!, /checkpoint thread exited with code/);
      assert.equal(autocheckpoint(store), AUTOCHECKPOINT_PAGES);
      // Commits keep working, and the per-commit check leaves the automatic checkpoint on.
      await writeRuns(store, 10);
      assert.equal(autocheckpoint(store), AUTOCHECKPOINT_PAGES);
      // A new thread is started after a backoff and checkpoints again.
      await waitFor(async () => (store.checkpointer!.restarts === 1 ? true : undefined), 'the restart');
      const passes = store.checkpointer!.stats.passes;
      await waitFor(
        async () => (store.checkpointer!.stats.passes > passes ? true : undefined),
        'a pass of the new thread',
      );
      assert.equal(store.checkpointer!.failure, undefined);
    } finally {
      await store.close();
    }
  });

  it('a runtime opened as a service (nightshift serve) checkpoints in the background; others do not', async () => {
    const service = await createRuntime({ dataDir: dir(), service: true });
    const cli = await createRuntime({ dataDir: dir() });
    try {
      assert.ok((service.store as SqliteStore).checkpointer);
      assert.equal((cli.store as SqliteStore).checkpointer, undefined);
    } finally {
      await service.close();
      await cli.close();
    }
  });
});
