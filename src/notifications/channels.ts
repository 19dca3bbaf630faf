// The channels this process can send through, from its environment and the project's `notifications:`
// settings. The webhook channel needs the decisions secret (it signs each POST and checks answers back);
// Slack needs its settings, email its settings and the address people reach `serve` at. A channel that
// cannot send here leaves its rows waiting in the outbox (the depth gauge shows them) until a process that
// can sends them.

import type { PersonSpec } from '../people/config.js';
import { secretNameForMessage } from '../secret-name.js';
import { emailChannel } from './channels/email.js';
import { slackChannel } from './channels/slack.js';
import { type NotificationSettings, notificationSecrets } from './settings.js';
import type { NotificationChannel } from './types.js';
import { DECISIONS_SECRET_ENV, decisionsSecretFromEnv, webhookChannel } from './webhook-channel.js';

export interface ConfiguredChannels {
  channels: NotificationChannel[];
  /** Channels that cannot send here, and why (said once at start). */
  missing: { channel: string; why: string }[];
}

export interface ChannelConfig {
  /** nightshift.config.yaml `notifications:`. */
  settings?: NotificationSettings | undefined;
  /** The configured people (email links are signed for the person they are addressed to). */
  people?: readonly PersonSpec[] | undefined;
}

export function channelsFromEnv(env: NodeJS.ProcessEnv, config: ChannelConfig = {}): ConfiguredChannels {
  const channels: NotificationChannel[] = [];
  const missing: ConfiguredChannels['missing'] = [];
  const secret = decisionsSecretFromEnv(env);
  if (secret) channels.push(webhookChannel({ secret }));
  else missing.push({ channel: 'webhook', why: `${DECISIONS_SECRET_ENV} is not set` });
  const s = config.settings;
  const secrets = s ? notificationSecrets(s, env) : undefined;
  // Only said missing when somebody is reached that way: their rows would wait in the outbox.
  const people = config.people ?? [];
  // A secret a channel sends with that this process has not got (a `notify --once` from cron with a
  // thinner environment than serve's) is a channel that cannot send here: its rows wait for a process
  // that can, as the webhook channel's do. Tried, each row failed for good at its first attempt.
  const unset = (names: (string | undefined)[]) =>
    names.filter((n): n is string => n !== undefined && !secrets?.get(n));
  const slackUnset = s?.slack ? unset([s.slack.token ?? s.slack.webhook]) : [];
  const emailUnset = s?.email ? unset([s.email.linkSecret, s.email.user, s.email.password]) : [];
  const notSet = (names: string[]) =>
    `${names.length === 1 ? 'the secret' : 'the secrets'} ${names.map(secretNameForMessage).join(', ')} ${names.length === 1 ? 'is' : 'are'} not set in this process's environment`;
  if (s?.slack && secrets && slackUnset.length === 0) channels.push(slackChannel(s.slack, secrets));
  else if (s?.slack && slackUnset.length > 0) missing.push({ channel: 'slack', why: notSet(slackUnset) });
  else if (people.some((p) => p.slack))
    missing.push({ channel: 'slack', why: 'nightshift.config.yaml has no notifications.slack' });
  if (s?.email && secrets && s.publicUrl && emailUnset.length === 0)
    channels.push(emailChannel({ settings: s.email, secrets, people, publicUrl: s.publicUrl }));
  else if (s?.email && s.publicUrl && emailUnset.length > 0)
    missing.push({ channel: 'email', why: notSet(emailUnset) });
  else if (people.some((p) => p.email))
    missing.push({
      channel: 'email',
      why: s?.email
        ? 'notifications.publicUrl is not set (email links must point at serve)'
        : 'nightshift.config.yaml has no notifications.email',
    });
  return { channels, missing };
}
