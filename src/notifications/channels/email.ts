// The email channel: a pending decision's context and, for the person it is addressed to, one link per
// action (approve and reject, or answer). Each link is one-time, expiring and signed
// (notifications/decision-links.ts) and opens a confirm page on `serve`; opening it decides nothing, so a
// mail scanner that follows links cannot approve. Sent with nodemailer; the Message-ID is derived from the
// notification id, so a retried send is recognisable as the same message.
import { NightshiftError } from '../../errors.js';
import { secretNameForMessage } from '../../secret-name.js';
import type { Secrets } from '../../tools/secrets.js';
import type { DecisionAction } from '../apply-decision.js';
import { linkSecretProblem, signDecisionLink } from '../decision-links.js';
import { clip, decisionFacts, decisionTitle } from '../decision-text.js';
import type { EmailSettings, PersonSpec } from '../settings.js';
import type { Notification, NotificationChannel, PendingDecision } from '../types.js';

export interface EmailChannelOptions {
  settings: EmailSettings;
  secrets: Secrets;
  people: readonly PersonSpec[];
  /** Where `serve` is reached from a mail client (notifications.publicUrl). */
  publicUrl: string;
  now?: () => number;
  /** The whole send's deadline (connect to the server's last answer). Default 45 s. */
  timeoutMs?: number;
}

// Under the outbox's 60 s lease, so a send that cannot finish gives its row back as a retry rather than
// outliving its lease. nodemailer's own timeouts are per step and reset by every byte: a server that
// trickles continuation lines ("250-…") would hold the send, and serve's whole notifier pass, forever.
const SEND_TIMEOUT_MS = 45_000;

/** `details.problem` of a send failed because TLS is required and the server cannot give it. */
export const TLS_REQUIRED = 'tls_required';

/**
 * What went wrong with TLS, when that is why the send failed: the server offers no STARTTLS or refuses it
 * (nodemailer's ETLS, whatever the server's answer code: a `454 TLS not available` is retried as a 4xx
 * otherwise), or the handshake failed (a certificate that does not verify, a server that does not speak TLS
 * on the upgraded connection: node's TLS error codes). A connection that drops is not one of these.
 */
function tlsFailure(err: unknown): string | undefined {
  const e = err as { code?: unknown; originalCode?: unknown; library?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message.trim() : String(err);
  if (e?.code === 'ETLS') return `the server offers no STARTTLS or its upgrade failed (${message})`;
  const original = typeof e?.originalCode === 'string' ? e.originalCode : '';
  if (
    e?.library === 'SSL routines' ||
    /^ERR_SSL_|^ERR_TLS_|CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|DEPTH_ZERO|HOSTNAME/.test(original)
  )
    return `the TLS handshake failed (${message})`;
  return undefined;
}

const LABEL: Record<DecisionAction, string> = {
  approve: 'Approve',
  reject: 'Reject',
  answer: 'Answer',
};

function refused(message: string): NightshiftError {
  return new NightshiftError('NOTIFICATION_FAILED', message, { retryable: false });
}

function actionsFor(d: PendingDecision): DecisionAction[] {
  return d.kind === 'approval' ? ['approve', 'reject'] : ['answer'];
}

export function emailBody(d: PendingDecision, links: [DecisionAction, string][], expiresAt: number): string {
  const facts = decisionFacts(d).map(([label, v]) => `${label}: ${v}`);
  const actions = links.map(([a, url]) => `${LABEL[a]}: ${url}`);
  return [
    decisionTitle(d),
    '',
    ...facts,
    '',
    clip(d.summary, 50_000),
    '',
    'Decide (each link opens a page where you confirm; it works once, until',
    `${new Date(expiresAt).toISOString()}):`,
    ...actions,
    '',
    `Or on the command line: nightshift ${d.kind === 'approval' ? `approve ${d.id}` : `answer ${d.id} TEXT`} --as NAME`,
  ].join('\n');
}

export function emailChannel(o: EmailChannelOptions): NotificationChannel {
  const now = o.now ?? Date.now;
  const timeoutMs = o.timeoutMs ?? SEND_TIMEOUT_MS;
  const secret = (name: string | undefined): string | undefined => {
    if (name === undefined) return undefined;
    const value = o.secrets.get(name);
    if (!value)
      throw refused(
        `notifications.email: the secret ${secretNameForMessage(name)} is not set in this process's environment`,
      );
    return value;
  };
  return {
    channel: 'email',
    async send(n: Notification) {
      const to = n.to.toLowerCase();
      // A link is signed for one person: the one this address belongs to.
      const person =
        o.people.find((p) => p.email?.toLowerCase() === to && n.people.includes(p.name)) ??
        o.people.find((p) => p.email?.toLowerCase() === to);
      if (!person) throw refused(`email notification ${n.id}: ${n.to} is no configured person's email`);
      const linkSecret = secret(o.settings.linkSecret)!;
      // A setting, not a passing failure: trying again in this process would fail the same way.
      const short = linkSecretProblem(o.settings.linkSecret, linkSecret);
      if (short) throw refused(`notifications.email: ${short}`);
      const expiresAt = now() + o.settings.linkTtlMinutes * 60_000;
      const base = o.publicUrl.replace(/\/+$/, '');
      const links = actionsFor(n.decision).map((action): [DecisionAction, string] => [
        action,
        `${base}/decide/${signDecisionLink(
          {
            kind: n.decision.kind,
            id: n.decision.id,
            action,
            person: person.name,
            expiresAt,
            hash: n.decision.hash,
          },
          linkSecret,
        )}`,
      ]);
      const user = secret(o.settings.user);
      const pass = secret(o.settings.password);
      // Loaded on first use: most processes never send mail.
      const { default: nodemailer } = await import('nodemailer');
      const transport = nodemailer.createTransport({
        host: o.settings.host,
        port: o.settings.port,
        secure: o.settings.secure,
        requireTLS: o.settings.requireTls,
        ignoreTLS: !o.settings.requireTls && !o.settings.secure,
        ...(user ? { auth: { user, pass } } : {}),
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      });
      const tlsRequired = o.settings.requireTls || o.settings.secure;
      const deadline = AbortSignal.timeout(timeoutMs);
      try {
        await transport.sendMail({
          // nodemailer 10 aborts the connection on it; @types/nodemailer 8 does not list it yet.
          ...({ signal: deadline } as object),
          from: o.settings.from,
          to: n.to,
          subject: decisionTitle(n.decision),
          text: emailBody(n.decision, links, expiresAt),
          messageId: `<${n.id.replace(/[^A-Za-z0-9._-]/g, '_')}@nightshift>`,
          headers: { 'X-Nightshift-Notification': n.id },
        });
      } catch (err) {
        if (deadline.aborted)
          throw new NightshiftError(
            'NOTIFICATION_FAILED',
            `email via ${o.settings.host}:${o.settings.port} failed: no answer within ${timeoutMs} ms`,
            { retryable: true },
          );
        const tls = tlsRequired && tlsFailure(err);
        if (tls)
          // A setting that does not match the server: every retry would fail the same way (and the outbox
          // would spend its eight attempts over hours before saying so). Failed at once, with the fix named.
          throw new NightshiftError(
            'NOTIFICATION_FAILED',
            `email via ${o.settings.host}:${o.settings.port} failed: ${tls} and TLS is required (${o.settings.secure ? 'notifications.email.secure' : 'notifications.email.requireTls'}); not retried: fix the server's TLS or the setting`,
            { retryable: false, cause: err, details: { problem: TLS_REQUIRED } },
          );
        const e = err as Error & { responseCode?: number };
        // A 5xx SMTP answer (mailbox unknown, relay refused) will say the same again; the rest may clear.
        const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
        throw new NightshiftError(
          'NOTIFICATION_FAILED',
          `email via ${o.settings.host}:${o.settings.port} failed: ${e.message}`,
          { retryable: !permanent, cause: err },
        );
      } finally {
        transport.close();
      }
    },
  };
}
