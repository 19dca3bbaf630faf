// The leases a process's drivers hold are renewed together: one store call per beat for all of them,
// and a refused entry loses exactly that lease, with the reason a refused renewal always gave.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIdSource, systemClock } from '../../src/clock.js';
import type { EngineContext } from '../../src/engine/context.js';
import { HeldLease, leaseMarginMs } from '../../src/engine/lease.js';
import { LeaseRenewals, type RenewableLease } from '../../src/engine/lease-renewals.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { LeaseRenewal, RunRecord, Store } from '../../src/store/types.js';
import { newRun, step } from '../contract/store.js';
import { tempDir } from '../support/tmp.js';

const LEASE_MS = 300; // a beat every 100 ms

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`never happened: ${what}`);
}

describe('batched lease renewal', () => {
  const tmp = tempDir('nightshift-lease-renewals-');
  let store: Store;
  /** What each renewLeases call carried (the store instance is patched to count, as bench/in-flight.ts does). */
  const calls: LeaseRenewal[][] = [];
  let singles = 0;

  before(async () => {
    store = openSqliteStore({ path: join(tmp.path, 'data', 'nightshift.db') });
    await store.init();
    const batch = store.renewLeases.bind(store);
    store.renewLeases = (items) => {
      calls.push([...items]);
      return batch(items);
    };
    const single = store.renewLease.bind(store);
    store.renewLease = (...a) => {
      singles++;
      return single(...a);
    };
  });
  after(async () => {
    await store.close();
    tmp.cleanup();
  });

  const ctx = (): EngineContext => ({
    store,
    clock: systemClock,
    ids: createIdSource(),
    owner: 'worker-a',
    leaseMs: LEASE_MS,
  });

  async function claimed(): Promise<{ run: RunRecord; epoch: number; until: number }> {
    const run = newRun({ status: 'running' });
    await store.createRun(run, { steps: [step(run.id, 1, 'run_started', { input: run.input })], at: 1 });
    const until = Date.now() + LEASE_MS;
    const epoch = (await store.claimRun(run.id, 'worker-a', until, Date.now()))!;
    return { run, epoch, until };
  }

  it('renews every lease the process holds in one call per beat, and loses only the refused one', async () => {
    const runs = await Promise.all([1, 2, 3, 4, 5].map(() => claimed()));
    const lost = new Map<string, string>();
    const held = runs.map(
      ({ run, epoch, until: validUntil }) =>
        new HeldLease(ctx(), run.id, { owner: 'worker-a', epoch }, validUntil, (reason) =>
          lost.set(run.id, reason),
        ),
    );
    for (const h of held) h.start();
    try {
      const ids = new Set(runs.map((r) => r.run.id));
      const carrying = () => calls.filter((c) => c.some((i) => ids.has(i.runId)));
      // Two beats that renewed all five together.
      await until(
        'two beats renewing all five leases',
        () => carrying().filter((c) => c.length === 5).length >= 2,
      );
      assert.equal(singles, 0, 'no lease renewed alone');
      for (const { run } of runs)
        assert.ok(((await store.getRun(run.id))?.leaseUntil ?? 0) > runs[0]!.until, 'renewed in the store');

      // Another worker takes the third run over (its lease expired there): only that lease is lost.
      const taken = runs[2]!.run.id;
      await store.claimRun(taken, 'worker-b', Date.now() + 60_000, Date.now() + 60_000);
      await until('the taken-over lease lost', () => lost.has(taken));
      assert.deepEqual(
        [...lost],
        [[taken, 'the run was cancelled, paused, finished or taken over elsewhere']],
      );
      assert.equal(held[2]!.usable(), false);
      // The next beats renew the other four, not the lost one.
      const before = calls.length;
      await until('a beat after the loss', () =>
        calls.slice(before).some((c) => c.filter((i) => ids.has(i.runId)).length === 4),
      );
      assert.ok(calls.slice(before).every((c) => c.every((i) => i.runId !== taken)));
      assert.equal(lost.size, 1);
      assert.equal((await store.getRun(taken))?.leaseOwner, 'worker-b', 'the new holder is untouched');
    } finally {
      for (const h of held) h.stop();
    }
  });

  it('asks for no renewal of a lease extended in the last half beat, and for one once it is older', () => {
    let now = 1_000_000;
    const clocked = { ...ctx(), clock: { now: () => now } };
    const held = new HeldLease(clocked, 'run_x', { owner: 'worker-a', epoch: 3 }, now + LEASE_MS, () => {});
    // The beat is a third of the lease (100 ms): just extended (by the claim or a commit), nothing to send.
    assert.equal(held.due(), undefined);
    now += 49;
    assert.equal(held.due(), undefined, 'extended less than half a beat ago');
    now += 1;
    assert.deepEqual(held.due(), {
      runId: 'run_x',
      lease: { owner: 'worker-a', epoch: 3 },
      until: now + LEASE_MS,
    });
    // A commit (or a renewal) moves it on: nothing to send again.
    held.extended(now + LEASE_MS);
    assert.equal(held.due(), undefined);
    held.stop();
    now += 1_000;
    assert.equal(held.due(), undefined, 'a stopped lease is never renewed');
  });

  // A wall-clock step (NTP, `date -s`, a restored VM) is no time on a lease: what is left of it is
  // measured on the monotonic clock from the last renewal (faults/clock-jump.test.ts, the whole system).
  it('measures what is left of its lease on the monotonic clock: a wall-clock step neither expires nor stretches it', () => {
    let wall = 1_000_000;
    let mono = 5_000;
    const clocked = { ...ctx(), clock: { now: () => wall, elapsed: () => mono } };
    const held = new HeldLease(clocked, 'run_x', { owner: 'worker-a', epoch: 3 }, wall + LEASE_MS, () => {});
    wall += 3_600_000;
    assert.equal(held.usable(), true, 'an hour forward on the wall clock is no time off the lease');
    assert.equal(held.due(), undefined, 'nor a reason to renew it now');
    wall -= 4_200_000;
    mono += LEASE_MS - leaseMarginMs(LEASE_MS);
    assert.equal(held.usable(), false, 'ten minutes back on the wall clock gives it no more time');
    // A renewal sent now asks for a lease end on the (stepped) runtime clock: a full lease from now.
    held.extended(wall + LEASE_MS);
    assert.equal(held.usable(), true);
    held.stop();
  });

  // A suspended machine's monotonic clock stands still while the world's time goes on (and another
  // worker may take the run): seen only as the host's wall clock running ahead of its monotonic clock.
  it('is doubtful once the host wall clock ran ahead of its monotonic clock: nothing starts until a renewal confirms it', async () => {
    const realNow = Date.now;
    const lost: string[] = [];
    const a = await claimed();
    const b = await claimed();
    const heldA = new HeldLease(ctx(), a.run.id, { owner: 'worker-a', epoch: a.epoch }, a.until, (r) =>
      lost.push(r),
    );
    const heldB = new HeldLease(ctx(), b.run.id, { owner: 'worker-a', epoch: b.epoch }, b.until, (r) =>
      lost.push(r),
    );
    try {
      assert.equal(heldA.usable(), true);
      Date.now = () => realNow() + 3_600_000;
      assert.equal(heldA.doubtful(), true);
      assert.equal(heldA.usable(), false, 'no side effect starts on a doubtful lease');
      assert.ok(
        heldA.due(),
        'a doubtful lease is renewed at the next beat, however recently it was extended',
      );
      assert.equal(await heldA.ensure(), true, 'still ours: the renewal confirms it');
      assert.equal(heldA.usable(), true);
      // The other run was taken over while this host "slept": its renewal is refused, the lease lost.
      await store.claimRun(b.run.id, 'worker-b', realNow() + 60_000, realNow() + 60_000);
      assert.equal(await heldB.ensure(), false);
      assert.deepEqual(lost, ['its lease could not be renewed before the next call']);
    } finally {
      Date.now = realNow;
      heldA.stop();
      heldB.stop();
    }
  });

  // Runs driven one after another add their lease and delete it: one beat serves them all (no interval
  // set and cleared per run), and it stops itself at the first beat that finds no lease held.
  it('keeps its beat while leases come and go, and stops it at the first beat that finds none', async () => {
    const renewals = new LeaseRenewals(store, 50);
    const beat = () => (renewals as unknown as { beat?: NodeJS.Timeout }).beat;
    const quiet: RenewableLease = { due: () => undefined, renewed: () => {}, refused: () => {} };
    renewals.add(quiet);
    const first = beat();
    assert.ok(first, 'a beat while a lease is held');
    renewals.delete(quiet);
    renewals.add(quiet);
    assert.equal(beat(), first, 'the same beat for the next run');
    renewals.delete(quiet);
    await until('the beat stopped itself', () => beat() === undefined);
    let asked = 0;
    const again: RenewableLease = {
      due: () => {
        asked++;
        return undefined;
      },
      renewed: () => {},
      refused: () => {},
    };
    renewals.add(again);
    await until('a new beat asked the lease held again', () => asked > 0);
    renewals.delete(again);
    await until('stopped again', () => beat() === undefined);
  });

  it('keeps every lease through a store error, and tries again at the next beat', async () => {
    let failNext = true;
    const renewed: number[] = [];
    const lease: RenewableLease = {
      due: () => ({ runId: 'run_y', lease: { owner: 'o', epoch: 1 }, until: renewed.length + 7 }),
      renewed: (u) => renewed.push(u),
      refused: () => assert.fail('a store error is not a refusal'),
    };
    let tries = 0;
    const renewals = new LeaseRenewals(
      {
        renewLeases: async (items) => {
          tries++;
          if (failNext) {
            failNext = false;
            throw new Error('database unreachable');
          }
          return items.map(() => true);
        },
      },
      50,
    );
    renewals.add(lease);
    try {
      await until('renewed after the failed beat', () => renewed.length > 0);
      assert.ok(tries >= 2);
    } finally {
      renewals.delete(lease);
    }
  });
});
