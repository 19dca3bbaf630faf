// Event subscriptions between processes (src/triggers/subscriptions.ts), on a real SQLite store with a
// clock the test moves: a served role is found by emitters elsewhere with its stored version, a role
// served here is left to the local path, and a subscription nobody renewed within the TTL gets nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRoleFile } from '../../src/roles/load.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { advertise, RemoteListeners, TTL_MS } from '../../src/triggers/subscriptions.js';
import { writeTestRole } from '../support/roles.js';

describe('event subscriptions', () => {
  it('finds the roles live workers serve for an event, and forgets those not renewed within the TTL', async () => {
    const r = writeTestRole({
      name: 'listener',
      autonomy: 'full',
      turns: [{ final: {} }],
      extra: { triggers: [{ event: 'ping' }, { cron: { schedule: '0 * * * *' } }] },
    });
    const store = openSqliteStore({ dataDir: r.dataDir });
    await store.init();
    let now = 1_000_000;
    const clock = { now: () => now };
    const abort = new AbortController();
    try {
      const role = await loadRoleFile(r.file);
      await advertise(store, clock, [role], abort.signal, (err) => {
        throw err;
      });
      assert.deepEqual(await store.listSubscriptions(0), [
        { event: 'ping', role: 'listener', roleVersion: role.version, seenAt: now },
      ]);
      const remote = new RemoteListeners(store, clock);
      const found = await remote.forEvent('ping', () => false);
      assert.deepEqual(
        found.map((x) => [x.name, x.version, x.input, x.model]),
        [[role.name, role.version, role.input, role.model]],
      );
      assert.deepEqual(await remote.forEvent('pong', () => false), []);
      assert.deepEqual(await remote.forEvent('ping', (name) => name === 'listener'), [], 'served here');
      // A rolling upgrade: a worker with a newer version of the role renews too; the newest version
      // stored is the one emitters queue for, whichever worker renewed last.
      const newer = { ...role, version: `${role.version}-next`, instructions: 'newer' };
      await store.putRoleVersion({
        name: role.name,
        version: newer.version,
        spec: { ...newer, inlineTools: undefined },
        createdAt: now + 1,
      });
      await store.putSubscriptions([
        { event: 'ping', role: role.name, roleVersion: newer.version, seenAt: now },
      ]);
      await store.putSubscriptions([
        { event: 'ping', role: role.name, roleVersion: role.version, seenAt: now + 1 },
      ]);
      now += 3_000; // past the emitter's cache
      assert.deepEqual(
        (await remote.forEvent('ping', () => false)).map((x) => x.version),
        [newer.version],
      );
      now += TTL_MS + 5_000; // the workers are gone: they stopped renewing
      assert.deepEqual(await remote.forEvent('ping', () => false), []);
    } finally {
      abort.abort();
      await store.close();
      r.cleanup();
    }
  });
});
