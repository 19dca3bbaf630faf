// Durability of the claim before a side effect on the embedded store (decision 001): the store runs
// synchronous=NORMAL, where a commit survives a process crash but not a power cut until the next
// checkpoint; the commit that claims a non-idempotent call settles only after an fsync of the WAL begun
// after its COMMIT (wal-sync.ts), shared by the claims committed meanwhile; an in-memory database, with
// no WAL file to sync, commits such a write at synchronous=FULL instead.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { GroupCommit } from '../../src/store/sqlite/group-commit.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { openDatabase } from '../../src/store/sqlite/open.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

// PRAGMA synchronous values.
const NORMAL = 1;
const FULL = 2;

describe('durable claims on the embedded store', () => {
  const cleanups: (() => void)[] = [];
  after(() => {
    for (const c of cleanups) c();
  });

  const openGroup = (): { db: ReturnType<typeof openDatabase>; group: GroupCommit; path: string } => {
    const dir = tempDir('nightshift-durable-');
    cleanups.push(dir.cleanup);
    const path = join(dir.path, 'nightshift.db');
    const db = openDatabase(path);
    return { db, group: new GroupCommit(db, path), path };
  };

  it('settles a durable write only after an fsync of the WAL, and commits every write at NORMAL', async () => {
    const { db, group } = openGroup();
    try {
      const level = () => db.pragma('synchronous', { simple: true }) as number;
      assert.equal(await group.write('plain', level), NORMAL);
      assert.deepEqual(group.syncStats, { fsyncs: 0, writes: 0 }, 'a plain write syncs nothing');
      assert.equal(await group.write('claim', level, true), NORMAL, 'the COMMIT itself does not fsync');
      assert.deepEqual(group.syncStats, { fsyncs: 1, writes: 1 }, 'the claim settled after its fsync');
      // In one group: the plain write settles at COMMIT, the claim only once its fsync ended.
      const order: string[] = [];
      await Promise.all([
        group.write('claim', () => 0, true).then(() => order.push('claim')),
        group.write('plain', () => 0).then(() => order.push('plain')),
      ]);
      assert.deepEqual(order, ['plain', 'claim']);
      assert.deepEqual(group.stats, { transactions: 3, synced: 2 });
    } finally {
      await group.close();
      db.close();
    }
  });

  it('shares one fsync among the claims committed while it runs', async () => {
    const { db, group } = openGroup();
    try {
      // 20 claims issued in one tick: one transaction, one fsync for all of them.
      await Promise.all(Array.from({ length: 20 }, (_, i) => group.write(`claim ${i}`, () => i, true)));
      assert.deepEqual(group.syncStats, { fsyncs: 1, writes: 20 });
      // Claims issued in successive ticks while an fsync is in flight wait for the next one, together.
      const claims: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        claims.push(group.write(`claim ${i}`, () => i, true));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(claims);
      const { fsyncs, writes } = group.syncStats;
      assert.equal(writes, 40);
      assert.ok(fsyncs >= 2 && fsyncs <= 21, `between 2 and 21 fsyncs, saw ${fsyncs}`);
    } finally {
      await group.close();
      db.close();
    }
  });

  it('fails a durable write whose WAL cannot be synced, and every later one (fails closed)', async () => {
    const { db, group, path } = openGroup();
    try {
      await group.write('plain', () => 0);
      // The WAL file vanishes under the store (SQLite keeps its own descriptor): it cannot be synced.
      rmSync(`${path}-wal`);
      await assert.rejects(
        group.write('claim of notify', () => 0, true),
        (err: Error) => {
          assert.match(err.message, /claim of notify \(syncing the WAL to disk after COMMIT\)/);
          return true;
        },
      );
      await assert.rejects(
        group.write('a later claim', () => 0, true),
        /a later claim/,
      );
      assert.equal(await group.write('plain again', () => 7), 7, 'writes that need no fsync go on');
    } finally {
      await group.close();
      db.close();
    }
  });

  it('commits a durable write at synchronous=FULL in memory, where there is no WAL file to sync', async () => {
    const db = openDatabase(':memory:');
    const group = new GroupCommit(db, ':memory:');
    try {
      const level = () => db.pragma('synchronous', { simple: true }) as number;
      assert.equal(await group.write('claim', level, true), FULL);
      assert.equal(level(), NORMAL, 'the connection went back to NORMAL');
      assert.equal(await group.write('plain', level), NORMAL);
    } finally {
      await group.close();
      db.close();
    }
  });

  const runRole = async (
    tool: string,
  ): Promise<{ synced: number; transactions: number; fsyncs: number; r: TestRole }> => {
    const r = writeTestRole({
      autonomy: 'full',
      tools: [tool],
      turns: [
        { call: tool, args: { entry: 'one' } },
        { call: tool, args: { entry: 'two' } },
        { final: { summary: 'ok' } },
      ],
    });
    cleanups.push(r.cleanup);
    const store = openSqliteStore({ dataDir: r.dataDir });
    const rt = await createRuntime({ store });
    try {
      assert.equal((await rt.run(r.file, {})).status, 'succeeded');
      assert.equal(r.ledger().length, 2);
      return { ...store.commitStats, fsyncs: store.walSyncStats.fsyncs, r };
    } finally {
      await rt.close();
    }
  };

  it('syncs the commit that claims each non-idempotent call, and only those', async () => {
    const plain = await runRole('ledger.append');
    assert.equal(plain.synced, 2, 'one synced commit per claim of ledger.append (not idempotent)');
    assert.equal(plain.fsyncs, 2, 'each claim waited for its own fsync (one run: nothing to share)');
    assert.ok(plain.transactions > plain.synced, 'the other commits stay at NORMAL');
  });

  it('does not sync claims of idempotent calls (re-running them under their key is safe)', async () => {
    const idempotent = await runRole('ledger.append_once');
    assert.equal(idempotent.synced, 0);
    assert.equal(idempotent.fsyncs, 0);
  });
});
