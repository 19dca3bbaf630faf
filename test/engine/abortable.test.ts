// A call's time limit (src/engine/abortable.ts): the calls in flight under one lease all stop with the
// lease's reason when it is lost, a call that already ended does not, and a lease lost before a call
// starts stops that call at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseStop, SegmentDeadline, timeLimit } from '../../src/engine/abortable.js';

describe('timeLimit', () => {
  it('aborts every call still in flight with the lease reason, and none that ended', () => {
    const lease = new AbortController();
    const a = timeLimit(lease.signal, 60_000, 'a ran out');
    const b = timeLimit(lease.signal, 60_000, 'b ran out');
    const ended = timeLimit(lease.signal, 60_000, 'ended ran out');
    ended.dispose();
    const reason = new Error('lease lost');
    lease.abort(reason);
    assert.equal(a.signal.reason, reason);
    assert.equal(b.signal.reason, reason);
    assert.equal(ended.signal.aborted, false);
    assert.equal(a.timedOut(), false);
    a.dispose();
    b.dispose();
    // Lost before the call starts: stopped at once.
    const late = timeLimit(lease.signal, 60_000, 'late ran out');
    assert.equal(late.signal.reason, reason);
    late.dispose();
  });

  it('times out with its own message, and the lease still stops the others', async () => {
    const lease = new AbortController();
    const quick = timeLimit(lease.signal, 1, 'quick ran out');
    const slow = timeLimit(lease.signal, 60_000, 'slow ran out');
    await new Promise((resolve) => quick.signal.addEventListener('abort', resolve, { once: true }));
    assert.equal(quick.timedOut(), true);
    assert.match(String(quick.signal.reason.message), /quick ran out/);
    assert.equal(slow.signal.aborted, false);
    quick.dispose();
    lease.abort(new Error('gone'));
    assert.equal(slow.signal.reason.message, 'gone');
    slow.dispose();
  });

  // The signal is made only when a callee reads it (timeLimit's comment): a stop before that still
  // reaches the waiting driver and a signal read afterwards.
  it('stops a waiting call whose callee never read the signal, and a signal read later is already aborted', async () => {
    const lease = new AbortController();
    const limit = timeLimit(lease.signal, 60_000, 'ran out');
    const never = new Promise<string>(() => {});
    const waiting = limit.race(never);
    const reason = new Error('lease lost');
    lease.abort(reason);
    await assert.rejects(waiting, (err) => err === reason);
    assert.equal(limit.signal.aborted, true);
    assert.equal(limit.signal.reason, reason);
    assert.throws(
      () => limit.throwIfStopped(),
      (err) => err === reason,
    );
    assert.equal(limit.timedOut(), false);
    limit.dispose();
  });

  it('times out a waiting call with BUDGET_EXCEEDED, signal or not; a synchronous answer is kept', async () => {
    const lease = new AbortController();
    const limit = timeLimit(lease.signal, 5, 'the budget ran out');
    await assert.rejects(limit.race(new Promise(() => {})), /the budget ran out/);
    assert.equal(limit.timedOut(), true);
    assert.equal(limit.signal.reason, limit.outOfTime);
    limit.dispose();
    const quick = timeLimit(lease.signal, 60_000, 'never');
    assert.equal(await quick.race('done'), 'done');
    assert.equal(await quick.race(Promise.resolve('later')), 'later');
    quick.throwIfStopped();
    quick.dispose();
    // A call that settles before the stop is not stopped by it.
    lease.abort(new Error('gone'));
    assert.equal(quick.signal.aborted, false);
  });

  // The timer is armed lazily (only work `race` waits on needs it), but the deadline counts from when
  // the limit was made: a tool's synchronous prelude is part of its time.
  it('counts synchronous work before the race toward the deadline', async () => {
    const lease = new AbortController();
    const limit = timeLimit(lease.signal, 400, 'the budget ran out');
    const until = performance.now() + 300;
    while (performance.now() < until) {
      // A tool's synchronous prelude.
    }
    const work = new Promise<string>((resolve) => setTimeout(() => resolve('answered'), 300));
    await assert.rejects(limit.race(work), /the budget ran out/);
    assert.equal(limit.timedOut(), true);
    limit.dispose();
  });

  // A driven segment's calls share one timer (SegmentDeadline): each is still stopped at its own
  // deadline, an earlier one re-arms it, and a call that ended is not stopped by it.
  it('stops each call of a segment at its own deadline through the shared timer', async () => {
    const lease = new AbortController();
    const shared = new SegmentDeadline();
    // The first call arms the timer for its (late) deadline; each later, earlier one must re-arm it.
    const slow = timeLimit(lease.signal, 60_000, 'slow ran out', shared);
    const slowRace = slow.race(new Promise(() => {}));
    const ended = timeLimit(lease.signal, 20, 'ended ran out', shared);
    assert.equal(await ended.race(Promise.resolve('answered')), 'answered');
    ended.dispose();
    const quick = timeLimit(lease.signal, 30, 'quick ran out', shared);
    const t0 = performance.now();
    await assert.rejects(quick.race(new Promise(() => {})), /quick ran out/);
    assert.ok(performance.now() - t0 >= 25, 'not stopped before its deadline');
    assert.equal(quick.timedOut(), true);
    quick.dispose();
    // The call that ended first was not stopped when its deadline passed; the slow one goes on.
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(ended.timedOut(), false);
    assert.equal(slow.timedOut(), false);
    const reason = new Error('lease lost');
    lease.abort(reason);
    await assert.rejects(slowRace, (err) => err === reason);
    slow.dispose();
    shared.dispose();
    // Disposed with the segment: a late call arms its own timer and is still stopped.
    const after = timeLimit(new AbortController().signal, 5, 'after ran out', shared);
    await assert.rejects(after.race(new Promise(() => {})), /after ran out/);
    after.dispose();
  });

  // A budget past setTimeout's reach (2^31 - 1 ms, ~24.8 days): Node would run the timer after 1 ms and
  // every call of such a run was stopped at once. Neither a call's own timer nor the shared one may.
  it('does not stop a call whose deadline is beyond setTimeout range', async () => {
    const lease = new AbortController();
    const thirtyDays = 30 * 24 * 3600_000;
    const shared = new SegmentDeadline();
    const own = timeLimit(lease.signal, thirtyDays, 'own ran out');
    const viaShared = timeLimit(lease.signal, thirtyDays, 'shared ran out', shared);
    const ownRace = own.race(new Promise(() => {}));
    const sharedRace = viaShared.race(new Promise(() => {}));
    ownRace.catch(() => {});
    sharedRace.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(own.timedOut(), false, 'a call with its own timer was stopped at once');
    assert.equal(viaShared.timedOut(), false, 'a call on the shared timer was stopped at once');
    const reason = new Error('lease lost');
    lease.abort(reason);
    await assert.rejects(ownRace, (err) => err === reason);
    await assert.rejects(sharedRace, (err) => err === reason);
    own.dispose();
    viaShared.dispose();
    shared.dispose();
  });
});

// The driver's lease stop (drive.ts) makes no AbortController unless something reads its signal: its
// calls follow it directly, and a signal made before or after the stop carries the same reason.
describe('LeaseStop', () => {
  it('stops the calls in flight and not the ended ones, and a signal read before or after has the reason', async () => {
    const lease = new LeaseStop();
    const early = lease.signal;
    const waiting = timeLimit(lease, 60_000, 'waiting ran out');
    const raced = waiting.race(new Promise<string>(() => {}));
    const ended = timeLimit(lease, 60_000, 'ended ran out');
    ended.dispose();
    const reason = new Error('lease lost');
    lease.abort(reason);
    lease.abort(new Error('second'));
    assert.equal(lease.aborted, true);
    assert.equal(lease.reason, reason);
    await assert.rejects(raced, (err) => err === reason);
    assert.equal(waiting.signal.reason, reason);
    assert.equal(waiting.timedOut(), false);
    assert.equal(ended.signal.aborted, false);
    assert.equal(early.aborted, true);
    assert.equal(early.reason, reason);
    assert.equal(lease.signal.reason, reason);
    waiting.dispose();
    // Lost before the call starts: stopped at once.
    const late = timeLimit(lease, 60_000, 'late ran out');
    assert.throws(
      () => late.throwIfStopped(),
      (err) => err === reason,
    );
    late.dispose();
  });

  it('gives a signal made after the stop the stop already, and an AbortError when no reason was given', () => {
    const lease = new LeaseStop();
    lease.abort(undefined);
    assert.equal(lease.signal.aborted, true);
    assert.equal((lease.signal.reason as DOMException).name, 'AbortError');
    assert.equal(lease.reason, lease.signal.reason);
  });
});
