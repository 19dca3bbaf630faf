// A running `nightshift serve` routes named events by each role's active version: promoting a version that
// adds an event trigger makes POST /events/<name> start a run of that version, a version that drops a
// trigger starts nothing for it (202 with no runs, as for an event no role takes), and rollbacks restore
// the earlier routing, all in the same serve process (runtime/events.ts reads the active version per emit).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { type Served, startServe } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';
import { decidePromotion, versionWriter } from '../support/versions.js';
import { waitFor } from '../support/wait.js';

describe('serve and the named events of a promoted version', () => {
  const r = writeTestRole({
    name: 'event-promo',
    autonomy: 'full',
    tools: ['fs.read'],
    ledgerTools: false,
    turns: [{ final: { summary: 'done' } }],
    extra: { triggers: [{ event: 'promo.old' }] },
  });
  let served: Served;
  let store: Store;
  const data = ['--data-dir', r.dataDir];

  before(async () => {
    served = await startServe([r.dir, '--port', '0', '--poll-ms', '20', ...data]);
    store = openSqliteStore({ dataDir: r.dataDir });
    await store.init();
  });
  after(async () => {
    served.child.kill('SIGKILL');
    await store.close();
    r.cleanup();
  });

  /** POST /events/<name>: the status and the run ids it started. */
  async function emit(name: string): Promise<{ status: number; runs: string[] }> {
    const res = await fetch(`${served.url}/events/${name}`, {
      method: 'POST',
      headers: { ...served.auth, 'content-type': 'application/json' },
      body: '{}',
    });
    const body = (await res.json()) as { runs?: { runId?: string }[] };
    return { status: res.status, runs: (body.runs ?? []).map((x) => x.runId ?? '') };
  }
  /** The version of the one run the event started. */
  async function startsRunOf(name: string): Promise<string> {
    const { status, runs } = await emit(name);
    assert.equal(status, 202);
    assert.equal(runs.length, 1, `${name} starts one run`);
    return (await store.getRun(runs[0]!))!.roleVersion;
  }
  async function startsNothing(name: string): Promise<void> {
    assert.deepEqual(await emit(name), { status: 202, runs: [] }, `${name} starts nothing`);
  }
  const versions = versionWriter(r.file, data);
  /** The role file with these triggers (and instructions, so each is a new version), registered. */
  const version = (events: string[], instructions: string) =>
    versions.next({ instructions, triggers: events.map((event) => ({ event })) });
  /** Promotes, or rolls back (a person grants it when it widens). */
  const promote = (v: string) => decidePromotion(['promote', 'event-promo', v], data);
  const rollback = () => decidePromotion(['rollback', 'event-promo'], data);

  it('starts runs for a promoted version’s new event, none for a dropped one, and follows rollbacks', async () => {
    const v1 = await version(['promo.old'], 'Do what the test says.');
    assert.equal(await startsRunOf('promo.old'), v1);
    await startsNothing('promo.new');

    // v2 adds promo.new: the edited file alone changes nothing; the promotion (a widening, granted) does.
    const v2 = await version(['promo.old', 'promo.new'], 'Version two.');
    await startsNothing('promo.new');
    await promote(v2);
    assert.equal(await startsRunOf('promo.new'), v2, 'the new event starts a run of v2 without a restart');
    assert.equal(await startsRunOf('promo.old'), v2);

    // v3 drops promo.old (a narrowing: promoted at once): it no longer starts a run.
    const v3 = await version(['promo.new'], 'Version three.');
    await promote(v3);
    await startsNothing('promo.old');
    assert.equal(await startsRunOf('promo.new'), v3);
    // So does a burst of events at once (its emits share reads of the active version, each sent after
    // they asked: store/shared-read.ts): the dropped event starts nothing, the kept one only v3.
    const dropped = await Promise.all(Array.from({ length: 20 }, () => emit('promo.old')));
    assert.deepEqual(dropped, Array(20).fill({ status: 202, runs: [] }));
    const kept = await Promise.all(Array.from({ length: 10 }, () => startsRunOf('promo.new')));
    assert.deepEqual(kept, Array(10).fill(v3));

    // Rolling back restores v2's events; promoting v1 again, v1's.
    await rollback();
    assert.equal(await startsRunOf('promo.old'), v2);
    assert.equal(await startsRunOf('promo.new'), v2);
    await promote(v1);
    assert.equal(await startsRunOf('promo.old'), v1);
    await startsNothing('promo.new');

    // Every run started was of a version that has the trigger, and all of them ran.
    const runs = await store.listRuns({ role: 'event-promo', limit: 100 });
    assert.equal(runs.length, 17);
    await waitFor(
      async () =>
        (await store.listRuns({ role: 'event-promo', status: ['succeeded'], limit: 100 })).length === 17
          ? true
          : undefined,
      'the 17 runs to succeed',
      60_000,
    );
    // The daemon's watch said so in its log too (webhooks and cron follow the same versions).
    await waitFor(
      async () => (served.stdout().includes('active versions changed') ? true : undefined),
      'the active versions changed log line',
    );
    assert.equal(served.child.exitCode, null, 'the same serve process all along');
  });
});
