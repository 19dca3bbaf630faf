// The outbox through the library: a paused run's notifications are written with the pause, sent through
// the webhook channel to a real local receiver (signed, the notification id as idempotency key), retried
// with backoff, failed for good after the limit or on a 4xx, cancelled when the matter was decided first;
// tier timeouts pass a matter on once (even with two sweepers racing), and the last tier leaves it paused.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { webhookChannel } from '../../src/notifications/webhook-channel.js';
import type { PeopleDirectory } from '../../src/people/config.js';
import { createRuntime } from '../../src/runtime.js';
import { startReceiver } from '../support/decision-receiver.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();
const SECRET = 'decisions-secret-outbox-test';
const done = { final: { summary: 'done' } };

function manualClock(start = Date.now()): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function people(url: string): PeopleDirectory {
  return {
    people: [
      { name: 'alice', email: 'alice@example.com', webhook: url, decides: ['test-*'] },
      { name: 'bob', webhook: `${url}?bob`, decides: ['*'] },
      { name: 'carol', webhook: `${url}?carol`, decides: ['*'] },
    ],
    groups: { leads: ['bob', 'carol'] },
  };
}

const escalating = (tiers: unknown[]) =>
  role({
    name: 'test-desk',
    autonomy: 'full',
    turns: [{ escalate: { category: 'legal', reason: 'customer threatens to sue' } }, done],
    extra: { escalate: { tiers } },
  });

describe('the notification outbox', () => {
  it('writes the first tier with the pause and sends it signed, the notification id as the key', async () => {
    const rx = await startReceiver(SECRET);
    const r = escalating([{ to: ['alice'], via: ['webhook', 'email'], timeout: '1h' }, { to: ['leads'] }]);
    const rt = await createRuntime({ dataDir: r.dataDir, people: people(rx.url) });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated');
      const rows = await rt.store.listNotifications({ runId: paused.runId });
      // alice's webhook and email; the second tier (bob, carol) is not asked yet.
      assert.deepEqual(rows.map((n) => [n.channel, n.to, n.people, n.tier, n.status]).sort(), [
        ['email', 'alice@example.com', ['alice'], 0, 'pending'],
        ['webhook', rx.url, ['alice'], 0, 'pending'],
      ]);
      assert.equal(await rt.store.outboxDepth(), 2);
      const pass = await rt.notify({ channels: [webhookChannel({ secret: SECRET })] });
      assert.equal(pass.sent, 1);
      assert.equal(rx.deliveries.length, 1);
      const d = rx.deliveries[0]!;
      assert.ok(d.signatureOk, 'signed with the decisions secret');
      const webhookRow = rows.find((n) => n.channel === 'webhook')!;
      assert.equal(d.id, webhookRow.id);
      assert.equal(d.body.notificationId, webhookRow.id);
      const decision = d.body.decision as Record<string, unknown>;
      assert.equal(decision.kind, 'escalation');
      assert.equal(decision.id, paused.escalations[0]!.id);
      assert.match(String(decision.summary), /customer threatens to sue/);
      assert.equal(d.body.answerPath, `/decisions/escalation/${paused.escalations[0]!.id}`);
      // The email row waits for a process with an email channel: it stays in the outbox.
      assert.equal(await rt.store.outboxDepth(), 1);
      const again = await rt.notify({ channels: [webhookChannel({ secret: SECRET })] });
      assert.equal(again.sent, 0, 'a sent notification is not sent again');
    } finally {
      await rt.close();
    }
  });

  it('sends people who share a webhook URL one POST naming them all, shaped as the docs show it; a name nobody configured is skipped', async () => {
    const rx = await startReceiver(SECRET);
    const r = escalating([{ to: ['alice', 'bob', 'ghost'], via: ['webhook'] }]);
    const shared: PeopleDirectory = {
      people: [
        { name: 'alice', webhook: rx.url, decides: ['*'] },
        { name: 'bob', webhook: rx.url, decides: ['*'] },
      ],
      groups: {},
    };
    const rt = await createRuntime({ dataDir: r.dataDir, people: shared });
    try {
      // The role is not refused for naming ghost (validate says so): ghost is skipped when notifying.
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated');
      const rows = await rt.store.listNotifications({ runId: paused.runId });
      assert.deepEqual(
        rows.map((n) => [n.channel, n.to, n.people]),
        [['webhook', rx.url, ['alice', 'bob']]],
      );
      assert.equal((await rt.notify({ channels: [webhookChannel({ secret: SECRET })] })).sent, 1);
      assert.equal(rx.deliveries.length, 1);
      const d = rx.deliveries[0]!;
      // docs/escalation-people.md, "The webhook channel": the body and the three headers.
      const e = paused.escalations[0]!;
      assert.deepEqual(Object.keys(d.body).sort(), [
        'answerPath',
        'attempt',
        'decision',
        'event',
        'notificationId',
        'people',
      ]);
      assert.equal(d.body.event, 'decision.requested');
      assert.equal(d.body.notificationId, rows[0]!.id);
      assert.deepEqual(d.body.people, ['alice', 'bob']);
      assert.equal(d.body.attempt, 1);
      const decision = d.body.decision as Record<string, unknown>;
      assert.deepEqual(
        [decision.kind, decision.id, decision.runId, decision.role, decision.category, decision.reason],
        ['escalation', e.id, paused.runId, 'test-desk', 'legal', e.reason],
      );
      assert.equal(typeof decision.summary, 'string');
      assert.equal(typeof decision.createdAt, 'number');
      assert.equal(d.body.answerPath, `/decisions/escalation/${e.id}`);
      assert.match(String(d.headers['x-nightshift-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.ok(d.signatureOk);
      assert.equal(d.headers['x-nightshift-delivery'], rows[0]!.id);
      assert.equal(d.headers['x-nightshift-event'], 'decision.requested');
    } finally {
      await rt.close();
    }
  });

  it('writes the first tier of an input rule’s escalation, raised as the run is created', async () => {
    const rx = await startReceiver(SECRET);
    const r = role({
      name: 'test-desk',
      autonomy: 'full',
      escalation: [
        { category: 'ambiguous', reason: 'no ticket named', when: { input: { missing: 'ticket' } } },
      ],
      turns: [done],
      extra: { escalate: { tiers: [{ to: ['alice'], via: ['webhook'] }] } },
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people: people(rx.url) });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated');
      const e = paused.escalations[0]!;
      assert.equal(e.source, 'input_rule');
      const rows = await rt.store.listNotifications({ runId: paused.runId });
      assert.deepEqual(
        rows.map((n) => [n.decisionId, n.channel, n.people]),
        [[e.id, 'webhook', ['alice']]],
      );
    } finally {
      await rt.close();
    }
  });

  it('uses every channel a person has when the tier names no via', async () => {
    const rx = await startReceiver(SECRET);
    const r = escalating([{ to: ['alice'] }]);
    const rt = await createRuntime({ dataDir: r.dataDir, people: people(rx.url) });
    try {
      const paused = await rt.run(r.file, {});
      const rows = await rt.store.listNotifications({ runId: paused.runId });
      // alice has an email and a webhook (no Slack id): one row each.
      assert.deepEqual(rows.map((n) => [n.channel, n.to]).sort(), [
        ['email', 'alice@example.com'],
        ['webhook', rx.url],
      ]);
    } finally {
      await rt.close();
    }
  });

  it('tells nobody for a role without tiers, although its people have webhooks', async () => {
    const rx = await startReceiver(SECRET);
    const r = role({
      name: 'test-desk',
      autonomy: 'full',
      turns: [{ escalate: { category: 'legal', reason: 'customer threatens to sue' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people: people(rx.url) });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated');
      assert.deepEqual(await rt.store.listNotifications({ runId: paused.runId }), []);
      assert.equal(await rt.store.outboxDepth(), 0);
      assert.equal((await rt.notify({ channels: [webhookChannel({ secret: SECRET })] })).sent, 0);
      assert.equal(rx.deliveries.length, 0);
      // It waits in the inbox for whoever looks.
      assert.equal((await rt.get(paused.runId))!.escalations[0]!.status, 'pending');
    } finally {
      await rt.close();
    }
  });

  it('writes an approval’s notifications with the drafted change set, its hash included', async () => {
    const rx = await startReceiver(SECRET);
    const r = role({
      name: 'test-drafter',
      autonomy: 'draft',
      tools: ['fs.write'],
      ledgerTools: false,
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, done],
      extra: { escalate: { tiers: [{ to: ['alice'], via: ['webhook'] }] } },
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people: people(rx.url) });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'awaiting_approval');
      await rt.notify({ channels: [webhookChannel({ secret: SECRET })] });
      const decision = rx.deliveries[0]!.body.decision as Record<string, unknown>;
      const approval = (await rt.store.getApproval(paused.pending[0]!))!;
      assert.equal(decision.kind, 'approval');
      assert.equal(decision.hash, approval.changeSetHash);
      assert.match(String(decision.summary), /fs\.write/);
    } finally {
      await rt.close();
    }
  });

  it('retries a 5xx with backoff, then fails for good after the limit; a 4xx fails at once', async () => {
    const rx = await startReceiver(SECRET);
    const clock = manualClock();
    const r = escalating([{ to: ['alice', 'bob'], via: ['webhook'] }]);
    const rt = await createRuntime({ dataDir: r.dataDir, people: people(rx.url), clock });
    const channels = [webhookChannel({ secret: SECRET })];
    try {
      const paused = await rt.run(r.file, {});
      const rows: Record<string, string> = {};
      for (const n of await rt.store.listNotifications({ runId: paused.runId })) rows[n.id] = n.people[0]!;
      // alice's URL answers 503 every time; bob's answers 400.
      rx.answer = (id) => (rows[id] === 'bob' ? 400 : 503);
      const first = await rt.notify({ channels, backoffMs: 1000, maxAttempts: 3 });
      assert.deepEqual([first.retried, first.failed], [1, 1]);
      // Backing off: nothing is due until the delay passed.
      assert.equal((await rt.notify({ channels, backoffMs: 1000, maxAttempts: 3 })).retried, 0);
      clock.advance(1000);
      assert.equal((await rt.notify({ channels, backoffMs: 1000, maxAttempts: 3 })).retried, 1);
      clock.advance(1999);
      assert.equal((await rt.notify({ channels, backoffMs: 1000, maxAttempts: 3 })).retried, 0, 'doubled');
      clock.advance(1);
      assert.equal((await rt.notify({ channels, backoffMs: 1000, maxAttempts: 3 })).failed, 1);
      const after = await rt.store.listNotifications({ runId: paused.runId });
      assert.deepEqual(after.map((n) => [n.people[0], n.status, n.attempt]).sort(), [
        ['alice', 'failed', 3],
        ['bob', 'failed', 1],
      ]);
      assert.match(after.find((n) => n.people[0] === 'alice')!.lastError!, /HTTP 503/);
      assert.equal(await rt.store.outboxDepth(), 0);
      // The run still waits: a failed notification never decides anything.
      assert.equal((await rt.get(paused.runId))!.run.status, 'escalated');
    } finally {
      await rt.close();
    }
  });

  it('cancels a notification whose matter was decided before it was sent', async () => {
    const rx = await startReceiver(SECRET);
    const r = escalating([{ to: ['alice'], via: ['webhook'] }]);
    const rt = await createRuntime({ dataDir: r.dataDir, people: people(rx.url) });
    try {
      const paused = await rt.run(r.file, {});
      await rt.answer(paused.escalations[0]!.id, 'go ahead', { by: 'alice' });
      const pass = await rt.notify({ channels: [webhookChannel({ secret: SECRET })] });
      assert.deepEqual([pass.sent, pass.cancelled], [0, 1]);
      assert.equal(rx.deliveries.length, 0);
    } finally {
      await rt.close();
    }
  });
});

describe('tiers with timeouts', () => {
  it('passes an unanswered matter to the next tier once, then leaves it paused after the last', async () => {
    const rx = await startReceiver(SECRET);
    const clock = manualClock();
    const r = escalating([
      { to: ['alice'], via: ['webhook'], timeout: '1h' },
      { to: ['leads'], via: ['webhook'], timeout: '30m' },
    ]);
    const rt = await createRuntime({ dataDir: r.dataDir, people: people(rx.url), clock });
    const channels = [webhookChannel({ secret: SECRET })];
    try {
      const paused = await rt.run(r.file, {});
      const id = paused.escalations[0]!.id;
      assert.equal((await rt.notify({ channels })).tiersPassed, 0);
      clock.advance(3_600_000 - 1);
      assert.equal((await rt.notify({ channels })).tiersPassed, 0, 'not before the timeout');
      clock.advance(1);
      // Two sweepers at once (two serve processes): the tier passes once.
      const [a, b] = await Promise.all([rt.notify({ channels }), rt.notify({ channels })]);
      assert.equal(a.tiersPassed + b.tiersPassed, 1);
      const tier1 = (await rt.store.listNotifications({ decisionId: id })).filter((n) => n.tier === 1);
      assert.deepEqual(tier1.map((n) => n.people[0]).sort(), ['bob', 'carol']);
      assert.deepEqual(rx.processed.length, 3, 'alice, then bob and carol, each once');
      assert.equal((await rt.notify({ channels })).tiersPassed, 0, 'never twice');
      clock.advance(30 * 60_000);
      assert.equal((await rt.notify({ channels })).tiersPassed, 1);
      const snap = (await rt.get(paused.runId))!;
      const passed = snap.steps.filter((s) => s.kind === 'tier_passed').map((s) => s.data);
      assert.deepEqual(passed, [
        { decisionId: id, kind: 'escalation', from: 0, to: 1, people: ['bob', 'carol'] },
        { decisionId: id, kind: 'escalation', from: 1, to: null, people: [] },
      ]);
      // The last tier's silence: still paused, never allowed; no more sweeps.
      assert.equal(snap.run.status, 'escalated');
      assert.equal(snap.escalations[0]!.status, 'pending');
      clock.advance(86_400_000);
      assert.equal((await rt.notify({ channels })).tiersPassed, 0);
      assert.equal((await rt.store.getTier(id))!.dueAt, null);
      // Whoever answers then still can (bob is in the leads).
      const answered = await rt.answer(id, 'settle', { by: 'bob' });
      assert.equal(answered.status, 'succeeded');
    } finally {
      await rt.close();
    }
  });

  it('stops timing out a matter once it is decided', async () => {
    const rx = await startReceiver(SECRET);
    const clock = manualClock();
    const r = escalating([{ to: ['alice'], via: ['webhook'], timeout: '1m' }, { to: ['bob'] }]);
    const rt = await createRuntime({ dataDir: r.dataDir, people: people(rx.url), clock });
    try {
      const paused = await rt.run(r.file, {});
      await rt.answer(paused.escalations[0]!.id, 'fine', { by: 'alice' });
      clock.advance(120_000);
      assert.equal((await rt.notify({ channels: [] })).tiersPassed, 0);
      assert.equal((await rt.store.getTier(paused.escalations[0]!.id))!.dueAt, null);
      const tier1 = await rt.store.listNotifications({ decisionId: paused.escalations[0]!.id });
      assert.ok(tier1.every((n) => n.tier === 0));
    } finally {
      await rt.close();
    }
  });
});

describe('the webhook channel’s failures', () => {
  // A webhook URL often carries its credential (`/services/T0/B0/XXXX`, `?token=`), and a failure's
  // message goes to serve's log and the outbox's last error: it names the origin only. The code is the
  // one the docs give for a notification that could not be sent.
  const n = (to: string) => ({
    id: 'ntf_fail',
    channel: 'webhook' as const,
    to,
    people: ['alice'],
    attempt: 1,
    decision: {
      kind: 'escalation' as const,
      id: 'esc_1',
      runId: 'run_1',
      role: 'test-desk',
      category: 'legal',
      reason: 'r',
      summary: 's',
      createdAt: 1,
    },
  });
  const refusedWith =
    (retryable: boolean, origin: string) => (err: Error & { code?: string; retryable?: boolean }) => {
      assert.equal(err.code, 'NOTIFICATION_FAILED');
      assert.equal(err.retryable, retryable);
      assert.ok(err.message.includes(`webhook to ${origin}`), err.message);
      assert.ok(!/s3cr3t/.test(err.message), err.message);
      return true;
    };

  it('says HTTP 5xx, 408 and 429 (retryable) and another 4xx (not) without the URL’s path or query', async () => {
    for (const [status, retryable] of [
      [503, true],
      // docs/escalation-people.md: a 4xx other than 408/429 fails at once; those two are retried.
      [408, true],
      [429, true],
      [404, false],
    ] as const) {
      const server = createServer((_req, res) => {
        res.writeHead(status);
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        await assert.rejects(
          webhookChannel({ secret: SECRET }).send(n(`${origin}/hook/s3cr3t-path?token=s3cr3t-query`)),
          refusedWith(retryable, origin),
        );
      } finally {
        server.close();
      }
    }
  });

  it('says a refused connection and a URL with credentials without repeating them', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const origin = `http://127.0.0.1:${port}`;
    await assert.rejects(
      webhookChannel({ secret: SECRET }).send(n(`${origin}/s3cr3t`)),
      refusedWith(true, origin),
    );
    await assert.rejects(
      webhookChannel({ secret: SECRET }).send(n(`http://user:s3cr3t@127.0.0.1:${port}/x`)),
      refusedWith(true, origin),
    );
  });
});
