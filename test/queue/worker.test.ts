// The worker loop while its store fails: claims are retried with a growing, capped wait (not every poll
// interval), only the first failure of a streak is reported, and a run whose drive failed because the
// store could not take writes is driven again once it can, in the same slot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NightshiftError } from '../../src/errors.js';
import { claimBackoffMs, MAX_CLAIM_BACKOFF_MS, startWorker } from '../../src/queue/worker.js';
import type { RunRecord, RunSnapshot } from '../../src/store/types.js';
import { newRun } from '../contract/store.js';
import { waitFor } from '../support/wait.js';

const unreachable = () =>
  new NightshiftError('STORE_ERROR', 'Postgres store: claiming runs failed: connect ECONNREFUSED', {
    details: { connectionLost: true },
  });

describe('worker loop during a store outage', () => {
  it('waits longer after each failed claim, from the poll interval up to a cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => claimBackoffMs(200, n)),
      [200, 400, 800, 1600, 3200, MAX_CLAIM_BACKOFF_MS, MAX_CLAIM_BACKOFF_MS],
    );
    // A very short poll interval still backs off from 100 ms.
    assert.equal(claimBackoffMs(5, 1), 100);
  });

  it('reports the first failed claim of a streak only, and again after a success', async () => {
    const abort = new AbortController();
    let claims = 0;
    let failing = true;
    const errors: unknown[] = [];
    const worker = startWorker({
      claim: async () => {
        claims++;
        if (failing) throw unreachable();
        return [];
      },
      drive: async () => {},
      concurrency: 1,
      pollMs: 1,
      signal: abort.signal,
      onError: (err) => errors.push(err),
    });
    await waitFor(async () => (claims >= 3 ? true : undefined), 'three failed claims');
    assert.equal(errors.length, 1);
    failing = false;
    const before = claims;
    await waitFor(async () => (claims > before ? true : undefined), 'a claim that succeeds');
    failing = true;
    worker.wake();
    await waitFor(async () => (errors.length === 2 ? true : undefined), 'the next streak reported');
    abort.abort();
    await worker.done;
  });

  it('claims nothing while told not to (a store whose WAL can no longer be synced), and again after', async () => {
    const abort = new AbortController();
    let claims = 0;
    let may = false;
    let asked = 0;
    const worker = startWorker({
      claim: async () => {
        claims++;
        return [];
      },
      mayClaim: () => {
        asked++;
        return may;
      },
      drive: async () => {},
      concurrency: 1,
      pollMs: 1,
      signal: abort.signal,
      onError: () => {},
    });
    await waitFor(async () => (asked >= 5 ? true : undefined), 'five polls');
    assert.equal(claims, 0);
    may = true;
    await waitFor(async () => (claims > 0 ? true : undefined), 'a claim once allowed');
    abort.abort();
    await worker.done;
  });

  it('drives a run again, in its slot, once the store takes writes', async () => {
    const abort = new AbortController();
    const run = newRun();
    let handedOut = false;
    let storeDown = true;
    const resumed: RunRecord[] = [];
    const errors: unknown[] = [];
    const worker = startWorker({
      claim: async () => {
        if (handedOut) return [];
        handedOut = true;
        return [{ run, steps: [], calls: [], approvals: [], escalations: [] } as unknown as RunSnapshot];
      },
      drive: async () => {
        throw unreachable();
      },
      resume: async (r) => {
        if (storeDown) throw unreachable();
        resumed.push(r);
      },
      concurrency: 1,
      pollMs: 1,
      signal: abort.signal,
      onError: (err) => errors.push(err),
    });
    await waitFor(async () => (errors.length === 1 ? true : undefined), 'the failed drive');
    assert.equal(worker.active(), 1, 'the run keeps its slot');
    storeDown = false;
    await waitFor(async () => (resumed.length === 1 ? true : undefined), 'the run driven again', 30_000);
    assert.equal(resumed[0]!.id, run.id);
    assert.equal(errors.length, 1, 'the retries are not reported one by one');
    await waitFor(async () => (worker.active() === 0 ? true : undefined), 'the slot freed');
    abort.abort();
    await worker.done;
  });

  it("measures a run's busy time on the monotonic clock: a wall-clock step does not make it an hour long", async () => {
    const abort = new AbortController();
    const run = newRun();
    let handedOut = false;
    let tries = 0;
    const resumed: RunRecord[] = [];
    const gaveUp: number[] = [];
    const realNow = Date.now;
    const busy = () =>
      new NightshiftError('STORE_ERROR', 'Postgres store: statement timeout', {
        details: { storeBusy: true },
      });
    const worker = startWorker({
      claim: async () => {
        if (handedOut) return [];
        handedOut = true;
        return [{ run, steps: [], calls: [], approvals: [], escalations: [] } as unknown as RunSnapshot];
      },
      drive: async () => {
        throw busy();
      },
      resume: async (r) => {
        // The host's wall clock is stepped an hour forward while the run is busy.
        if (++tries === 1) {
          Date.now = () => realNow() + 3_600_000;
          throw busy();
        }
        resumed.push(r);
      },
      giveUpBusy: async (_r, _err, b) => {
        gaveUp.push(b.ms);
      },
      busyLimitMs: 60_000,
      concurrency: 1,
      pollMs: 1,
      signal: abort.signal,
      onError: () => {},
    });
    try {
      await waitFor(
        async () => (resumed.length + gaveUp.length > 0 ? true : undefined),
        'the run settled',
        30_000,
      );
      assert.deepEqual(gaveUp, [], 'not given up as busy for an hour');
      assert.equal(resumed.length, 1);
    } finally {
      Date.now = realNow;
      abort.abort();
      await worker.done;
    }
  });
});
