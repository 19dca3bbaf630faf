// The `notifications:` and `people:` sections of nightshift.config.yaml: where decisions are sent (Slack,
// email), the address people reach `serve` at, and who may decide. Secrets are named, never written here:
// each value comes from the environment (or `secretsFile`), as a role's secrets do.
import { z } from 'zod';
import { secretNameMessage } from '../config/zod-issues.js';
import { HttpUrl, SECRET_NAME, smtpServer } from '../roles/settings.js';
import { loadSecrets, type Secrets } from '../tools/secrets.js';

const SecretRef = z
  .string()
  .regex(SECRET_NAME, secretNameMessage('the name of an environment variable holding the secret'));

export const SlackSettings = z
  .strictObject({
    /** Secret holding the bot token (xoxb-…): chat.postMessage, and views.open for Reject/Answer. */
    token: SecretRef.optional(),
    /** Secret holding an incoming-webhook URL (used when there is no token). */
    webhook: SecretRef.optional(),
    apiUrl: HttpUrl.default('https://slack.com/api'),
    /** Secret holding the app's signing secret, which verifies clicks arriving at POST /slack/interactions. */
    signingSecret: SecretRef,
    /** The default channel (or user id) a decision is posted to. */
    channel: z.string().min(1).optional(),
  })
  .refine((s) => s.token !== undefined || s.webhook !== undefined, {
    message: 'give token (a bot token secret) or webhook (an incoming-webhook secret), or both',
  });
export type SlackSettings = z.infer<typeof SlackSettings>;

export const EmailSettings = z.strictObject({
  ...smtpServer(SecretRef),
  /** Secret keying the HMAC that signs decision links (at least 32 characters). */
  linkSecret: SecretRef,
  /** How long a link stays good (default a day). */
  linkTtlMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(24 * 60),
});
export type EmailSettings = z.infer<typeof EmailSettings>;

/**
 * Where people reach `serve`. Links are `<publicUrl>/decide/<token>`, so a query or fragment would swallow
 * the token, and the confirm page accepts posts only from this URL's origin: a scheme other than http(s)
 * (`javascript:`, `data:`) has the origin `null`, which is exactly what a cross-site form sends.
 */
const PublicUrl = HttpUrl.refine((u) => !u.includes('?') && !u.includes('#'), {
  error: 'no query or fragment: email links are <publicUrl>/decide/<token>',
});

export const NotificationSettings = z
  .strictObject({
    /** Where people reach `serve` (links in emails point here), e.g. https://nightshift.example.com. */
    publicUrl: PublicUrl.optional(),
    /** A KEY=VALUE file (relative to the config file) read before the environment for the secrets above. */
    secretsFile: z.string().min(1).optional(),
    slack: SlackSettings.optional(),
    email: EmailSettings.optional(),
  })
  // Without it no mail can be sent (its links would point nowhere): said at load, not by rows that wait.
  .refine((s) => s.email === undefined || s.publicUrl !== undefined, {
    path: ['email'],
    error: 'notifications.email needs notifications.publicUrl (where the links in each mail point at serve)',
  });
export type NotificationSettings = z.infer<typeof NotificationSettings>;

export type { PersonSpec } from '../people/config.js';

/** The secret names the notification settings refer to. */
function secretNames(s: NotificationSettings): string[] {
  const names = [
    s.slack?.token,
    s.slack?.webhook,
    s.slack?.signingSecret,
    s.email?.user,
    s.email?.password,
    s.email?.linkSecret,
  ];
  return names.filter((n): n is string => n !== undefined);
}

/** The values of the secrets the settings name (from `secretsFile`, then the environment). */
export function notificationSecrets(s: NotificationSettings, env: NodeJS.ProcessEnv): Secrets {
  return loadSecrets({ name: 'notifications', secrets: secretNames(s), secretsFile: s.secretsFile }, env);
}
