// One store read shared by every caller that asked for the same key in the same turn of the event loop. A
// burst of events reaches a worker hundreds at a time, and each emit reads the access token of its request
// (auth/authenticate.ts) and the active version of each served role (runtime/events.ts): on Postgres each
// is one round trip through a pool of ten connections, queued behind the runs' own statements
// (bench/README.md, 2026-12-01, "intake"). A caller only ever joins a read that has not been sent yet: the
// statement goes out after the last caller that shares it asked, so it sees every change committed before
// any of them asked (a promotion, a revoked token), exactly what a read of its own would see. Events still
// follow promotions at each emit (decision 035); a revoked token is refused from the next request on.

/**
 * Wraps `read` so that calls with the same key made before the read is sent (within one turn of the event
 * loop: it is sent from setImmediate) share it; a call made once it is sent starts the next one.
 */
export function sharedFreshRead<K, V>(read: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const waiting = new Map<K, Promise<V>>();
  return (key) => {
    let p = waiting.get(key);
    if (!p) {
      p = new Promise<V>((resolve, reject) => {
        setImmediate(() => {
          // No longer joinable from here on: whoever asks after this needs a read sent after they asked.
          waiting.delete(key);
          read(key).then(resolve, reject);
        });
      });
      waiting.set(key, p);
    }
    return p;
  };
}
