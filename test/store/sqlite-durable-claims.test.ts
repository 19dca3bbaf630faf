// Durability of the claim before a side effect on the embedded store (decision 001): the store runs
// synchronous=NORMAL, where a commit survives a process crash but not a power cut until the next
// checkpoint; the commit that claims a non-idempotent call runs at synchronous=FULL (the WAL is fsynced
// before COMMIT returns), so the claim cannot vanish while the call happened.
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

  it('commits a durable write (and its whole group) at synchronous=FULL, the rest at NORMAL', async () => {
    const dir = tempDir('nightshift-durable-');
    cleanups.push(dir.cleanup);
    const path = join(dir.path, 'nightshift.db');
    const db = openDatabase(path);
    try {
      const group = new GroupCommit(db, path);
      // Each write reads the level its own transaction will commit at.
      const level = () => db.pragma('synchronous', { simple: true }) as number;
      assert.equal(await group.write('plain', level), NORMAL);
      assert.equal(await group.write('claim', level, true), FULL);
      // Issued in the same tick: one transaction, synced because one of its writes must be.
      const together = await Promise.all([group.write('a', level), group.write('b', level, true)]);
      assert.deepEqual(together, [FULL, FULL]);
      assert.equal(level(), NORMAL, 'the connection went back to NORMAL');
      assert.equal(await group.write('plain again', level), NORMAL);
      assert.deepEqual(group.stats, { transactions: 4, synced: 2 });
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
