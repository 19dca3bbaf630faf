// notify.email: mail through the role's SMTP server (nodemailer), only to the role's listed recipients.
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { defineTool } from '../define.js';
import { toolFailed } from '../failures.js';
import type { ScopeVerdict } from '../types.js';

export const notifyEmail = defineTool({
  name: 'notify.email',
  description: "Send a plain-text email to the role's recipients (or some of them).",
  input: z.strictObject({
    subject: z.string().min(1).max(500),
    text: z.string().min(1).max(1_000_000),
    to: z
      .array(z.string().min(3))
      .min(1)
      .optional()
      .describe('a subset of the allowed recipients (default: all)'),
  }),
  effect: 'external',
  idempotent: false,
  scope: ({ to }, ctx): ScopeVerdict => {
    const email = ctx.role.notify.email;
    if (!email) return { kind: 'outside', reason: 'this role has no notify.email settings' };
    const stray = (to ?? []).filter((r) => !email.to.map((x) => x.toLowerCase()).includes(r.toLowerCase()));
    return stray.length === 0
      ? { kind: 'inside' }
      : {
          kind: 'outside',
          reason: `recipient(s) ${stray.join(', ')} are not allowed (notify.email.to: ${email.to.join(', ')})`,
        };
  },
  run: async ({ subject, text, to }, ctx) => {
    const email = ctx.role.notify.email;
    if (!email) throw new NightshiftError('SCOPE_VIOLATION', 'this role has no notify.email settings');
    const recipients = to ?? email.to;
    const allowed = email.to.map((x) => x.toLowerCase());
    if (recipients.some((r) => !allowed.includes(r.toLowerCase())))
      throw new NightshiftError('SCOPE_VIOLATION', 'a recipient is not allowed');
    const user = email.user ? ctx.secrets.get(email.user) : undefined;
    const pass = email.password ? ctx.secrets.get(email.password) : undefined;
    // Loaded on first use: most runs never send mail, and the CLI starts faster without it.
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: email.host,
      port: email.port,
      secure: email.secure,
      requireTLS: email.requireTls,
      ignoreTLS: !email.requireTls && !email.secure,
      ...(user ? { auth: { user, pass } } : {}),
      connectionTimeout: ctx.role.limits.fetchSeconds * 1000,
      greetingTimeout: ctx.role.limits.fetchSeconds * 1000,
      socketTimeout: ctx.role.limits.fetchSeconds * 1000,
    });
    try {
      const info = await transport.sendMail({
        from: email.from,
        to: recipients,
        subject,
        text,
        headers: {
          'X-Nightshift-Delivery': ctx.idempotencyKey,
          'X-Nightshift-Fencing-Token': String(ctx.fencingToken),
        },
      });
      return { sent: true, to: recipients, messageId: info.messageId };
    } catch (err) {
      throw toolFailed(`email via ${email.host}:${email.port} failed: ${(err as Error).message}`);
    } finally {
      transport.close();
    }
  },
});
