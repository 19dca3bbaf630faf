// The channels this process can send through, from its environment. The webhook channel needs the
// decisions secret (it signs each POST and checks answers back); without it, webhook rows wait in the
// outbox (the depth gauge shows them) until a process that has it sends them.

import type { NotificationChannel } from './types.js';
import { DECISIONS_SECRET_ENV, webhookChannel } from './webhook-channel.js';

export interface ConfiguredChannels {
  channels: NotificationChannel[];
  /** Channels that cannot send here, and why (said once at start). */
  missing: { channel: string; why: string }[];
}

export function channelsFromEnv(env: NodeJS.ProcessEnv): ConfiguredChannels {
  const channels: NotificationChannel[] = [];
  const missing: ConfiguredChannels['missing'] = [];
  const secret = env[DECISIONS_SECRET_ENV];
  if (secret) channels.push(webhookChannel({ secret }));
  else missing.push({ channel: 'webhook', why: `${DECISIONS_SECRET_ENV} is not set` });
  return { channels, missing };
}
