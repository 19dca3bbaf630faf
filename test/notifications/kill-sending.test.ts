// kill -9 while sending: a real `nightshift notify --once` process is killed after the receiver took its
// webhooks but before it could mark them sent. Nothing is lost (the rows stay in the outbox, leased), the
// next sender sends them again once the lease expired, and the receiver, keeping the notification ids it
// processed (the idempotency key), acts on each once.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { json, runCli, startCli } from '../support/cli.js';
import { startReceiver } from '../support/decision-receiver.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'decisions-secret-kill-test-0123456789abcdef0123456789';
const role = testRoles();

describe('a sender killed mid-send', () => {
  it('loses nothing, and the receiver processes each notification once', async () => {
    const rx = await startReceiver(SECRET);
    const r = role({
      name: 'refund-desk',
      autonomy: 'full',
      turns: [
        { escalate: { category: 'money', reason: 'refund of 250 asked' } },
        { final: { summary: 'done' } },
      ],
      extra: { escalate: { tiers: [{ to: ['alice', 'bob'], via: ['webhook'] }] } },
    });
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({
        people: [
          { name: 'alice', webhook: `${rx.url}/alice`, decides: ['*'] },
          { name: 'bob', webhook: `${rx.url}/bob`, decides: ['*'] },
        ],
      }),
    );
    const env = { NIGHTSHIFT_DECISIONS_SECRET: SECRET };
    const cli = (args: string[]) => runCli([...args, '--data-dir', r.dataDir, '--json'], { cwd: r.dir, env });
    const paused = await cli(['run', r.file]);
    assert.equal(paused.code, 3, paused.stderr);

    // The first delivery of each notification is processed, then its answer never comes: the sender dies.
    rx.answer = (_id, n) => (n === 0 ? 'hang' : 200);
    const sender = startCli(['notify', '--once', '--lease-ms', '500', '--data-dir', r.dataDir], {
      cwd: r.dir,
      env,
    });
    await waitFor(async () => (rx.deliveries.length >= 2 ? true : undefined), 'both webhooks to arrive');
    sender.child.kill('SIGKILL');
    const killed = await sender.done;
    assert.equal(killed.signal, 'SIGKILL');

    const store = openSqliteStore({ dataDir: r.dataDir });
    await store.init();
    try {
      const held = await store.listNotifications({});
      assert.equal(held.length, 2, 'nothing lost');
      assert.ok(held.every((n) => n.status === 'pending' && n.leaseOwner !== null && n.attempt === 1));

      // The next sender takes them once the dead one's lease expired, and sends each again.
      await waitFor(async () => {
        const out = json<{ pending: number }>(await cli(['notify', '--once']));
        return out.pending === 0 ? out : undefined;
      }, 'the outbox to empty');
      const sent = await store.listNotifications({});
      assert.deepEqual(
        sent.map((n) => [n.status, n.attempt]),
        [
          ['sent', 2],
          ['sent', 2],
        ],
      );
      const ids = sent.map((n) => n.id).sort();
      assert.deepEqual(rx.deliveries.map((d) => d.id).sort(), [ids[0], ids[0], ids[1], ids[1]]);
      assert.deepEqual([...rx.processed].sort(), ids, 'each processed once, by its idempotency key');
      assert.ok(rx.deliveries.every((d) => d.signatureOk));
    } finally {
      await store.close();
    }
  });
});
