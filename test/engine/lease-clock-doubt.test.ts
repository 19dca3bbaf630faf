// A lease in doubt after a clock step or a suspend (docs/decisions/064-clock-steps.md) is cleared only
// by a renewal that was sent after it, on a clock that was read again: not by a lease end computed from
// a store clock that still owes its reading (a Postgres runtime after a suspend writes one long past),
// nor by an answer whose request is not known (it would be dated when it came back).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { createIdSource, systemClock } from '../../src/clock.js';
import type { EngineContext } from '../../src/engine/context.js';
import { HeldLease } from '../../src/engine/lease.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { StoreClock } from '../../src/store/store-clock.js';
import type { RunRecord, Store } from '../../src/store/types.js';
import { newRun, step } from '../contract/store.js';
import { tempDir } from '../support/tmp.js';

async function until(what: string, check: () => boolean, ms = 3_000): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (check()) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`never happened: ${what}`);
}

describe('clearing a lease doubt', () => {
  const tmp = tempDir('nightshift-lease-doubt-');
  let store: Store;
  const realNow = Date.now;
  before(async () => {
    store = openSqliteStore({ path: join(tmp.path, 'data', 'nightshift.db') });
    await store.init();
  });
  after(async () => {
    Date.now = realNow;
    await store.close();
    tmp.cleanup();
  });

  const ctx = (clock: Clock, leaseMs: number): EngineContext => ({
    store,
    clock,
    ids: createIdSource(),
    owner: 'worker-a',
    leaseMs,
  });

  async function claimed(
    clock: Clock,
    leaseMs: number,
  ): Promise<{ run: RunRecord; epoch: number; until: number }> {
    const run = newRun({ status: 'running' });
    await store.createRun(run, { steps: [step(run.id, 1, 'run_started', { input: run.input })], at: 1 });
    const until = clock.now() + leaseMs;
    const epoch = (await store.claimRun(run.id, 'worker-a', until, clock.now()))!;
    return { run, epoch, until };
  }

  // The "database" keeps the world's time; a suspend is the world's time (and this host's wall clock)
  // moving on while this process's monotonic clock stood still: here, both moved 10 minutes ahead of it.
  it('after a suspend, stays doubtful until the store clock is read again (a failed reading is retried within a second)', async () => {
    let asleep = 0;
    let failing = false;
    const clock = await StoreClock.open(async () => {
      if (failing) throw new Error('connection reset');
      return realNow() + asleep;
    });
    const LEASE_MS = 30_000;
    const a = await claimed(clock, LEASE_MS);
    const held = new HeldLease(
      ctx(clock, LEASE_MS),
      a.run.id,
      { owner: 'worker-a', epoch: a.epoch },
      a.until,
      () => {},
    );
    try {
      assert.equal(held.usable(), true);
      asleep = 600_000;
      failing = true;
      Date.now = () => realNow() + asleep;
      const sent = held.stamp();
      assert.equal(sent.settled, false, 'the step is noticed by the first reading of the clock');
      assert.ok(sent.now < realNow() + asleep - 500_000, 'the store clock is still old by the sleep');
      // The store accepts a renewal naming this lease, though its end is long past by the database's clock.
      assert.equal(
        await store.renewLease(a.run.id, { owner: 'worker-a', epoch: a.epoch }, sent.now + LEASE_MS),
        true,
      );
      held.extended(sent.now + LEASE_MS, sent);
      assert.equal(held.doubtful(), true, 'a lease end computed on the old clock confirms nothing');
      assert.equal(held.usable(), false);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(clock.settled(), false, 'the first reading after resume failed: still owed');
      assert.equal(held.doubtful(), true);
      failing = false;
      const waited = await until('the store clock read again', () => clock.settled());
      assert.ok(waited < 1_500, `retried promptly, not at the next 30 s period (${Math.round(waited)} ms)`);
      assert.ok(
        Math.abs(clock.now() - (realNow() + asleep)) < 250,
        'the store clock caught up with the sleep',
      );
      assert.equal(
        held.doubtful(),
        true,
        'the clock is read again, but no renewal confirmed the lease since',
      );
      assert.equal(await held.ensure(), true);
      assert.equal(held.usable(), true);
      const written = (await store.getRun(a.run.id))!.leaseUntil!;
      assert.ok(
        written > realNow() + asleep,
        'the confirming renewal wrote a lease end ahead of the database clock',
      );
    } finally {
      Date.now = realNow;
      held.stop();
    }
  });

  it('an answer is dated by its own request: an earlier one, or an unknown one, does not clear a later doubt', async () => {
    const LEASE_MS = 300; // due() renews after half a beat (50 ms)
    const a = await claimed(systemClock, LEASE_MS);
    const held = new HeldLease(
      ctx(systemClock, LEASE_MS),
      a.run.id,
      { owner: 'worker-a', epoch: a.epoch },
      a.until,
      () => {},
    );
    try {
      await new Promise((r) => setTimeout(r, 80));
      const before = held.due();
      assert.ok(before, 'due after half a beat');
      Date.now = () => realNow() + 3_600_000;
      assert.equal(held.doubtful(), true);
      const afterStep = held.due();
      assert.ok(afterStep && afterStep.until !== before.until);
      held.renewed(before.until);
      assert.equal(held.doubtful(), true, 'the request sent before the step does not clear it');
      held.renewed(12_345);
      assert.equal(held.doubtful(), true, 'nor an answer to no known request');
      held.renewed(afterStep.until);
      assert.equal(held.doubtful(), false, 'the request sent after the step does');
    } finally {
      Date.now = realNow;
      held.stop();
    }
  });

  it("never goes back a little, though a later reading of the database's clock says less", async () => {
    let back = 0;
    const clock = await StoreClock.open(async () => realNow() - back);
    const first = clock.now();
    back = 500;
    Date.now = () => realNow() + 60_000; // a host step: the database is asked again at once
    try {
      assert.ok(clock.now() >= first);
      await until('read again', () => clock.settled());
      assert.ok(clock.now() >= first, `${clock.now()} < ${first}`);
    } finally {
      Date.now = realNow;
    }
  });

  it("follows the database's clock stepped back an hour, rather than standing still for the hour", async () => {
    let back = 0;
    const clock = await StoreClock.open(async () => realNow() - back);
    back = 3_600_000;
    Date.now = () => realNow() + 5_000; // a host step: the database is asked again at once
    try {
      clock.now();
      await until('read again', () => clock.settled());
      const now = clock.now();
      assert.ok(Math.abs(now - (realNow() - back)) < 250, `${now} is not the database's ${realNow() - back}`);
      await new Promise((r) => setTimeout(r, 30));
      assert.ok(clock.now() > now, 'and it moves on');
    } finally {
      Date.now = realNow;
    }
  });

  // A reading's answers came before a suspend and were handled after it: taken with the host's skew of
  // when they were handled, the suspend would never be noticed and the clock would stay behind, settled.
  it('a reading that spans a suspend does not settle the clock on the time before it', async () => {
    let world = 0;
    let calls = 0;
    let sleepOnCall = -1;
    const clock = await StoreClock.open(async () => {
      const db = realNow() + world;
      calls++;
      if (calls === sleepOnCall) {
        world = 600_000;
        Date.now = () => realNow() + world;
      }
      return db;
    });
    try {
      Date.now = () => realNow() + 2_000; // a small host step: a reading is owed
      sleepOnCall = calls + 3; // its last round trip answers, then the host sleeps 10 minutes
      clock.now();
      await until('read again after the suspend', () => clock.settled() && calls > sleepOnCall);
      const now = clock.now();
      assert.ok(
        Math.abs(now - (realNow() + world)) < 250,
        `${now} is behind the database's ${realNow() + world}`,
      );
    } finally {
      Date.now = realNow;
    }
  });
});
