// A Slack 429's Retry-After through the outbox: a loopback server that answers chat.postMessage with
// `429 Retry-After: N` (as Slack's Web API does when rate limited), a real runtime whose run escalates to
// Slack, and a manual clock. The notification's next attempt waits what Slack asked for (when longer than
// the outbox's own backoff), up to the outbox's longest backoff; without a Retry-After the backoff holds.
// A Retry-After on another status is not a rate limit: the backoff holds; a 408 is retried, another 4xx not.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { slackChannel } from '../../src/notifications/channels/slack.js';
import { notificationSecrets, SlackSettings } from '../../src/notifications/settings.js';
import type { PeopleDirectory } from '../../src/people/config.js';
import { createRuntime } from '../../src/runtime.js';
import { listenDuringSuite } from '../support/loopback.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();
const TOKEN = 'xoxb-fake-bot-token-0429';

function manualClock(start = Date.now()): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const people: PeopleDirectory = {
  people: [{ name: 'alice', slack: 'U0ALICE', decides: ['*'] }],
  groups: {},
};

describe('Slack 429 Retry-After', () => {
  // What the next chat.postMessage is answered with: a status (429 unless given) with a Retry-After in
  // seconds, or none; `ok` posts the message.
  let answer: { status?: number; retryAfter?: string } | 'ok' = 'ok';
  const posts: number[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts.push(Date.now());
      if (answer === 'ok') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"ts":"1.2"}');
        return;
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (answer.retryAfter !== undefined) headers['retry-after'] = answer.retryAfter;
      res.writeHead(answer.status ?? 429, headers).end('{"ok":false,"error":"ratelimited"}');
    });
  });
  const loopback = listenDuringSuite(server);

  const setUp = async () => {
    const clock = manualClock();
    const r = role({
      name: 'test-desk',
      autonomy: 'full',
      turns: [{ escalate: { category: 'legal', reason: 'needs a person' } }, { final: { summary: 'done' } }],
      extra: { escalate: { tiers: [{ to: ['alice'], via: ['slack'] }] } },
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people, clock });
    const settings = SlackSettings.parse({
      token: 'SLACK_TOKEN',
      apiUrl: `${loopback.origin}/api`,
      signingSecret: 'SLACK_SIGNING_SECRET',
      channel: 'C_DECISIONS',
    });
    const channels = [
      slackChannel(settings, notificationSecrets({ slack: settings }, { SLACK_TOKEN: TOKEN })),
    ];
    const paused = await rt.run(r.file, {});
    assert.equal(paused.status, 'escalated');
    return { rt, clock, channels, runId: paused.runId };
  };

  it('waits what Slack asked for before the next attempt, not the shorter backoff', async () => {
    const { rt, clock, channels, runId } = await setUp();
    try {
      answer = { retryAfter: '30' };
      const first = await rt.notify({ channels, backoffMs: 1000 });
      assert.equal(first.retried, 1);
      const [row] = await rt.store.listNotifications({ runId });
      assert.match(row!.lastError!, /HTTP 429/);
      answer = 'ok';
      // The outbox's own backoff (1 s) has passed, Slack's 30 s has not: nothing is sent.
      clock.advance(1000);
      assert.equal((await rt.notify({ channels, backoffMs: 1000 })).sent, 0, 'not before Retry-After');
      clock.advance(29_000 - 1);
      assert.equal((await rt.notify({ channels, backoffMs: 1000 })).sent, 0, 'not a millisecond early');
      clock.advance(1);
      assert.equal((await rt.notify({ channels, backoffMs: 1000 })).sent, 1, 'sent once Retry-After passed');
    } finally {
      await rt.close();
    }
  });

  it('caps a huge Retry-After at the longest backoff, and keeps the backoff when none is given', async () => {
    const { rt, clock, channels } = await setUp();
    try {
      answer = { retryAfter: '86400' };
      assert.equal((await rt.notify({ channels, backoffMs: 1000, maxBackoffMs: 60_000 })).retried, 1);
      answer = {};
      clock.advance(60_000 - 1);
      assert.equal((await rt.notify({ channels, backoffMs: 1000, maxBackoffMs: 60_000 })).retried, 0);
      clock.advance(1);
      // A day asked for, a minute waited (maxBackoffMs); this attempt's 429 has no Retry-After.
      assert.equal((await rt.notify({ channels, backoffMs: 1000, maxBackoffMs: 60_000 })).retried, 1);
      answer = 'ok';
      // Attempt 2 failed without a Retry-After: the doubled backoff, 2 s.
      clock.advance(2000);
      assert.equal((await rt.notify({ channels, backoffMs: 1000, maxBackoffMs: 60_000 })).sent, 1);
    } finally {
      await rt.close();
    }
  });
  it('keeps the backoff when a status other than 429 carries a Retry-After', async () => {
    const { rt, clock, channels, runId } = await setUp();
    try {
      answer = { status: 500, retryAfter: '30' };
      assert.equal((await rt.notify({ channels, backoffMs: 1000 })).retried, 1);
      assert.match((await rt.store.listNotifications({ runId }))[0]!.lastError!, /HTTP 500/);
      // The outbox's own backoff (1 s), not the 30 s the 500 named.
      answer = { status: 503, retryAfter: '30' };
      clock.advance(1000);
      assert.equal((await rt.notify({ channels, backoffMs: 1000 })).retried, 1, 'retried after the backoff');
      assert.match((await rt.store.listNotifications({ runId }))[0]!.lastError!, /HTTP 503/);
      answer = 'ok';
      // Attempt 2 failed: the doubled backoff, 2 s.
      clock.advance(2000);
      assert.equal((await rt.notify({ channels, backoffMs: 1000 })).sent, 1, 'sent after the backoff alone');
    } finally {
      await rt.close();
    }
  });

  it('retries a 408 and gives up at once on another 4xx, whatever Retry-After it carries', async () => {
    const { rt, clock, channels, runId } = await setUp();
    try {
      answer = { status: 408 };
      assert.equal((await rt.notify({ channels, backoffMs: 1000 })).retried, 1, 'a 408 is retried');
      answer = { status: 400, retryAfter: '30' };
      clock.advance(1000);
      await rt.notify({ channels, backoffMs: 1000 });
      const [row] = await rt.store.listNotifications({ runId });
      assert.equal(row!.status, 'failed', 'a 400 is not retried');
    } finally {
      await rt.close();
    }
  });
});
