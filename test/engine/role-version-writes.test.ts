// A role version is written once per store, however many runs start at once: runs started while its first
// write is in flight wait for that write instead of sending their own (a burst of events into a fresh
// worker sent one write per run until the first answer came back; bench/README.md, 2026-12-02 perfpg).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { RoleVersionRecord, Store } from '../../src/store/types.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

/** The real store, counting the role-version writes it is asked for (and failing the first `failing`). */
function counting(store: Store, failing = 0): { store: Store; writes: () => number } {
  let writes = 0;
  const put = store.putRoleVersion.bind(store);
  const counted = new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'putRoleVersion')
        return async (r: RoleVersionRecord) => {
          writes++;
          // Answer after a real turn of the event loop, as a database would.
          await new Promise((resolve) => setTimeout(resolve, 5));
          if (writes <= failing) throw new Error('the database is away');
          return put(r);
        };
      const v = Reflect.get(target, key, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { store: counted, writes: () => writes };
}

describe('role version writes', () => {
  it('20 runs enqueued at once write their role version once, and it is stored', async () => {
    const r = role({ autonomy: 'full', turns: [{ final: { ok: true } }] });
    const real = openSqliteStore({ dataDir: r.dataDir });
    const { store, writes } = counting(real);
    const rt = await createRuntime({ store });
    try {
      const loaded = await loadRoleFile(r.file);
      const runs = await Promise.all(Array.from({ length: 20 }, () => rt.enqueue(loaded, {})));
      assert.equal(runs.length, 20);
      assert.equal(writes(), 1, 'one write for the version, not one per run');
      assert.ok(await real.getRoleVersion(loaded.name, loaded.version), 'the version is stored');
    } finally {
      await rt.close();
      await real.close();
    }
  });

  it('a failed write fails the runs that waited on it, and the next run writes again', async () => {
    const r = role({ autonomy: 'full', turns: [{ final: { ok: true } }] });
    const real = openSqliteStore({ dataDir: r.dataDir });
    const { store, writes } = counting(real, 1);
    const rt = await createRuntime({ store });
    try {
      const loaded = await loadRoleFile(r.file);
      const first = await Promise.allSettled(Array.from({ length: 5 }, () => rt.enqueue(loaded, {})));
      assert.deepEqual(
        first.map((s) => s.status),
        ['rejected', 'rejected', 'rejected', 'rejected', 'rejected'],
      );
      assert.equal(writes(), 1);
      const queued = await rt.enqueue(loaded, {});
      assert.ok(queued);
      assert.equal(writes(), 2, 'written again after the failure');
      assert.ok(await real.getRoleVersion(loaded.name, loaded.version));
    } finally {
      await rt.close();
      await real.close();
    }
  });
});
