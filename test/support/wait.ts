// Waiting for conditions in tests that watch real workers and processes, instead of fixed sleeps: a loaded
// machine makes everything slower, so the tests wait for what they need and give up only when it is clearly
// not coming.
import { setTimeout as sleep } from 'node:timers/promises';
import { authFor } from './cli.js';

/** Polls until `fn` returns a defined value, and resolves with it; rejects after `timeoutMs`. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  // On the monotonic clock: a test may step Date.now() while it waits.
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Polls until `count()` reaches `target`, for work that advances piece by piece (a burst of runs). It gives
 * up only when the count has not grown for `stallMs`, so a slow machine is not mistaken for a stuck one.
 */
export async function waitForCount(
  count: () => Promise<number>,
  target: number,
  what: string,
  stallMs = 60_000,
): Promise<void> {
  let best = -1;
  let since = Date.now();
  for (;;) {
    const n = await count();
    if (n >= target) return;
    if (n > best) {
      best = n;
      since = Date.now();
    } else if (Date.now() - since > stallMs) {
      throw new Error(`timed out waiting for ${what}: ${n} of ${target}, none more in ${stallMs} ms`);
    }
    await sleep(50);
  }
}

/**
 * POSTs as an at-least-once producer does: a request that fails at the connection (refused or reset while
 * a burst of them floods a loaded machine) is sent again. Give an idempotency key wherever a repeat must
 * not start a second run. Resolves with the HTTP status.
 */
export async function postRetrying(url: string, init: RequestInit, attempts = 5): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      // Events must be sent as JSON (serve answers 415 otherwise); a caller's headers win.
      const res = await fetch(url, {
        ...init,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          // A daemon startServe started needs its token (test/support/cli.ts).
          ...authFor(url),
          ...(init.headers as Record<string, string> | undefined),
        },
      });
      await res.arrayBuffer();
      return res.status;
    } catch (err) {
      if (attempt >= attempts) throw err;
      await sleep(100 * attempt);
    }
  }
}
