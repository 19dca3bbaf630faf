// The channels against what an agent can put in a decision and what a server can do to a send: the
// agent's reason and summary reach Slack as text, never as mentions, links or a broken message; an SMTP
// server that never finishes answering (a trickle of continuation lines) does not hold the send, and with
// it serve's whole notifier pass, forever. Real loopback servers: the fake Slack Web API and a TCP server
// speaking just enough SMTP.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { NightshiftError } from '../../src/errors.js';
import { emailChannel } from '../../src/notifications/channels/email.js';
import { slackChannel } from '../../src/notifications/channels/slack.js';
import { EmailSettings, notificationSecrets, SlackSettings } from '../../src/notifications/settings.js';
import type { Notification, PendingDecision } from '../../src/notifications/types.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';

const TOKEN = 'xoxb-fake-bot-token-0002';
const SIGNING = 'fake-slack-signing-secret-0002';

function escalation(reason: string, summary: string): PendingDecision {
  return {
    kind: 'escalation',
    id: 'esc_01TEST',
    runId: 'run_01TEST',
    role: 'billing',
    category: 'money',
    reason,
    summary,
    createdAt: Date.now(),
  };
}

function notification(d: PendingDecision, channel: Notification['channel'], to: string): Notification {
  return { id: `ntf_${d.id}`, channel, to, people: ['alice'], decision: d, attempt: 1 };
}

describe('Slack: the agent’s words stay text', () => {
  let slack: FakeSlack;
  let settings: SlackSettings;
  before(async () => {
    slack = await startFakeSlack({ token: TOKEN, signingSecret: SIGNING });
    settings = SlackSettings.parse({
      token: 'SLACK_TOKEN',
      apiUrl: slack.apiUrl,
      signingSecret: 'SLACK_SIGNING_SECRET',
      channel: 'C_DECISIONS',
    });
  });
  after(async () => {
    await slack.close();
  });
  const send = (d: PendingDecision) =>
    slackChannel(settings, notificationSecrets({ slack: settings }, { SLACK_TOKEN: TOKEN })).send(
      notification(d, 'slack', 'C_DECISIONS'),
    );

  it('a mention or a link in the reason is escaped in the fallback text Slack notifies with', async () => {
    await send(escalation('<!channel> urgent, see <https://evil.example/login|the invoice>', 'did things'));
    const text = String(slack.messages().at(-1)!.text);
    assert.doesNotMatch(text, /<!channel>|<https:/, 'no mention, no dressed-up link');
    assert.match(text, /&lt;!channel&gt; urgent/);
  });

  it('a reason of any length still posts: the fallback text is cut', async () => {
    await send(escalation(`<${'&'.repeat(45_000)}`, 'did things'));
    const text = String(slack.messages().at(-1)!.text);
    assert.ok(text.length <= 3000, `cut to a notification's length (was ${text.length})`);
  });

  it('a summary that closes the code block or is full of < and & still posts, as one code block', async () => {
    const summary = `${'```'}\n*bold* <!here>\n${'```'} ${'&<'.repeat(2000)}`;
    await send(escalation('check', summary));
    const blocks = slack.messages().at(-1)!.blocks as { type: string; text?: { text: string } }[];
    const code = blocks.find((b) => b.type === 'section' && b.text?.text.startsWith('```'))!.text!.text;
    assert.ok(code.length <= 3000, `Slack refuses a section over 3,000 characters (was ${code.length})`);
    assert.equal(code.match(/```/g)?.length, 2, 'only the block’s own fences');
    assert.doesNotMatch(code, /<!here>/);
  });
});

describe('email: a server that never finishes answering', () => {
  const sockets = new Set<Socket>();
  // Greets, then answers every command with continuation lines ("250-…") that never end: each byte
  // resets nodemailer's socket timeout, so only a deadline on the whole send ends it.
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.write('220 trickle.test ESMTP\r\n');
    let timer: NodeJS.Timeout | undefined;
    s.on('data', () => {
      clearInterval(timer);
      timer = setInterval(() => s.write('250-still thinking\r\n'), 200);
    });
    s.on('close', () => {
      clearInterval(timer);
      sockets.delete(s);
    });
  });
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('fails the send at its deadline as a retry, and drops the connection', async () => {
    const port = (server.address() as { port: number }).port;
    const settings = EmailSettings.parse({
      host: '127.0.0.1',
      port,
      requireTls: false,
      from: 'nightshift@example.test',
      linkSecret: 'LINK_SECRET',
    });
    const channel = emailChannel({
      settings,
      secrets: notificationSecrets({ email: settings }, { LINK_SECRET: 'l'.repeat(40) }),
      people: [{ name: 'alice', email: 'alice@example.test', decides: ['*'] }],
      publicUrl: 'http://127.0.0.1:1',
      timeoutMs: 1500,
    });
    const started = Date.now();
    const outcome = await Promise.race([
      channel.send(notification(escalation('check', 'summary'), 'email', 'alice@example.test')).then(
        () => 'sent',
        (err: unknown) => err,
      ),
      new Promise((r) => setTimeout(() => r('still sending after 8 s'), 8000).unref()),
    ]);
    assert.ok(NightshiftError.isInstance(outcome), String(outcome));
    assert.equal(outcome.code, 'NOTIFICATION_FAILED');
    assert.equal(outcome.retryable, true, 'the outbox tries again later');
    assert.match(outcome.message, /no answer within 1500 ms/);
    assert.ok(Date.now() - started < 5000);
    // The trickling connection is closed, not left open behind the failed send.
    const deadline = Date.now() + 3000;
    while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(sockets.size, 0);
  });
});
