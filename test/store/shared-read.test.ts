// A read of the active version shared by the emits of one burst: never one sent before a caller asked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sharedFreshRead } from '../../src/store/shared-read.js';

/** A stand-in for the store: the value each key has now, and the reads sent (with what each saw). */
function fakeStore() {
  const value = new Map<string, number>();
  const sent: { key: string; saw: number }[] = [];
  const read = async (key: string) => {
    const saw = value.get(key) ?? 0;
    sent.push({ key, saw });
    return saw;
  };
  return { value, sent, read };
}

describe('sharedFreshRead', () => {
  it('sends one read for the callers of one turn, one per key', async () => {
    const s = fakeStore();
    const get = sharedFreshRead(s.read);
    s.value.set('a', 1);
    s.value.set('b', 2);
    const got = await Promise.all([get('a'), get('a'), get('b'), get('a')]);
    assert.deepEqual(got, [1, 1, 2, 1]);
    assert.deepEqual(
      s.sent.map((r) => r.key),
      ['a', 'b'],
    );
  });

  it('sends the read after every caller that shares it asked: a change made before the last asked is seen by all', async () => {
    const s = fakeStore();
    const get = sharedFreshRead(s.read);
    s.value.set('a', 1);
    const first = get('a');
    s.value.set('a', 2); // a promotion committed between the two callers' asking
    const second = get('a');
    assert.deepEqual(await Promise.all([first, second]), [2, 2]);
    assert.equal(s.sent.length, 1);
  });

  it('never gives a caller a read that was sent before it asked', async () => {
    const s = fakeStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // The first read is sent, then held: a caller asking now must not join it.
    const get = sharedFreshRead(async (key: string) => {
      const saw = await s.read(key);
      if (s.sent.length === 1) await gate;
      return saw;
    });
    s.value.set('a', 1);
    const first = get('a');
    await new Promise((r) => setImmediate(r));
    assert.equal(s.sent.length, 1, 'the first read was sent');
    s.value.set('a', 2); // promoted after that read went out, before the second caller asked
    const second = get('a');
    assert.equal(await second, 2);
    release();
    assert.equal(await first, 1);
    assert.equal(s.sent.length, 2);
  });

  it('fails every caller that shared a read that failed, and the next caller reads again', async () => {
    let fail = true;
    let reads = 0;
    const get = sharedFreshRead(async (_key: string) => {
      reads++;
      if (fail) throw new Error('store unreachable');
      return 7;
    });
    const results = await Promise.allSettled([get('a'), get('a')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    fail = false;
    assert.equal(await get('a'), 7);
    assert.equal(reads, 2);
  });
});
