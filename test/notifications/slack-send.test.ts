// Sending a decision to Slack (docs/escalation-channels.md, "Slack"), to a loopback server that answers
// chat.postMessage as Slack's Web API does: an escalation's message (its header, facts and one Answer…
// button), and which failures the outbox tries again. HTTP 429/5xx and Slack's `ratelimited` /
// `internal_error` (an HTTP 200 with `ok: false`) clear by themselves and are retryable; `invalid_auth`,
// `channel_not_found` and the like will be refused again, so they are not.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { slackChannel } from '../../src/notifications/channels/slack.js';
import { notificationSecrets, SlackSettings } from '../../src/notifications/settings.js';
import type { Notification } from '../../src/notifications/types.js';
import { listenDuringSuite } from '../support/loopback.js';

const TOKEN = 'xoxb-fake-bot-token-0500';

const notification: Notification = {
  id: 'ntf_slack_failure',
  channel: 'slack',
  to: 'C_DECISIONS',
  people: ['alice'],
  attempt: 1,
  decision: {
    kind: 'escalation',
    id: 'esc_1',
    runId: 'run_1',
    role: 'billing',
    category: 'legal',
    reason: 'a lawyer wrote',
    summary: 'escalated',
    createdAt: 1,
  },
};

describe('sending a decision to Slack', () => {
  // How the next chat.postMessage is answered.
  let answer: { status: number; body: string } = { status: 200, body: '{"ok":true}' };
  const received: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  const loopback = listenDuringSuite(server);

  const send = () => {
    const settings = SlackSettings.parse({
      token: 'SLACK_TOKEN',
      apiUrl: `${loopback.origin}/api`,
      signingSecret: 'SLACK_SIGNING_SECRET',
    });
    return slackChannel(settings, notificationSecrets({ slack: settings }, { SLACK_TOKEN: TOKEN })).send(
      notification,
    );
  };

  it('posts an escalation with its header, its facts and one Answer… button', async () => {
    answer = { status: 200, body: '{"ok":true,"ts":"1.2"}' };
    await send();
    const message = received.at(-1)!;
    assert.equal(message.channel, 'C_DECISIONS');
    const blocks = message.blocks as { type: string; text?: { text: string }; elements?: unknown[] }[];
    assert.equal(blocks[0]!.type, 'header');
    assert.equal(blocks[0]!.text!.text, 'Escalation (legal): billing needs an answer');
    const facts = JSON.stringify(blocks[1]);
    for (const fact of ['*Role*', '*Category*', '*Reason*', '*Run*', '*Escalation*', 'a lawyer wrote'])
      assert.ok(facts.includes(fact), facts);
    const buttons = blocks.find((b) => b.type === 'actions')!.elements as { text: { text: string } }[];
    assert.deepEqual(
      buttons.map((b) => b.text.text),
      ['Answer…'],
    );
  });

  for (const [what, status, body, retryable] of [
    ['HTTP 429', 429, '{"ok":false,"error":"ratelimited"}', true],
    ['HTTP 503', 503, 'unavailable', true],
    ["Slack's ratelimited", 200, '{"ok":false,"error":"ratelimited"}', true],
    ["Slack's internal_error", 200, '{"ok":false,"error":"internal_error"}', true],
    ["Slack's invalid_auth", 200, '{"ok":false,"error":"invalid_auth"}', false],
    ["Slack's channel_not_found", 200, '{"ok":false,"error":"channel_not_found"}', false],
  ] as const)
    it(`${what}: NOTIFICATION_FAILED, ${retryable ? 'retryable' : 'not retryable'}`, async () => {
      answer = { status, body };
      await assert.rejects(send(), (err: Error & { code?: string; retryable?: boolean }) => {
        assert.equal(err.code, 'NOTIFICATION_FAILED');
        assert.equal(err.retryable, retryable, err.message);
        return true;
      });
    });

  it('a dropped connection is retryable', async () => {
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const port = (gone.address() as AddressInfo).port;
    await new Promise<void>((r) => gone.close(() => r()));
    const settings = SlackSettings.parse({
      token: 'SLACK_TOKEN',
      apiUrl: `http://127.0.0.1:${port}/api`,
      signingSecret: 'SLACK_SIGNING_SECRET',
    });
    await assert.rejects(
      slackChannel(settings, notificationSecrets({ slack: settings }, { SLACK_TOKEN: TOKEN })).send(
        notification,
      ),
      (err: Error & { code?: string; retryable?: boolean }) => {
        assert.equal(err.code, 'NOTIFICATION_FAILED');
        assert.equal(err.retryable, true, err.message);
        return true;
      },
    );
  });
});
