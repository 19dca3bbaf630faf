// A webhook receiver's Retry-After through the outbox: a loopback receiver that answers the decision POST
// with `429` or `503` and a `Retry-After` (seconds or an HTTP date), a real runtime whose run escalates to a
// webhook, and a manual clock. The next attempt waits what the receiver asked for when longer than the
// outbox's own backoff, up to the longest backoff, and the attempt counts; without one the backoff holds.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { NightshiftError } from '../../src/errors.js';
import type { Notification } from '../../src/notifications/types.js';
import { webhookChannel } from '../../src/notifications/webhook-channel.js';
import type { PeopleDirectory } from '../../src/people/config.js';
import { createRuntime } from '../../src/runtime.js';
import { listenDuringSuite } from '../support/loopback.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();
const SECRET = 'decisions-secret-webhook-retry-after';

function manualClock(start = Date.now()): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('webhook 429/503 Retry-After', () => {
  // What the next POST is answered with: a status and a Retry-After (or none), or `ok` (200).
  let answer: { status: number; retryAfter?: string } | 'ok' = 'ok';
  let posts = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts++;
      if (answer === 'ok') {
        res.writeHead(200).end('ok');
        return;
      }
      const headers: Record<string, string> = {};
      if (answer.retryAfter !== undefined) headers['retry-after'] = answer.retryAfter;
      res.writeHead(answer.status, headers).end('slow down');
    });
  });
  const loopback = listenDuringSuite(server);

  const setUp = async () => {
    const clock = manualClock();
    const people: PeopleDirectory = {
      people: [{ name: 'alice', webhook: `${loopback.origin}/hook`, decides: ['*'] }],
      groups: {},
    };
    const r = role({
      name: 'test-desk',
      autonomy: 'full',
      turns: [{ escalate: { category: 'legal', reason: 'needs a person' } }, { final: { summary: 'done' } }],
      extra: { escalate: { tiers: [{ to: ['alice'], via: ['webhook'] }] } },
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people, clock });
    const paused = await rt.run(r.file, {});
    assert.equal(paused.status, 'escalated');
    return { rt, clock, channels: [webhookChannel({ secret: SECRET })], runId: paused.runId };
  };

  it('carries the wait a 429 or 503 asked for as details.retryAfterMs (seconds or an HTTP date)', async () => {
    const channel = webhookChannel({ secret: SECRET });
    const n: Notification = {
      id: 'ntf_retry_after',
      channel: 'webhook',
      to: `${loopback.origin}/hook`,
      people: ['alice'],
      attempt: 1,
      decision: {
        kind: 'escalation',
        id: 'esc_1',
        runId: 'run_1',
        role: 'test-desk',
        summary: 's',
        reason: 'r',
        category: 'legal',
        createdAt: 0,
      },
    };
    const failure = async () => {
      try {
        await channel.send(n);
      } catch (err) {
        assert.ok(NightshiftError.isInstance(err));
        return err;
      }
      assert.fail('the send should fail');
    };
    answer = { status: 429, retryAfter: '30' };
    let err = await failure();
    assert.equal(err.code, 'NOTIFICATION_FAILED');
    assert.equal(err.retryable, true);
    assert.deepEqual(err.details, { status: 429, retryAfterMs: 30_000 });
    answer = { status: 503, retryAfter: new Date(Date.now() + 120_000).toUTCString() };
    err = await failure();
    const ms = err.details?.retryAfterMs as number;
    assert.ok(ms > 100_000 && ms <= 120_000, `an HTTP date in two minutes gives ~120 s, got ${ms}`);
    // Without a Retry-After, or one that does not parse, nothing is carried.
    answer = { status: 503 };
    assert.equal((await failure()).details?.retryAfterMs, undefined);
    answer = { status: 429, retryAfter: 'soon' };
    assert.equal((await failure()).details?.retryAfterMs, undefined);
  });

  it('waits what a 429 asked for before the next attempt, not the shorter backoff', async () => {
    const { rt, clock, channels, runId } = await setUp();
    try {
      answer = { status: 429, retryAfter: '30' };
      assert.equal((await rt.notify({ channels, backoffMs: 1000 })).retried, 1);
      const [row] = await rt.store.listNotifications({ runId });
      assert.match(row!.lastError!, /HTTP 429/);
      answer = 'ok';
      const before = posts;
      // The outbox's own backoff (1 s) has passed, the receiver's 30 s has not: nothing is sent.
      clock.advance(1000);
      assert.equal((await rt.notify({ channels, backoffMs: 1000 })).sent, 0, 'not before Retry-After');
      clock.advance(29_000 - 1);
      assert.equal((await rt.notify({ channels, backoffMs: 1000 })).sent, 0, 'not a millisecond early');
      assert.equal(posts, before, 'no POST while waiting');
      clock.advance(1);
      assert.equal((await rt.notify({ channels, backoffMs: 1000 })).sent, 1, 'sent once Retry-After passed');
      const [sent] = await rt.store.listNotifications({ runId });
      assert.equal(sent!.attempt, 2, 'the rate-limited attempt counted');
    } finally {
      await rt.close();
    }
  });

  it('caps a 503’s huge Retry-After at the longest backoff; the attempt counts toward the limit', async () => {
    const { rt, clock, channels, runId } = await setUp();
    const o = { channels, backoffMs: 1000, maxBackoffMs: 60_000, maxAttempts: 2 };
    try {
      answer = { status: 503, retryAfter: '86400' };
      assert.equal((await rt.notify(o)).retried, 1);
      clock.advance(60_000 - 1);
      assert.equal((await rt.notify(o)).retried, 0, 'waits the longest backoff');
      clock.advance(1);
      // A day asked for, a minute waited; this is attempt 2 of 2, so the row fails for good.
      assert.equal((await rt.notify(o)).failed, 1);
      const [row] = await rt.store.listNotifications({ runId });
      assert.equal(row!.status, 'failed');
      assert.equal(row!.attempt, 2);
    } finally {
      await rt.close();
    }
  });
});
