// The retry policy: what is retried, the backoff curve, and the server's retry-after in its three forms.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRetryableStatus, MAX_BACKOFF_MS, retryAfterMs, retryDelay } from '../../src/models/http-retry.js';

const policy = { maxRetries: 5, baseMs: 500 };
const now = Date.parse('2026-11-25T12:00:00Z');

describe('retry policy', () => {
  it('retries request timeouts, rate limits and server errors, not other client errors', () => {
    for (const s of [408, 429, 500, 502, 503, 529]) assert.equal(isRetryableStatus(s), true, String(s));
    for (const s of [400, 401, 403, 404, 413, 422]) assert.equal(isRetryableStatus(s), false, String(s));
  });

  it('backs off exponentially from 500 ms, capped at 8 s, jittered between half and all of the step', () => {
    const steps = [500, 1000, 2000, 4000, 8000, 8000, 8000];
    for (const [i, step] of steps.entries()) {
      assert.deepEqual(
        retryDelay(i + 1, policy, undefined, now, () => 0),
        { waitMs: step / 2 },
      );
      assert.deepEqual(
        retryDelay(i + 1, policy, undefined, now, () => 0.999999),
        { waitMs: step / 2 + 0.999999 * (step / 2) },
      );
    }
    assert.equal(MAX_BACKOFF_MS, 8000);
  });

  it('reads retry-after-ms, retry-after in seconds and retry-after as an HTTP date', () => {
    assert.equal(retryAfterMs({ 'retry-after-ms': '250' }, now), 250);
    assert.equal(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, now), 250);
    assert.equal(retryAfterMs({ 'retry-after': '2' }, now), 2000);
    assert.equal(retryAfterMs({ 'retry-after': '0.5' }, now), 500);
    assert.equal(retryAfterMs({ 'retry-after': 'Wed, 25 Nov 2026 12:00:03 GMT' }, now), 3000);
    assert.equal(retryAfterMs({ 'retry-after': 'Wed, 25 Nov 2026 11:00:00 GMT' }, now), 0);
    assert.equal(retryAfterMs({ 'retry-after': 'soon' }, now), undefined);
    assert.equal(retryAfterMs({}, now), undefined);
  });

  it('waits what the server asked, up to a minute; longer is refused', () => {
    assert.deepEqual(retryDelay(1, policy, { 'retry-after': '30' }, now), { waitMs: 30_000 });
    assert.deepEqual(retryDelay(1, policy, { 'retry-after': '3600' }, now), { tooLong: 3_600_000 });
  });
});
