import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSince } from '../../src/stats/since.js';

describe('--since', () => {
  const now = Date.parse('2026-11-30T06:00:00Z');
  it('takes a duration back from now in minutes, hours, days or weeks', () => {
    assert.equal(parseSince('30m', now), now - 30 * 60_000);
    assert.equal(parseSince('24h', now), now - 86_400_000);
    assert.equal(parseSince('7d', now), now - 7 * 86_400_000);
    assert.equal(parseSince('2w', now), now - 14 * 86_400_000);
  });
  it('takes an ISO date or date-time', () => {
    assert.equal(parseSince('2026-11-29', now), Date.parse('2026-11-29T00:00:00Z'));
    assert.equal(parseSince('2026-11-29T12:30:00+01:00', now), Date.parse('2026-11-29T11:30:00Z'));
  });
  it('refuses anything else with a USAGE error naming the formats', () => {
    for (const bad of [
      'yesterday',
      '7',
      '7y',
      '-1d',
      '2026-13-45',
      '2026-02-30',
      '2025-02-29',
      '2026-06-31',
      '',
    ]) {
      assert.throws(
        () => parseSince(bad, now),
        (err: Error & { code?: string }) => err.code === 'USAGE' && /30m, 24h, 7d, 2w/.test(err.message),
        bad,
      );
    }
  });
});
