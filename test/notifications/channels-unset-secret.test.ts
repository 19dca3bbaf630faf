// A process whose environment lacks a secret a channel sends with (a `notify --once` from cron with fewer
// variables than serve) cannot send through it: its rows wait in the outbox for a process that can, as the
// webhook channel's do without NIGHTSHIFT_DECISIONS_SECRET. Before, Slack and email rows were claimed and
// failed for good at their first attempt ("the secret … is not set in this process's environment").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelsFromEnv } from '../../src/notifications/channels.js';
import { NotificationSettings } from '../../src/notifications/settings.js';

const settings = NotificationSettings.parse({
  publicUrl: 'http://127.0.0.1:8080',
  slack: { token: 'SLACK_BOT_TOKEN', signingSecret: 'SLACK_SIGNING_SECRET', channel: 'C1' },
  email: { host: '127.0.0.1', from: 'n@example.com', linkSecret: 'NIGHTSHIFT_LINK_SECRET' },
});
const people = [{ name: 'dana', email: 'dana@example.com', slack: 'U1', decides: ['*'] }];
const names = (env: NodeJS.ProcessEnv) => {
  const c = channelsFromEnv(env, { settings, people });
  return { channels: c.channels.map((x) => x.channel), missing: c.missing };
};

describe('channels whose secrets this process has not got', () => {
  it('are not offered to the sender, and are said missing with the secret each lacks', () => {
    const none = names({});
    assert.deepEqual(none.channels, []);
    assert.deepEqual(
      none.missing.map((m) => m.channel),
      ['webhook', 'slack', 'email'],
    );
    assert.match(none.missing[1]!.why, /the secret SLACK_BOT_TOKEN is not set in this process's environment/);
    assert.match(none.missing[2]!.why, /the secret NIGHTSHIFT_LINK_SECRET is not set/);
    const all = names({
      SLACK_BOT_TOKEN: 'xoxb-test',
      NIGHTSHIFT_LINK_SECRET: 'l'.repeat(40),
      NIGHTSHIFT_DECISIONS_SECRET: 'd'.repeat(40),
    });
    assert.deepEqual(all.channels, ['webhook', 'slack', 'email']);
    assert.deepEqual(all.missing, []);
  });
});
