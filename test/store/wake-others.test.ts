// When the Postgres store wakes the other workers (see src/store/postgres/wake-others.ts): the decision
// logic on its own, with a counter in place of the NOTIFY. The real LISTEN/NOTIFY path runs in the
// multi-worker tests (test/server/postgres-workers.test.ts, test/substrate/*).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WakeOthers } from '../../src/store/postgres/wake-others.js';
import { waitFor } from '../support/wait.js';

function setup(delayMs = 10_000) {
  let sent = 0;
  const wake = new WakeOthers(async () => {
    sent++;
  }, delayMs);
  return { wake, sent: () => sent };
}

const scope = (over: Partial<{ roles: string[]; limited: string[]; full: boolean }> = {}) => ({
  roles: ['triage'],
  limited: [],
  full: false,
  ...over,
});

describe('waking other workers', () => {
  it('a process without a worker notifies as soon as it queues a run', async () => {
    const { wake, sent } = setup();
    wake.queued('r1', 'triage');
    await wake.settled();
    assert.equal(sent(), 1);
  });

  it('holds the notification back when its own claim takes the run', async () => {
    const { wake, sent } = setup();
    wake.listening = true;
    wake.queued('r1', 'triage');
    const claim = wake.claimStarting();
    wake.claimed(claim, ['r1'], scope());
    wake.release();
    await wake.settled();
    assert.equal(sent(), 0);
  });

  it('stays quiet when a claim with room for the run came back without it (another worker has it)', async () => {
    const { wake, sent } = setup();
    wake.listening = true;
    wake.queued('r1', 'triage');
    wake.claimed(wake.claimStarting(), [], scope());
    wake.release();
    await wake.settled();
    assert.equal(sent(), 0);
  });

  for (const [why, s] of [
    ['the claim was full', scope({ full: true })],
    ['this worker does not serve the role', scope({ roles: ['other'] })],
    ['the role has a concurrency limit', scope({ limited: ['triage'] })],
  ] as const) {
    it(`wakes the others when its claim could not take the run: ${why}`, async () => {
      const { wake, sent } = setup();
      wake.listening = true;
      wake.queued('r1', 'triage');
      wake.claimed(wake.claimStarting(), [], s);
      await wake.settled();
      assert.equal(sent(), 1);
    });
  }

  it('ignores claims that started before the run was queued (they could not have seen it)', async () => {
    const { wake, sent } = setup();
    wake.listening = true;
    const early = wake.claimStarting();
    wake.queued('r1', 'triage');
    wake.claimed(early, [], scope({ full: true }));
    await wake.settled();
    assert.equal(sent(), 0);
    wake.claimed(wake.claimStarting(), [], scope({ full: true }));
    await wake.settled();
    assert.equal(sent(), 1);
  });

  it('wakes the others after the delay when no claim starts (every slot busy)', async () => {
    const { wake, sent } = setup(20);
    wake.listening = true;
    wake.queued('r1', 'triage');
    wake.queued('r2', 'triage');
    assert.equal(sent(), 0);
    await waitFor(async () => (sent() > 0 ? true : undefined), 'the delayed notification');
    await wake.settled();
    assert.equal(sent(), 1, 'one notification for both runs');
  });

  it('coalesces: notifications asked for while one is in flight become one follow-up', async () => {
    let sent = 0;
    let finish: (() => void) | undefined;
    const wake = new WakeOthers(
      () =>
        new Promise<void>((resolve) => {
          sent++;
          finish = resolve;
        }),
    );
    wake.notify();
    wake.notify();
    wake.notify();
    assert.equal(sent, 1);
    finish!();
    await sleep(1);
    assert.equal(sent, 2);
    finish!();
    await wake.settled();
    assert.equal(sent, 2);
  });
});
