// Slack configured, but its signing secret not set where `serve` runs (docs/escalation-channels.md,
// "Settings"): serve says so at start, at error level, naming the secret; until it is set, the door that
// takes clicks answers 503 and decides nothing, whoever clicks. A real `nightshift serve` and a fake Slack
// on loopback that signs its clicks as Slack does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { slackChannel } from '../../src/notifications/channels/slack.js';
import { notificationSecrets, SlackSettings } from '../../src/notifications/settings.js';
import { type Served, startServe } from '../support/cli.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';
import { pausedDecision, runStatus, writeProjectConfig } from './decisions.js';

const SIGNING = 'fake-slack-signing-secret-0003';
const ERROR = 50;

describe('Slack with its signing secret not set on serve', () => {
  let slack: FakeSlack;
  let drafter: TestRole;
  let served: Served;
  const slackConfig = { webhook: 'SLACK_WEBHOOK', signingSecret: 'SLACK_SIGNING_SECRET' };

  before(async () => {
    slack = await startFakeSlack({ token: 'xoxb-never-given', signingSecret: SIGNING });
    drafter = writeTestRole({
      name: 'billing',
      autonomy: 'draft',
      turns: [
        { call: 'fs.write', args: { path: 'refund.txt', content: 'refund 250' } },
        { final: { ok: true } },
      ],
    });
    writeProjectConfig(drafter.dir, { slack: slackConfig });
    // The webhook is set (messages can be posted); the signing secret is not.
    served = await startServe([drafter.file, '--port', '0', '--data-dir', drafter.dataDir], {
      cwd: drafter.dir,
      env: { SLACK_WEBHOOK: slack.webhookUrl, SLACK_SIGNING_SECRET: '' },
    });
  });
  after(async () => {
    served.child.kill('SIGKILL');
    await slack.close();
    drafter.cleanup();
  });

  it('is said by serve at start, at error level, naming the secret', async () => {
    const line = await waitFor(
      async () =>
        served
          .stdout()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { level: number; msg: string })
          .find((l) => /SLACK_SIGNING_SECRET is not set/.test(l.msg)),
      'the start error',
    );
    assert.equal(line.level, ERROR);
    assert.match(line.msg, /decisions from that channel are refused/);
  });

  it('answers a signed Approve click 503 and decides nothing', async () => {
    const d = await pausedDecision(drafter, drafter.dataDir, drafter.dir);
    const hook = SlackSettings.parse(slackConfig);
    const env = { SLACK_WEBHOOK: slack.webhookUrl, SLACK_SIGNING_SECRET: SIGNING };
    await slackChannel(hook, notificationSecrets({ slack: hook }, env)).send({
      id: `ntf_${d.id}`,
      channel: 'slack',
      to: 'C_DECISIONS',
      people: ['alice'],
      decision: d,
      attempt: 1,
    });
    const message = slack.webhookPosts.at(-1)!;
    const click = await slack.click({
      requestUrl: `${served.url}/slack/interactions`,
      message,
      actionId: 'nightshift.approve',
      userId: 'U_ALICE',
    });
    assert.equal(click.status, 503, click.body);
    assert.match(click.body, /SLACK_SIGNING_SECRET is not set/);
    const s = await runStatus(d.runId, drafter.dataDir, drafter.dir);
    assert.equal(s.status, 'awaiting_approval');
    assert.deepEqual(
      (s.approvals as { status: string }[]).map((a) => a.status),
      ['pending'],
    );
    assert.equal(drafter.exists('refund.txt'), false);
  });
});
