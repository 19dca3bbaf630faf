// The Slack channel: a pending decision as a Block Kit message with Approve / Reject / Answer buttons,
// posted with chat.postMessage (bot token) or through an incoming webhook. Clicks come back to `serve`
// (server/slack-interactions.ts). The notification id goes in the message metadata, so a message can be
// matched to its outbox entry.
import { NightshiftError } from '../../errors.js';
import { secretNameForMessage } from '../../secret-name.js';
import type { Secrets } from '../../tools/secrets.js';
import type { SlackSettings } from '../settings.js';
import type { Notification, NotificationChannel } from '../types.js';
import { callSlack, postToWebhook } from './slack-api.js';
import { decisionBlocks, decisionFallback } from './slack-blocks.js';

function secret(secrets: Secrets, name: string | undefined, what: string): string | undefined {
  if (name === undefined) return undefined;
  const value = secrets.get(name);
  if (!value)
    throw new NightshiftError(
      'NOTIFICATION_FAILED',
      `notifications.slack.${what}: the secret ${secretNameForMessage(name)} is not set in this process's environment`,
      { retryable: false },
    );
  return value;
}

export function slackChannel(settings: SlackSettings, secrets: Secrets): NotificationChannel {
  return {
    channel: 'slack',
    async send(n: Notification) {
      const message = {
        text: decisionFallback(n.decision),
        blocks: decisionBlocks(n.decision),
        metadata: { event_type: 'nightshift_decision', event_payload: { notification: n.id } },
      };
      const token = secret(secrets, settings.token, 'token');
      if (token) {
        const channel = n.to || settings.channel;
        if (!channel)
          throw new NightshiftError(
            'NOTIFICATION_FAILED',
            `Slack notification ${n.id} names no channel and notifications.slack.channel is not set`,
            { retryable: false },
          );
        await callSlack(settings.apiUrl, token, 'chat.postMessage', { channel, ...message });
        return;
      }
      // An incoming webhook posts to the channel it was made for; `to` cannot change that.
      await postToWebhook(secret(secrets, settings.webhook, 'webhook')!, message);
    },
  };
}
