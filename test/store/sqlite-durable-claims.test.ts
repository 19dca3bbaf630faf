// Durability of the claim before a side effect on the embedded store (decision 001): the store runs
// synchronous=NORMAL, where a commit survives a process crash but not a power cut until the next
// checkpoint; the commit that claims a non-idempotent call settles only after the WAL is fsynced (off the
// event loop, decision 040), so the claim cannot vanish while the call happened.
import assert from 'node:assert/strict';
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

  it('settles a durable write (and its whole group) only after an fsync of the WAL that followed its COMMIT', async () => {
    const dir = tempDir('nightshift-durable-');
    cleanups.push(dir.cleanup);
    const path = join(dir.path, 'nightshift.db');
    const db = openDatabase(path);
    try {
      const group = new GroupCommit(db, path);
      assert.ok(group.walSync, 'the store runs in WAL mode, so the WAL is what is synced');
      const syncs = () => group.walSync!.stats.syncs;
      // Each write reads the level its own transaction commits at, and is seen settling with the syncs done.
      const level = () => db.pragma('synchronous', { simple: true }) as number;
      const write = (what: string, durable = false) =>
        group.write(what, level, durable).then((l) => ({ level: l, syncs: syncs() }));
      assert.deepEqual(await write('plain'), { level: NORMAL, syncs: 0 }, 'a plain write waits for no fsync');
      assert.deepEqual(await write('claim', true), { level: NORMAL, syncs: 1 });
      // Issued in the same tick: one transaction, both settled after the sync one of them needs.
      const together = await Promise.all([write('a'), write('b', true)]);
      assert.deepEqual(together, [
        { level: NORMAL, syncs: 2 },
        { level: NORMAL, syncs: 2 },
      ]);
      assert.deepEqual(await write('plain again'), { level: NORMAL, syncs: 2 });
      assert.deepEqual(group.stats, { transactions: 4, synced: 2 });
      // Durable groups committed in separate ticks while a sync runs share the next one: never more syncs
      // than groups, and every one of them settled after a sync.
      const many = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          new Promise((r) => setImmediate(r)).then(() => write(`c${i}`, true)),
        ),
      );
      assert.ok(many.every((m) => m.syncs > 2));
      assert.ok(syncs() <= 2 + 5);
      await group.drain();
    } finally {
      db.close();
    }
  });

  it('without a WAL (another journal mode), commits a durable group at synchronous=FULL', async () => {
    const dir = tempDir('nightshift-durable-');
    cleanups.push(dir.cleanup);
    const path = join(dir.path, 'nightshift.db');
    const db = openDatabase(path);
    try {
      db.pragma('journal_mode = DELETE');
      const group = new GroupCommit(db, path);
      assert.equal(group.walSync, undefined);
      const level = () => db.pragma('synchronous', { simple: true }) as number;
      assert.equal(await group.write('plain', level), NORMAL);
      assert.equal(await group.write('claim', level, true), FULL);
      assert.equal(level(), NORMAL, 'the connection went back to NORMAL');
    } finally {
      db.close();
    }
  });

  const runRole = async (tool: string): Promise<{ synced: number; transactions: number; r: TestRole }> => {
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
      return { ...store.commitStats, r };
    } finally {
      await rt.close();
    }
  };

  it('syncs the commit that claims each non-idempotent call, and only those', async () => {
    const plain = await runRole('ledger.append');
    assert.equal(plain.synced, 2, 'one synced commit per claim of ledger.append (not idempotent)');
    assert.ok(plain.transactions > plain.synced, 'the other commits stay at NORMAL');
  });

  it('does not sync claims of idempotent calls (re-running them under their key is safe)', async () => {
    const idempotent = await runRole('ledger.append_once');
    assert.equal(idempotent.synced, 0);
  });
});
