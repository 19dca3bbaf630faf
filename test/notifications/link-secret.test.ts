// A link secret shorter than the 32 characters docs/escalation-channels.md asks for is a setting to fix,
// said as such: the email channel refuses to send (not retryable, so the outbox does not spend eight
// attempts on it), `serve` says so at error level at start, and its confirm page answers 503 like an unset
// secret, not a 500 "the server failed".
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { emailChannel } from '../../src/notifications/channels/email.js';
import { EmailSettings, notificationSecrets } from '../../src/notifications/settings.js';
import { type Served, startServe } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp-capture.js';
import { PEOPLE, pausedDecision, writeProjectConfig } from './decisions.js';

const SHORT = 'only-twenty-chars-xx';
const env = { LINK_SECRET: SHORT };

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('a link secret shorter than 32 characters', () => {
  let smtp: SmtpCapture;
  let asker: TestRole;
  let served: Served;
  let settings: EmailSettings;
  let publicUrl: string;

  before(async () => {
    smtp = await startSmtpCapture();
    asker = writeTestRole({
      name: 'billing-desk',
      autonomy: 'full',
      turns: [{ escalate: { category: 'money', reason: 'refund of 250 needs a person' } }, { final: {} }],
    });
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    const email = {
      host: '127.0.0.1',
      port: smtp.port,
      requireTls: false,
      from: 'nightshift@example.test',
      linkSecret: 'LINK_SECRET',
    };
    settings = EmailSettings.parse(email);
    writeProjectConfig(asker.dir, { publicUrl, email });
    served = await startServe(
      [asker.file, '--port', String(port), '--host', '127.0.0.1', '--data-dir', asker.dataDir],
      { cwd: asker.dir, env },
    );
  });
  after(async () => {
    served.child.kill('SIGKILL');
    await smtp.close();
    asker.cleanup();
  });

  it('is refused by the email channel, not retryable, and nothing is mailed', async () => {
    const d = await pausedDecision(asker, asker.dataDir, asker.dir);
    const channel = emailChannel({
      settings,
      secrets: notificationSecrets({ email: settings }, env),
      people: PEOPLE.map((p) => ({ ...p })),
      publicUrl,
    });
    const n = {
      id: 'ntf_short',
      channel: 'email' as const,
      to: 'alice@example.test',
      people: ['alice'],
      attempt: 1,
    };
    await assert.rejects(
      channel.send({ ...n, decision: d }),
      (err: Error & { code?: string; retryable?: boolean }) => {
        assert.equal(err.code, 'NOTIFICATION_FAILED');
        assert.equal(err.retryable, false);
        assert.match(err.message, /LINK_SECRET is 20 characters long.*at least 32/);
        assert.ok(!err.message.includes(SHORT), 'the secret value is not in the message');
        return true;
      },
    );
    assert.equal(smtp.mails.length, 0);
  });

  it('is said by serve at start, at error level, naming the secret and not its value', () => {
    const lines = served
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"level":50') && l.includes('LINK_SECRET is 20 characters long'));
    assert.equal(lines.length, 1, served.stdout());
    assert.ok(!served.stdout().includes(SHORT));
  });

  it('makes the confirm page answer 503, as for an unset secret', async () => {
    const res = await fetch(`${served.url}/decide/${'A'.repeat(20)}.${'B'.repeat(43)}`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /at least 32/);
  });
});
