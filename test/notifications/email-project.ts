// A served project with the email channel on: an SMTP capture, a drafting role and an escalating role,
// `serve` on a known port (the links' publicUrl), and sending a paused run's decision by email.
import { createServer } from 'node:net';
import { emailChannel } from '../../src/notifications/channels/email.js';
import { EmailSettings, notificationSecrets } from '../../src/notifications/settings.js';
import type { PendingDecision } from '../../src/notifications/types.js';
import { type Served, startServe } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { type CapturedMail, type SmtpCapture, startSmtpCapture } from '../support/smtp-capture.js';
import { PEOPLE, pausedDecision, writeProjectConfig } from './decisions.js';

export const LINK_SECRET = 'a-link-secret-of-at-least-32-characters!';
const env = { LINK_SECRET };

export interface EmailProject {
  smtp: SmtpCapture;
  drafter: TestRole;
  asker: TestRole;
  served: Served;
  settings: EmailSettings;
  /** Runs a role until it pauses. */
  pause(role: TestRole): Promise<PendingDecision>;
  /** Emails the decision to a person's address; returns the mail and its links by action. */
  mail(d: PendingDecision, to?: string): Promise<{ mail: CapturedMail; links: Record<string, string> }>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** `drafts`: the fs.write the drafting role drafts (default refund.txt, 'refund 250'). */
export async function startEmailProject(
  o: { drafts?: { path: string; content: string } } = {},
): Promise<EmailProject> {
  const smtp = await startSmtpCapture();
  const drafter = writeTestRole({
    name: 'billing',
    autonomy: 'draft',
    turns: [
      { call: 'fs.write', args: o.drafts ?? { path: 'refund.txt', content: 'refund 250' } },
      { final: { ok: true } },
    ],
  });
  const asker = writeTestRole({
    name: 'billing-desk',
    autonomy: 'full',
    turns: [
      { escalate: { category: 'money', reason: 'refund of 250 needs a person' } },
      { final: { ok: true } },
    ],
  });
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const email = {
    host: '127.0.0.1',
    port: smtp.port,
    requireTls: false,
    from: 'nightshift@example.test',
    linkSecret: 'LINK_SECRET',
  };
  const settings = EmailSettings.parse(email);
  writeProjectConfig(drafter.dir, { publicUrl, email });
  const served = await startServe(
    [
      drafter.file,
      asker.file,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--data-dir',
      drafter.dataDir,
      '--poll-ms',
      '20',
    ],
    { cwd: drafter.dir, env },
  );
  const channel = emailChannel({
    settings,
    secrets: notificationSecrets({ email: settings }, env),
    people: PEOPLE.map((p) => ({ ...p })),
    publicUrl,
  });
  return {
    smtp,
    drafter,
    asker,
    served,
    settings,
    pause: (role) => pausedDecision(role, drafter.dataDir, drafter.dir),
    async mail(d, to = 'alice@example.test') {
      const before = smtp.mails.length;
      await channel.send({
        id: `ntf_${d.id}_${to}`,
        channel: 'email',
        to,
        people: ['alice'],
        decision: d,
        attempt: 1,
      });
      const mail = smtp.mails[before]!;
      const links: Record<string, string> = {};
      for (const m of mail.text.matchAll(/^(Approve|Reject|Answer): (http\S+)$/gm))
        links[m[1]!.toLowerCase()] = m[2]!;
      return { mail, links };
    },
    async close() {
      served.child.kill('SIGKILL');
      await smtp.close();
      drafter.cleanup();
      asker.cleanup();
    },
  };
}
