// The pass rate's interval: Wilson's score interval at 95 %, checked against published values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { wilson } from '../../src/evals/wilson.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-4, `${a} ≉ ${b}`);

describe('Wilson score interval', () => {
  it('matches the textbook values', () => {
    // Newcombe (1998), table I: 81/263 → 0.2553–0.3662; 15/148 → 0.0624–0.1605; 0/20 → 0–0.1611.
    for (const [k, n, low, high] of [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
    ] as const) {
      const ci = wilson(k, n);
      close(ci.low, low);
      close(ci.high, high);
    }
  });

  it('stays inside 0..1 and around the observed rate, and narrows as runs grow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, q) => {
        const k = Math.round(q * n);
        const ci = wilson(k, n);
        assert.ok(ci.low >= 0 && ci.high <= 1 && ci.low <= k / n + 1e-12 && k / n <= ci.high + 1e-12);
        const wider = wilson(k, n);
        const narrower = wilson(4 * k, 4 * n);
        assert.ok(narrower.high - narrower.low < wider.high - wider.low);
      }),
    );
  });

  it('says nothing is known after no runs', () => {
    assert.deepEqual(wilson(0, 0), { low: 0, high: 1 });
  });
});
