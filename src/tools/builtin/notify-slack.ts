// notify.slack: a message to Slack, through the role's incoming webhook, or chat.postMessage to one of
// the role's allowed channels. The URL and token are secrets; the model names neither.
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { secretNameForMessage } from '../../secret-name.js';
import { defineTool } from '../define.js';
import { toolFailed } from '../failures.js';
import { postJson } from '../net/post-json.js';
import type { ScopeVerdict } from '../types.js';

const SlackAnswer = z.looseObject({
  ok: z.boolean().optional(),
  error: z.string().optional(),
  ts: z.string().optional(),
});
type SlackAnswer = z.infer<typeof SlackAnswer>;

/**
 * What chat.postMessage answered. The answer echoes the whole message, so it can be long: a successful
 * post is a success whatever its size (reporting it as a failure would make the model post again). An
 * answer cut at the read limit is judged by its leading `"ok":true`, which Slack writes first; an answer
 * that cannot be read at all is reported as possibly posted, so it is not simply retried.
 */
function slackAnswer(text: string, truncated: boolean): SlackAnswer {
  if (!truncated) {
    try {
      return SlackAnswer.parse(JSON.parse(text || '{}'));
    } catch {
      // Not JSON: handled below.
    }
  }
  if (/^\s*\{\s*"ok"\s*:\s*true\b/.test(text)) {
    const ts = /"ts"\s*:\s*"([0-9.]+)"/.exec(text)?.[1];
    return ts === undefined ? { ok: true } : { ok: true, ts };
  }
  throw toolFailed(
    `Slack answered HTTP 200 with a body that is not a Slack answer (${text.slice(0, 200)}); the message may have been posted, check the channel before posting again`,
  );
}

export const notifySlack = defineTool({
  name: 'notify.slack',
  description: "Post a message to Slack (the role's webhook channel, or one of its allowed channels).",
  input: z.strictObject({
    text: z.string().min(1).max(40_000),
    channel: z
      .string()
      .min(1)
      .optional()
      .describe('one of the allowed channels (needs the bot token); omit to use the webhook'),
  }),
  effect: 'external',
  idempotent: false,
  scope: ({ channel }, ctx): ScopeVerdict => {
    const slack = ctx.role.notify.slack;
    if (!slack) return { kind: 'outside', reason: 'this role has no notify.slack settings' };
    if (channel === undefined)
      return slack.webhook
        ? { kind: 'inside' }
        : { kind: 'outside', reason: 'notify.slack has no webhook; name a channel' };
    if (!slack.token)
      return {
        kind: 'outside',
        reason: 'notify.slack has no bot token, so it can post only through its webhook',
      };
    return slack.channels.includes(channel)
      ? { kind: 'inside' }
      : {
          kind: 'outside',
          reason: `channel ${channel} is not allowed (notify.slack.channels: ${slack.channels.join(', ') || 'none'})`,
        };
  },
  run: async ({ text, channel }, ctx) => {
    const slack = ctx.role.notify.slack;
    if (!slack) throw new NightshiftError('SCOPE_VIOLATION', 'this role has no notify.slack settings');
    const timeoutMs = ctx.role.limits.fetchSeconds * 1000;
    if (channel === undefined) {
      const url = slack.webhook ? ctx.secrets.get(slack.webhook) : undefined;
      if (!url)
        throw new NightshiftError(
          'SCOPE_VIOLATION',
          `secret ${secretNameForMessage(slack.webhook)} (the Slack webhook URL) is not set`,
        );
      await postJson(url, { text }, { timeoutMs, signal: ctx.signal, what: 'Slack webhook' });
      return { posted: true, via: 'webhook' };
    }
    if (!slack.channels.includes(channel))
      throw new NightshiftError('SCOPE_VIOLATION', `channel ${channel} is not allowed`);
    const token = slack.token ? ctx.secrets.get(slack.token) : undefined;
    if (!token)
      throw new NightshiftError(
        'SCOPE_VIOLATION',
        `secret ${secretNameForMessage(slack.token)} (the Slack bot token) is not set`,
      );
    const res = await postJson(
      `${slack.apiUrl.replace(/\/+$/, '')}/chat.postMessage`,
      { channel, text },
      {
        headers: { authorization: `Bearer ${token}` },
        timeoutMs,
        signal: ctx.signal,
        what: 'Slack chat.postMessage',
      },
    );
    const answer = slackAnswer(res.text, res.truncated);
    if (answer.ok !== true) throw toolFailed(`Slack refused the message: ${answer.error ?? 'unknown error'}`);
    return { posted: true, via: 'chat.postMessage', channel, ts: answer.ts ?? null };
  },
});
