// The channels this process can send through, from its environment and the project's `notifications:`
// settings. The webhook channel needs the decisions secret (it signs each POST and checks answers back);
// Slack needs its settings, email its settings and the address people reach `serve` at. A channel that
// cannot send here leaves its rows waiting in the outbox (the depth gauge shows them) until a process that
// can sends them.

import type { PersonSpec } from '../people/config.js';
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
  if (s?.slack && secrets) channels.push(slackChannel(s.slack, secrets));
  else if (people.some((p) => p.slack))
    missing.push({ channel: 'slack', why: 'nightshift.config.yaml has no notifications.slack' });
  if (s?.email && secrets && s.publicUrl)
    channels.push(emailChannel({ settings: s.email, secrets, people, publicUrl: s.publicUrl }));
  else if (people.some((p) => p.email))
    missing.push({
      channel: 'email',
      why: s?.email
        ? 'notifications.publicUrl is not set (email links must point at serve)'
        : 'nightshift.config.yaml has no notifications.email',
    });
  return { channels, missing };
}
