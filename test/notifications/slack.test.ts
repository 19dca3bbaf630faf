// The Slack channel end to end: a paused run's decision posted as a Block Kit message to a fake Slack
// Web API, and clicks sent back by that fake the way Slack sends them (form-encoded, v0-signed) to a real
// `nightshift serve`. A configured person's click decides; an unknown or unauthorised user, a bad
// signature, a stale timestamp and a replay are refused with nothing changed.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { slackChannel } from '../../src/notifications/channels/slack.js';
import { notificationSecrets, SlackSettings } from '../../src/notifications/settings.js';
import type { Notification, PendingDecision } from '../../src/notifications/types.js';
import { type Served, startServe } from '../support/cli.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';
import {
  assertNoInternals,
  hideTable,
  pausedDecision,
  runStatus,
  waitForStatus,
  writeProjectConfig,
} from './decisions.js';

const TOKEN = 'xoxb-fake-bot-token-0001';
const SIGNING = 'fake-slack-signing-secret-0001';
const env = { SLACK_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SIGNING };

function notification(d: PendingDecision, n = 1): Notification {
  return {
    id: `ntf_${d.id}_${n}`,
    channel: 'slack',
    to: 'C_DECISIONS',
    people: ['alice'],
    decision: d,
    attempt: 1,
  };
}

describe('Slack channel and interactions', () => {
  let slack: FakeSlack;
  let drafter: TestRole;
  let asker: TestRole;
  let served: Served;
  let requestUrl: string;
  let settings: SlackSettings;
  const dataDir = () => drafter.dataDir;
  const cwd = () => drafter.dir;

  before(async () => {
    slack = await startFakeSlack({ token: TOKEN, signingSecret: SIGNING });
    drafter = writeTestRole({
      name: 'billing',
      autonomy: 'draft',
      turns: [
        { call: 'fs.write', args: { path: 'refund.txt', content: 'refund 250' } },
        { final: { ok: true } },
      ],
    });
    asker = writeTestRole({
      name: 'billing-desk',
      autonomy: 'full',
      turns: [
        { escalate: { category: 'money', reason: 'refund of 250 needs a person' } },
        { final: { ok: true } },
      ],
    });
    settings = SlackSettings.parse({
      token: 'SLACK_TOKEN',
      apiUrl: slack.apiUrl,
      signingSecret: 'SLACK_SIGNING_SECRET',
      channel: 'C_DECISIONS',
    });
    writeProjectConfig(drafter.dir, {
      slack: {
        token: 'SLACK_TOKEN',
        apiUrl: slack.apiUrl,
        signingSecret: 'SLACK_SIGNING_SECRET',
        channel: 'C_DECISIONS',
      },
    });
    served = await startServe(
      [drafter.file, asker.file, '--port', '0', '--data-dir', drafter.dataDir, '--poll-ms', '20'],
      { cwd: drafter.dir, env },
    );
    requestUrl = `${served.url}/slack/interactions`;
  });
  after(async () => {
    served.child.kill('SIGKILL');
    await slack.close();
    drafter.cleanup();
    asker.cleanup();
  });

  async function posted(d: PendingDecision): Promise<Record<string, unknown>> {
    await slackChannel(settings, notificationSecrets({ slack: settings }, env)).send(notification(d));
    return slack.messages().at(-1)!;
  }

  it('posts the decision as Block Kit through chat.postMessage with the bot token', async () => {
    const d = await pausedDecision(drafter, dataDir(), cwd());
    const message = await posted(d);
    assert.equal(message.channel, 'C_DECISIONS');
    assert.match(String(message.text), /Approval needed: billing/);
    const blocks = JSON.stringify(message.blocks);
    assert.match(blocks, /refund\.txt/, 'the summary (the drafted call) is in the message');
    assert.match(blocks, /nightshift\.approve/);
    assert.match(blocks, /nightshift\.reject/);
    assert.equal(slack.refusedAuth, 0);
  });

  it('an Approve click by a configured person approves as that person; the worker finishes the run', async () => {
    const d = await pausedDecision(drafter, dataDir(), cwd());
    const message = await posted(d);
    const click = await slack.click({
      requestUrl,
      message,
      actionId: 'nightshift.approve',
      userId: 'U_ALICE',
    });
    assert.equal(click.status, 200, click.body);
    const done = await waitForStatus(d.runId, dataDir(), cwd(), 'succeeded');
    const approvals = done.approvals as { id: string; status: string; decidedBy: string }[];
    assert.deepEqual(
      approvals.map((a) => [a.status, a.decidedBy]),
      [['approved', 'alice']],
    );
    assert.equal(drafter.read('refund.txt'), 'refund 250');
    assert.ok(
      slack.responses.some((r) => r.replace_original === true && /Approved by alice/.test(String(r.text))),
    );
  });

  it('an Approve click is bound to the change set hash its message showed: another hash is refused (409), nothing runs', async () => {
    const d = await pausedDecision(drafter, dataDir(), cwd());
    // A message that showed another change set than the one pending (its hash is in the button's value).
    const message = await posted({ ...d, hash: 'f'.repeat(64) });
    const click = await slack.click({
      requestUrl,
      message,
      actionId: 'nightshift.approve',
      userId: 'U_ALICE',
    });
    assert.equal(click.status, 409, click.body);
    assert.match(click.body, /the change set is not the one alice was shown; nothing was approved/);
    const s = await runStatus(d.runId, dataDir(), cwd());
    assert.equal(s.status, 'awaiting_approval');
    assert.deepEqual(
      (s.approvals as { status: string }[]).map((a) => a.status),
      ['pending'],
    );
  });

  it('posts nothing to a response_url off Slack (another host, or a redirect to one), and says so without its path', async () => {
    // Another loopback server stands for a host inside the daemon's network the payload aims it at.
    const elsewhere: Record<string, unknown>[] = [];
    const other = createServer((req, res) => {
      elsewhere.push({ method: req.method, url: req.url });
      res.end('ok');
    });
    await new Promise<void>((done) => other.listen(0, '127.0.0.1', done));
    try {
      const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/secret-path-0001`;
      const slackOrigin = new URL(slack.apiUrl).origin;
      for (const responseUrl of [otherUrl, `${slackOrigin}/redirect?to=${encodeURIComponent(otherUrl)}`]) {
        const d = await pausedDecision(drafter, dataDir(), cwd());
        const message = await posted(d);
        const before = slack.responses.length;
        const click = await slack.click({
          requestUrl,
          message,
          actionId: 'nightshift.approve',
          userId: 'U_ALICE',
          responseUrl,
        });
        // The click still decides: only the message update is not sent.
        assert.equal(click.status, 200, click.body);
        await waitForStatus(d.runId, dataDir(), cwd(), 'succeeded');
        assert.equal(slack.responses.length, before);
      }
      assert.deepEqual(elsewhere, [], 'nothing reached the other host');
      // serve's log lines come through its stdout pipe, perhaps after the answers they came with.
      const warned = await waitFor(
        async () =>
          /answered with a redirect: not followed/.test(served.stdout()) ? served.stdout() : undefined,
        "serve's warnings about the response_url",
      );
      assert.match(warned, /slack response_url is not on hooks\.slack\.com/);
      assert.match(warned, /slack response_url answered with a redirect: not followed/);
      assert.doesNotMatch(warned, /secret-path-0001/);
    } finally {
      other.close();
    }
  });

  it('refuses a replay of an accepted click (401), even of a decided approval', async () => {
    const d = await pausedDecision(drafter, dataDir(), cwd());
    const message = await posted(d);
    // First an unknown user's click is accepted as a request (and refused as a person), then replayed.
    const first = await slack.click({
      requestUrl,
      message,
      actionId: 'nightshift.approve',
      userId: 'U_NOBODY',
    });
    assert.equal(first.status, 403);
    const replay = await slack.click({
      requestUrl,
      message,
      actionId: 'nightshift.approve',
      userId: 'U_NOBODY',
      replay: slack.lastRequest!,
    });
    assert.equal(replay.status, 401);
    assert.match(replay.body, /already used/);
    assert.equal((await runStatus(d.runId, dataDir(), cwd())).status, 'awaiting_approval');
  });

  for (const [what, extra, pattern] of [
    ['a bad signature', { secret: 'not-the-signing-secret' }, /does not match/],
    ['a stale timestamp', { timestamp: Math.floor(Date.now() / 1000) - 600 }, /window/],
  ] as const) {
    it(`refuses ${what} (401), nothing changed`, async () => {
      const d = await pausedDecision(drafter, dataDir(), cwd());
      const message = await posted(d);
      const res = await slack.click({
        requestUrl,
        message,
        actionId: 'nightshift.approve',
        userId: 'U_ALICE',
        ...extra,
      });
      assert.equal(res.status, 401);
      assert.match(res.body, pattern);
      assert.equal((await runStatus(d.runId, dataDir(), cwd())).status, 'awaiting_approval');
    });
  }

  it('refuses an unknown Slack user and a person who may not decide for the role (403), nothing changed', async () => {
    const d = await pausedDecision(drafter, dataDir(), cwd());
    const message = await posted(d);
    for (const userId of ['U_NOBODY', 'U_BOB']) {
      const res = await slack.click({ requestUrl, message, actionId: 'nightshift.approve', userId });
      assert.equal(res.status, 403, `${userId}: ${res.body}`);
    }
    const s = await runStatus(d.runId, dataDir(), cwd());
    assert.equal(s.status, 'awaiting_approval');
    assert.deepEqual(
      (s.approvals as { status: string }[]).map((a) => a.status),
      ['pending'],
    );
    // Bob also gets no form to reject with.
    const opened = slack.calls.filter((c) => c.method === 'views.open').length;
    const res = await slack.click({ requestUrl, message, actionId: 'nightshift.reject', userId: 'U_BOB' });
    assert.equal(res.status, 403);
    assert.equal(slack.calls.filter((c) => c.method === 'views.open').length, opened);
  });

  it('Reject opens a modal (views.open); its submission rejects with the reason as that person', async () => {
    const d = await pausedDecision(drafter, dataDir(), cwd());
    const message = await posted(d);
    const click = await slack.click({
      requestUrl,
      message,
      actionId: 'nightshift.reject',
      userId: 'U_ALICE',
    });
    assert.equal(click.status, 200, click.body);
    const open = slack.calls.at(-1)!;
    assert.equal(open.method, 'views.open');
    assert.match(String(open.body.trigger_id), /^trigger-/);
    // An unknown user cannot submit it either.
    const stranger = await slack.submitModal({ requestUrl, userId: 'U_NOBODY', text: 'no' });
    assert.equal(stranger.status, 403);
    const submitted = await slack.submitModal({
      requestUrl,
      userId: 'U_ALICE',
      text: 'refunds wait for the audit',
    });
    assert.equal(submitted.status, 200);
    assert.deepEqual(submitted.body, { response_action: 'clear' });
    const s = await runStatus(d.runId, dataDir(), cwd());
    const a = (s.approvals as { status: string; decidedBy: string; note: string }[])[0]!;
    assert.deepEqual([a.status, a.decidedBy, a.note], ['rejected', 'alice', 'refunds wait for the audit']);
    const calls = s.toolCalls as { tool: string; status: string }[];
    assert.deepEqual(
      calls.filter((c) => c.tool === 'fs.write').map((c) => c.status),
      ['rejected'],
    );
  });

  it('Answer on an escalation: modal, then the answer is given as that person and the run goes on', async () => {
    const d = await pausedDecision(asker, dataDir(), cwd());
    assert.equal(d.kind, 'escalation');
    const message = await posted(d);
    assert.match(JSON.stringify(message.blocks), /nightshift\.answer/);
    assert.equal(
      (await slack.click({ requestUrl, message, actionId: 'nightshift.answer', userId: 'U_ALICE' })).status,
      200,
    );
    const submitted = await slack.submitModal({ requestUrl, userId: 'U_ALICE', text: 'yes, refund it' });
    assert.deepEqual(submitted.body, { response_action: 'clear' });
    const done = await waitForStatus(d.runId, dataDir(), cwd(), 'succeeded');
    const e = (done.escalationRecords as { status: string; answeredBy: string; answer: string }[])[0]!;
    assert.deepEqual([e.status, e.answeredBy, e.answer], ['answered', 'alice', 'yes, refund it']);
  });

  it('posts through an incoming webhook when there is no token, and says a refused token is not worth retrying', async () => {
    const d = await pausedDecision(drafter, dataDir(), cwd());
    const hook = SlackSettings.parse({ webhook: 'SLACK_WEBHOOK', signingSecret: 'SLACK_SIGNING_SECRET' });
    await slackChannel(hook, notificationSecrets({ slack: hook }, { SLACK_WEBHOOK: slack.webhookUrl })).send(
      notification(d),
    );
    assert.match(JSON.stringify(slack.webhookPosts.at(-1)!.blocks), /nightshift\.approve/);
    const wrong = notificationSecrets({ slack: settings }, { ...env, SLACK_TOKEN: 'xoxb-wrong' });
    await assert.rejects(
      slackChannel(settings, wrong).send(notification(d, 2)),
      (err: Error & { code?: string; retryable?: boolean }) => {
        assert.equal(err.code, 'NOTIFICATION_FAILED');
        assert.equal(err.retryable, false);
        assert.match(err.message, /invalid_auth/);
        return true;
      },
    );
  });

  it('a store failure is a 500 INTERNAL that names no file, SQL or table, to the click and to the person', async () => {
    const d = await pausedDecision(drafter, dataDir(), cwd());
    const message = await posted(d);
    const restore = hideTable(dataDir(), 'approvals');
    try {
      const res = await slack.click({
        requestUrl,
        message,
        actionId: 'nightshift.approve',
        userId: 'U_ALICE',
      });
      assert.equal(res.status, 500, res.body);
      const body = JSON.parse(res.body) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'INTERNAL');
      assertNoInternals(res.body, dataDir());
      const told = String(slack.responses.at(-1)?.text);
      assert.match(told, /^Not decided: the server could not take the decision/);
      assertNoInternals(told, dataDir());
    } finally {
      restore();
    }
    assert.equal((await runStatus(d.runId, dataDir(), cwd())).status, 'awaiting_approval');
  });
});
