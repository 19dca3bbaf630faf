// Email with TLS required (`requireTls`, the default) against SMTP servers that cannot give it: a tiny
// loopback server speaking just enough SMTP that offers no STARTTLS (and answers the STARTTLS nodemailer
// sends anyway with a 4xx), or says yes and then speaks no TLS. That is a setting that does not match the
// server, not a passing failure: the notification fails at once (attempt 1, the reason recorded) instead of
// being retried eight times over hours, and the escalation stays reachable through its other channel (a
// signed webhook to a real receiver) and the CLI's answer. A dropped connection is still retried.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { NightshiftError } from '../../src/errors.js';
import { emailChannel } from '../../src/notifications/channels/email.js';
import { EmailSettings, notificationSecrets } from '../../src/notifications/settings.js';
import { webhookChannel } from '../../src/notifications/webhook-channel.js';
import type { PeopleDirectory } from '../../src/people/config.js';
import { createRuntime } from '../../src/runtime.js';
import { startReceiver } from '../support/decision-receiver.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();
const SECRET = 'decisions-secret-email-tls-test';

type Behaviour = 'no-starttls' | 'not-tls' | 'drop';

/**
 * An SMTP server: `no-starttls` leaves STARTTLS out of its EHLO and answers it `454` (RFC 3207's "TLS not
 * available due to temporary reason"); `not-tls` offers it, says `220` and then sends plain text where the
 * TLS handshake should be; `drop` closes the connection after its greeting.
 */
async function smtpServer(behaviour: Behaviour): Promise<{ port: number; commands: string[] }> {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.write('220 tiny.test ESMTP\r\n');
    if (behaviour === 'drop') {
      s.destroy();
      return;
    }
    s.on('data', (d) => {
      for (const line of d.toString('latin1').split('\r\n').filter(Boolean)) {
        commands.push(line.split(' ')[0]!.toUpperCase());
        if (/^(EHLO|HELO)/i.test(line))
          s.write(
            behaviour === 'not-tls'
              ? '250-tiny.test\r\n250 STARTTLS\r\n'
              : '250-tiny.test\r\n250 8BITMIME\r\n',
          );
        else if (/^STARTTLS/i.test(line)) {
          if (behaviour === 'not-tls') {
            s.write('220 go ahead\r\n');
            setTimeout(() => s.write('this is not a TLS record\r\n'), 20);
          } else s.write('454 4.7.0 TLS not available due to temporary reason\r\n');
        } else if (/^QUIT/i.test(line)) s.end('221 bye\r\n');
        else s.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as { port: number }).port, commands };
}

function manualClock(start = Date.now()): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

async function setUp(behaviour: Behaviour) {
  const smtp = await smtpServer(behaviour);
  const rx = await startReceiver(SECRET);
  const people: PeopleDirectory = {
    people: [{ name: 'alice', email: 'alice@example.test', webhook: rx.url, decides: ['*'] }],
    groups: {},
  };
  const r = role({
    name: 'test-desk',
    autonomy: 'full',
    turns: [{ escalate: { category: 'legal', reason: 'needs a person' } }, { final: { summary: 'done' } }],
    extra: { escalate: { tiers: [{ to: ['alice'], via: ['email', 'webhook'] }] } },
  });
  const clock = manualClock();
  const rt = await createRuntime({ dataDir: r.dataDir, people, clock });
  // requireTls is the default: not written.
  const settings = EmailSettings.parse({
    host: '127.0.0.1',
    port: smtp.port,
    from: 'nightshift@example.test',
    linkSecret: 'LINK_SECRET',
  });
  const email = emailChannel({
    settings,
    secrets: notificationSecrets({ email: settings }, { LINK_SECRET: 'l'.repeat(40) }),
    people: people.people,
    publicUrl: 'http://127.0.0.1:1',
    timeoutMs: 10_000,
  });
  const channels = [email, webhookChannel({ secret: SECRET })];
  const paused = await rt.run(r.file, {});
  assert.equal(paused.status, 'escalated');
  return { rt, rx, smtp, email, channels, clock, paused };
}

describe('email with TLS required, from a server that cannot give it', () => {
  for (const [behaviour, reason] of [
    ['no-starttls', /offers no STARTTLS or its upgrade failed.*454 4\.7\.0 TLS not available/s],
    ['not-tls', /TLS handshake failed/],
  ] as const) {
    it(`${behaviour}: fails the notification at once, with the reason; the webhook still reaches alice`, async () => {
      const { rt, rx, smtp, channels, paused } = await setUp(behaviour);
      try {
        const pass = await rt.notify({ channels, backoffMs: 1000 });
        assert.deepEqual([pass.sent, pass.failed, pass.retried], [1, 1, 0], 'email failed, webhook sent');
        const rows = await rt.store.listNotifications({ runId: paused.runId });
        const mail = rows.find((n) => n.channel === 'email')!;
        assert.equal(mail.status, 'failed');
        assert.equal(mail.attempt, 1, 'one attempt, not eight');
        assert.match(mail.lastError!, reason);
        assert.match(mail.lastError!, /TLS is required \(notifications\.email\.requireTls\); not retried/);
        assert.ok(!smtp.commands.includes('MAIL'), 'nothing was sent in plain text');
        // The other channel delivered it, and the escalation can be answered.
        assert.equal(rows.find((n) => n.channel === 'webhook')!.status, 'sent');
        assert.equal(rx.processed.length, 1);
        assert.equal((await rt.get(paused.runId))!.run.status, 'escalated');
        const answered = await rt.answer(paused.escalations[0]!.id, 'go', { by: 'alice' });
        assert.equal(answered.status, 'succeeded');
      } finally {
        await rt.close();
      }
    });
  }

  it('the error is NOTIFICATION_FAILED, not retryable, with details.problem tls_required', async () => {
    const { rt, email, paused } = await setUp('no-starttls');
    try {
      const [row] = (await rt.store.listNotifications({ runId: paused.runId })).filter(
        (n) => n.channel === 'email',
      );
      const err = await email.send({ ...row!, attempt: 1 }).then(
        () => 'sent',
        (e: unknown) => e,
      );
      assert.ok(NightshiftError.isInstance(err), String(err));
      assert.equal(err.code, 'NOTIFICATION_FAILED');
      assert.equal(err.retryable, false);
      assert.equal(err.details?.problem, 'tls_required');
    } finally {
      await rt.close();
    }
  });

  it('a connection dropped after the greeting is still retried', async () => {
    const { rt, channels, paused } = await setUp('drop');
    try {
      const pass = await rt.notify({ channels, backoffMs: 1000 });
      assert.deepEqual([pass.sent, pass.retried], [1, 1]);
      const mail = (await rt.store.listNotifications({ runId: paused.runId })).find(
        (n) => n.channel === 'email',
      )!;
      assert.equal(mail.status, 'pending');
      assert.doesNotMatch(mail.lastError!, /TLS is required/);
    } finally {
      await rt.close();
    }
  });
});
