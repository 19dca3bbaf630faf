// An event's idempotency key covers every role that takes the event: a key used before for another
// payload is refused for the whole event, and nothing is recorded for any role. The roles are recorded
// in one write, so a role that comes before the refused one keeps no run the caller was told failed
// (it did: POST /events answered 409 "no run was recorded" and alpha's run was queued anyway).
// Real SQLite file, two runtimes one after the other, as a restarted `serve` that now serves one more
// role; the roles' model is scripted and never answers while the test looks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { writeTestRole } from '../support/roles.js';

describe('an event key reused across several roles', () => {
  it('refuses the whole event, recording nothing for any role, when one role had another payload under it', async () => {
    const role = (name: string) =>
      writeTestRole({
        name,
        autonomy: 'full',
        tools: [],
        ledgerTools: false,
        turns: [{ final: { done: true }, delayMs: 60_000 }],
        extra: { triggers: [{ event: 'ticket.opened' }] },
      });
    const alpha = role('alpha');
    const beta = role('beta');
    const dataDir = alpha.dataDir;
    try {
      // The key's first use: only beta takes the event then.
      const before = await createRuntime({ dataDir });
      const stop = new AbortController();
      const work = before.work({
        roles: [await loadRoleFile(beta.file)],
        concurrency: 1,
        signal: stop.signal,
        stopDriving: stop.signal,
      });
      try {
        const first = await before.emit('ticket.opened', { n: 1 }, { idempotencyKey: 'K1' });
        assert.deepEqual(
          first.map((d) => [d.role, d.created]),
          [['beta', true]],
        );
      } finally {
        stop.abort();
        await work.done;
        await before.close();
      }
      // Now alpha takes it too (listed first). The same key with another payload: refused, for both.
      const rt = await createRuntime({ dataDir });
      const stopped = new AbortController();
      const roles = [await loadRoleFile(alpha.file), await loadRoleFile(beta.file)];
      const working = rt.work({ roles, concurrency: 2, signal: stopped.signal, stopDriving: stopped.signal });
      try {
        await assert.rejects(rt.emit('ticket.opened', { n: 2 }, { idempotencyKey: 'K1' }), (err: Error) => {
          assert.equal((err as { code?: string }).code, 'IDEMPOTENCY_KEY_REUSED');
          assert.match(
            err.message,
            /'K1' of event 'ticket\.opened'.*nothing was recorded for any of the 2 roles.*alpha, beta/,
          );
          return true;
        });
        assert.deepEqual(await rt.list({ role: 'alpha' }), [], 'alpha got no run for the refused event');
        assert.equal((await rt.list({ role: 'beta' })).length, 1);
        // The first payload again is a redelivery: beta's run is found, and alpha (new since) gets its run.
        const again = await rt.emit('ticket.opened', { n: 1 }, { idempotencyKey: 'K1' });
        assert.deepEqual(
          again.map((d) => [d.role, d.created]),
          [
            ['alpha', true],
            ['beta', false],
          ],
        );
        assert.deepEqual((await rt.list({ role: 'alpha' }))[0]?.input, { n: 1 });
      } finally {
        stopped.abort();
        await working.done;
        await rt.close();
      }
    } finally {
      alpha.cleanup();
      beta.cleanup();
    }
  });
});
