// A cron tick that meets a store outage (the database cut, the disk full) is enqueued once the store is
// back, under the same key, instead of being lost; any other failure is reported once and not retried.
// The tick's `fire` is the daemon's enqueue; here it fails the way the store fails during an outage.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NightshiftError } from '../../src/errors.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { startCronTriggers } from '../../src/triggers/cron.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();

async function yearly() {
  // Next tick months away: the only tick in the test is the catch-up one, fired at start.
  const r = role({
    name: 'reporter',
    autonomy: 'observe',
    tools: [],
    ledgerTools: false,
    turns: [{ final: {} }],
    extra: { triggers: [{ cron: { schedule: '0 0 1 1 *', timezone: 'UTC', catchUp: true } }] },
  });
  return loadRoleFile(r.file);
}

const unreachable = () =>
  new NightshiftError('STORE_ERROR', 'the database could not be reached', {
    details: { connectionLost: true },
  });

describe('cron ticks during a store outage', () => {
  it('are enqueued once the store is back, under the tick key', async () => {
    const r = await yearly();
    const keys: string[] = [];
    let failures = 0;
    const errors: unknown[] = [];
    const cron = startCronTriggers({
      roles: [r],
      busy: async () => false,
      fire: async (_role, _tick, key) => {
        keys.push(key);
        if (failures++ < 2) throw unreachable();
      },
      onError: (err) => errors.push(err),
      retryMs: 50,
    });
    try {
      await waitFor(async () => (keys.length >= 3 ? true : undefined), 'the tick enqueued after the outage');
      assert.equal(new Set(keys).size, 1, `one tick, tried again under its key: ${keys.join(', ')}`);
      assert.match(keys[0]!, /^cron:reporter:\d{4}-01-01T00:00:00\.000Z$/);
      assert.equal(errors.length, 2);
      await sleep(300);
      assert.equal(keys.length, 3, 'not tried again once enqueued');
    } finally {
      cron.stop();
    }
  });

  it('a failure that is not an outage is reported once, not retried', async () => {
    const r = await yearly();
    let calls = 0;
    const errors: unknown[] = [];
    const cron = startCronTriggers({
      roles: [r],
      busy: async () => false,
      fire: async () => {
        calls++;
        throw new NightshiftError('INPUT_INVALID', 'the role takes another input');
      },
      onError: (err) => errors.push(err),
      retryMs: 20,
    });
    try {
      await waitFor(async () => (errors.length >= 1 ? true : undefined), 'the failure reported');
      await sleep(300);
      assert.equal(calls, 1);
      assert.equal(errors.length, 1);
    } finally {
      cron.stop();
    }
  });
});
