// Durability of the claim before a side effect on the embedded store (decision 001): the store runs
// synchronous=NORMAL, where a commit survives a process crash but not a power cut until the next
// checkpoint; the commit that claims a non-idempotent call settles only after an fsync of the WAL begun
// after its COMMIT (wal-sync.ts), shared by the claims committed meanwhile; an in-memory database, with
// no WAL file to sync, commits such a write at synchronous=FULL instead.
import assert from 'node:assert/strict';
import {
  closeSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { GroupCommit } from '../../src/store/sqlite/group-commit.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { openDatabase } from '../../src/store/sqlite/open.js';
import { startApi } from '../support/api.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

// PRAGMA synchronous values.
const NORMAL = 1;
const FULL = 2;

/**
 * Makes the next fsync of the WAL fail for real (EBADF from the kernel): closes the read-only descriptor
 * wal-sync.ts holds on the WAL (SQLite's own is read-write and stays). Without root there is no disk to
 * fail under us, and a test-only hook would not exercise the real fdatasync.
 */
function closeWalSyncDescriptor(walPath: string): void {
  const target = realpathSync(walPath);
  const mine = readdirSync('/proc/self/fd').filter((fd) => {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== target) return false;
      const flags = /flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      return flags !== undefined && (Number.parseInt(flags, 8) & 3) === 0; // O_RDONLY
    } catch {
      return false;
    }
  });
  assert.equal(mine.length, 1, `one read-only descriptor on ${target}`);
  closeSync(Number(mine[0]));
}

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
      await group.write('first claim', () => 0, true);
      // The descriptor the fsync uses goes bad under the store: the next fdatasync fails (EBADF).
      closeWalSyncDescriptor(`${path}-wal`);
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

  it('says the store is not ready once an fsync of the WAL failed, until it is reopened', async () => {
    const r = writeTestRole({ autonomy: 'full', tools: [], turns: [{ final: { summary: 'ok' } }] });
    cleanups.push(r.cleanup);
    const store = openSqliteStore({ dataDir: r.dataDir });
    const api = await startApi({ roleFiles: [r.file], runtime: { store }, callers: {}, token: '' });
    const heard: unknown[] = [];
    store.watchHealth((health) => heard.push(health.code));
    const readyz = async () => {
      const res = await fetch(`${api.url}/readyz`);
      return { status: res.status, body: await res.json() };
    };
    try {
      await store.write('claim', () => 0, true);
      assert.deepEqual(store.health(), { ok: true });
      assert.equal((await readyz()).status, 200);
      closeWalSyncDescriptor(`${store.path}-wal`);
      await assert.rejects(
        store.write('claim of notify', () => 0, true),
        /syncing the WAL/,
      );
      const health = store.health();
      assert.equal(health.ok, false);
      assert.equal(health.code, 'WAL_SYNC_FAILED');
      assert.match(health.reason ?? '', /reopened/);
      assert.deepEqual(heard, ['WAL_SYNC_FAILED'], 'the flip is heard once');
      assert.deepEqual(await readyz(), { status: 503, body: { ready: false, store: 'WAL_SYNC_FAILED' } });
      // Plain writes still commit; they do not make the store ready again (the disk-full outage would).
      await store.write('plain', () => 0);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(store.health().code, 'WAL_SYNC_FAILED');
      assert.equal((await readyz()).status, 503);
      // The daemon's worker claims nothing meanwhile (it polls every 20 ms): the run stays queued.
      const queued = await api.rt.enqueue(api.roles[0]!, {});
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await store.getRun(queued.runId))?.status, 'queued');
    } finally {
      await api.close();
    }
    const again = openSqliteStore({ dataDir: r.dataDir });
    await again.init();
    try {
      await again.write('claim after reopening', () => 0, true);
      assert.deepEqual(again.health(), { ok: true });
    } finally {
      await again.close();
    }
  });

  it('syncs the WAL SQLite named after the resolved file when the database path is a symlink', async () => {
    const dir = tempDir('nightshift-durable-');
    cleanups.push(dir.cleanup);
    mkdirSync(join(dir.path, 'real'));
    const real = join(dir.path, 'real', 'nightshift.db');
    const alias = join(dir.path, 'alias.db');
    symlinkSync(real, alias);
    const db = openDatabase(alias);
    const group = new GroupCommit(db, alias);
    try {
      assert.equal(group.walFile?.path, `${realpathSync(real)}-wal`);
      // With a guessed `${alias}-wal` (no such file) every claim failed with ENOENT.
      assert.equal(await group.write('claim', () => 3, true), 3);
      assert.equal(await group.write('claim again', () => 4, true), 4);
      assert.deepEqual(group.syncStats, { fsyncs: 2, writes: 2 });
      assert.equal(
        group.walFile?.directorySyncs,
        1,
        "the WAL's directory was synced once, when it was opened",
      );
    } finally {
      await group.close();
      db.close();
    }
    // Opened again, the WAL exists already: its descriptor is opened, and its directory synced, at once.
    const db2 = openDatabase(alias);
    const group2 = new GroupCommit(db2, alias);
    try {
      assert.equal(group2.walFile?.directorySyncs, 1);
      assert.equal(await group2.write('claim', () => 5, true), 5);
    } finally {
      await group2.close();
      db2.close();
    }
  });

  it('syncs the same WAL after the cwd moves, for a database opened by a relative path', async () => {
    const dir = tempDir('nightshift-durable-');
    const elsewhere = tempDir('nightshift-elsewhere-');
    cleanups.push(dir.cleanup, elsewhere.cleanup);
    const cwd = process.cwd();
    process.chdir(dir.path);
    const db = openDatabase('relative.db');
    const group = new GroupCommit(db, 'relative.db');
    try {
      // A stale file at the name a guess would give after the move: it must not be synced instead.
      process.chdir(elsewhere.path);
      writeFileSync('relative.db-wal', 'stale');
      assert.equal(await group.write('claim', () => 1, true), 1);
      assert.equal(group.walFile?.path, join(realpathSync(dir.path), 'relative.db-wal'));
    } finally {
      process.chdir(cwd);
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
      await store.close();
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
