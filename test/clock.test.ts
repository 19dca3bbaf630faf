// Ids from createIdSource: the ULID layout (10 digits of milliseconds, 16 of randomness, lowercase
// Crockford base 32), ordered by creation time, and unique.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIdSource } from '../src/clock.js';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** The time part as ULID defines it, with BigInt: what ids made before this version hold. */
const ulidTime = (ms: number): string => {
  let n = BigInt(ms);
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return out;
};

describe('ids', () => {
  it('encodes the time as ULID does, then 16 random digits', () => {
    for (const ms of [0, 1, 31, 32, 1_764_460_800_000, 2 ** 48 - 1]) {
      const id = createIdSource({ now: () => ms }).next('run');
      assert.match(id, /^run_[0-9a-hjkmnp-tv-z]{26}$/);
      assert.equal(id.slice(4, 14), ulidTime(ms), `time part of ${ms}`);
    }
  });

  it('sorts by creation time, and does not repeat across many ids (the random pool refills)', () => {
    let now = 1_764_460_800_000;
    const ids = createIdSource({ now: () => now });
    const seen = new Set<string>();
    let last = '';
    for (let i = 0; i < 20_000; i++) {
      if (i % 1000 === 0) now += 1;
      const id = ids.next('x');
      assert.ok(id.slice(0, 12) >= last.slice(0, 12), 'time part never goes back');
      last = id;
      seen.add(id);
    }
    assert.equal(seen.size, 20_000);
    // Every digit value turns up in the random part (it is not stuck on a few).
    const digits = new Set([...seen].flatMap((id) => [...id.slice(12)]));
    assert.equal(digits.size, 32);
  });
});
