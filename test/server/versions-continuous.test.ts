// A continuous role's agent follows promotions in a running `nightshift serve`: each event it handles is
// a run of the role's active version when the handling starts, so a promotion or a rollback reaches the
// agent at its next event without a restart, and an event the active version no longer takes is not
// delivered (runtime/events.ts; the supervisor's host in runtime/work.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { type Served, startServe } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';
import { decidePromotion, versionWriter } from '../support/versions.js';
import { waitFor } from '../support/wait.js';

describe('serve and a continuous agent whose role is promoted', () => {
  const r = writeTestRole({
    name: 'watch-promo',
    autonomy: 'full',
    tools: ['fs.read'],
    ledgerTools: false,
    turns: [{ final: { summary: 'seen' } }],
    extra: {
      mode: 'continuous',
      continuous: { leaseSeconds: 5, heartbeatSeconds: 1 },
      triggers: [{ event: 'watch.tick' }],
    },
  });
  let served: Served;
  let store: Store;
  const data = ['--data-dir', r.dataDir];

  before(async () => {
    served = await startServe([r.dir, '--port', '0', '--poll-ms', '20', ...data]);
    store = openSqliteStore({ dataDir: r.dataDir });
    await store.init();
    // The version serve loaded (the file as written) is known already.
    await versions.known();
  });
  after(async () => {
    served.child.kill('SIGKILL');
    await store.close();
    r.cleanup();
  });

  /** POST /events/<name>: the inbox items it queued for the agent. */
  async function emit(name: string): Promise<string[]> {
    const res = await fetch(`${served.url}/events/${name}`, {
      method: 'POST',
      headers: { ...served.auth, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 202);
    const body = (await res.json()) as { runs?: { inboxId?: string }[] };
    return (body.runs ?? []).map((x) => x.inboxId ?? '');
  }
  /** The version of the run that handled the one event this emit queued. */
  async function handledBy(name: string): Promise<string> {
    const items = await emit(name);
    assert.equal(items.length, 1, `${name} reaches the agent`);
    const run = await waitFor(async () => {
      const runs = await store.listRuns({ role: 'watch-promo', limit: 100 });
      const mine = runs.find((x) => x.idempotencyKey === `inbox:${items[0]}`);
      return mine?.status === 'succeeded' ? mine : undefined;
    }, `the agent to handle ${items[0]}`);
    return run.roleVersion;
  }
  const versions = versionWriter(r.file, data);
  const version = (instructions: string, events: string[]) =>
    versions.next({ instructions, triggers: events.map((event) => ({ event })) });
  const decided = (args: string[]) => decidePromotion(args, data);

  it('handles each event with the active version, from the next event on, in the same process', async () => {
    const v1 = await version('Watch and say what you saw.', ['watch.tick']);
    await decided(['promote', 'watch-promo', v1]);
    assert.equal(await handledBy('watch.tick'), v1);

    // An edit alone changes nothing; its promotion (narrower: new instructions only) does, at once.
    const v2 = await version('Version two: watch closer.', ['watch.tick']);
    assert.equal(await handledBy('watch.tick'), v1, 'an unpromoted edit does not run');
    await decided(['promote', 'watch-promo', v2]);
    assert.equal(await handledBy('watch.tick'), v2, 'the promoted version handles the next event');

    // A rollback reaches the agent the same way.
    await decided(['rollback', 'watch-promo']);
    assert.equal(await handledBy('watch.tick'), v1, 'the rollback handles the next event');

    // A version without the trigger takes no more of those events.
    const v3 = await version('Version three: not on ticks.', []);
    await decided(['promote', 'watch-promo', v3]);
    assert.deepEqual(await emit('watch.tick'), [], 'the event no longer reaches the agent');

    const runs = await store.listRuns({ role: 'watch-promo', limit: 100 });
    assert.equal(runs.length, 4);
    assert.ok(runs.every((x) => x.status === 'succeeded'));
    assert.equal(served.child.exitCode, null, 'the same serve process all along');
  });
});
