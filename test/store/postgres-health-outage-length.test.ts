// An outage's end carries its length (`outageMs`), whichever way it ends: a query that succeeds again, or
// the LISTEN connection coming back (the worker logs "store available again" with it, store-outage.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionHealth } from '../../src/store/postgres/connection-health.js';
import type { StoreHealth } from '../../src/store/types.js';

describe('ConnectionHealth: the end of an outage says how long it lasted', () => {
  it('ended by the LISTEN connection reconnecting', async () => {
    const health = new ConnectionHealth();
    const heard: [StoreHealth, Record<string, unknown>][] = [];
    health.watch((h, detail) => heard.push([h, detail]));
    health.listener('connection lost');
    await sleep(50);
    health.listener(undefined);
    assert.equal(heard.length, 2);
    assert.equal(heard[1]![0].ok, true);
    // before: the detail was {} (the log line had no outageMs).
    const outageMs = heard[1]![1].outageMs as number;
    assert.ok(typeof outageMs === 'number' && outageMs >= 40, JSON.stringify(heard[1]![1]));
  });

  it('ended by a query that succeeds, with the failures it absorbed', async () => {
    const health = new ConnectionHealth();
    const heard: Record<string, unknown>[] = [];
    health.watch((_, detail) => heard.push(detail));
    const lost = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    health.failed(lost);
    health.failed(lost);
    await sleep(30);
    health.succeeded();
    assert.equal(heard.at(-1)!.failures, 2);
    assert.ok((heard.at(-1)!.outageMs as number) >= 20, JSON.stringify(heard.at(-1)));
  });
});
