// Slack interactivity without the bot token (decision 063): decisions are posted through the incoming
// webhook and Approve works, but Reject and Answer cannot open their form (views.open takes the token).
// `serve` says so at start; such a click decides nothing (409), is logged with the decision and the person,
// and the person is told, through the interaction's response_url, the CLI command that decides it. A real
// `nightshift serve` and a fake Slack on loopback that signs its clicks as Slack does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { slackChannel } from '../../src/notifications/channels/slack.js';
import { notificationSecrets, SlackSettings } from '../../src/notifications/settings.js';
import type { PendingDecision } from '../../src/notifications/types.js';
import { type Served, startServe } from '../support/cli.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';
import { pausedDecision, runStatus, writeProjectConfig } from './decisions.js';

const SIGNING = 'fake-slack-signing-secret-0002';
const WARN = 40;

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

describe('Slack decisions without a bot token', () => {
  let slack: FakeSlack;
  let drafter: TestRole;
  let asker: TestRole;
  let served: Served;
  let requestUrl: string;
  let hook: SlackSettings;
  let env: Record<string, string>;

  before(async () => {
    // The fake's Web API would take this token; serve is given none, only the webhook.
    slack = await startFakeSlack({ token: 'xoxb-never-given', signingSecret: SIGNING });
    env = { SLACK_WEBHOOK: slack.webhookUrl, SLACK_SIGNING_SECRET: SIGNING };
    drafter = writeTestRole({
      name: 'billing',
      autonomy: 'draft',
      turns: [
        { call: 'fs.write', args: { path: 'refund.txt', content: 'refund 250' } },
        { final: { ok: true } },
      ],
    });
    asker = writeTestRole({
      name: 'billing-desk',
      autonomy: 'full',
      turns: [
        { escalate: { category: 'money', reason: 'refund of 250 needs a person' } },
        { final: { ok: true } },
      ],
    });
    const slackConfig = { webhook: 'SLACK_WEBHOOK', signingSecret: 'SLACK_SIGNING_SECRET' };
    hook = SlackSettings.parse(slackConfig);
    writeProjectConfig(drafter.dir, { slack: slackConfig });
    served = await startServe(
      [drafter.file, asker.file, '--port', '0', '--data-dir', drafter.dataDir, '--poll-ms', '20'],
      { cwd: drafter.dir, env },
    );
    requestUrl = `${served.url}/slack/interactions`;
  });
  after(async () => {
    served.child.kill('SIGKILL');
    await slack.close();
    drafter.cleanup();
    asker.cleanup();
  });

  const logLines = (): LogLine[] =>
    served
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);

  async function posted(d: PendingDecision): Promise<Record<string, unknown>> {
    await slackChannel(hook, notificationSecrets({ slack: hook }, env)).send({
      id: `ntf_${d.id}`,
      channel: 'slack',
      to: 'C_DECISIONS',
      people: ['alice'],
      decision: d,
      attempt: 1,
    });
    return slack.webhookPosts.at(-1)!;
  }

  it('warns at start that Reject and Answer cannot be taken in Slack', async () => {
    const line = await waitFor(
      async () => logLines().find((l) => /Slack has no bot token/.test(l.msg)),
      'the start warning',
    );
    assert.equal(line.level, WARN);
    assert.match(line.msg, /notifications\.slack\.token is not configured/);
    assert.match(line.msg, /Reject or Answer click decides nothing/);
  });

  it('a Reject click is refused (409), logged with the approval and the person, and answered with the CLI command', async () => {
    const d = await pausedDecision(drafter, drafter.dataDir, drafter.dir);
    const message = await posted(d);
    const click = await slack.click({
      requestUrl,
      message,
      actionId: 'nightshift.reject',
      userId: 'U_ALICE',
    });
    assert.equal(click.status, 409, click.body);
    assert.equal(slack.calls.length, 0, 'no Web API call (no token to make it with)');
    const command = `nightshift reject ${d.id} --reason "WHY" --as alice`;
    const told = slack.responses.at(-1)!;
    assert.equal(told.response_type, 'ephemeral');
    assert.equal(told.replace_original, false);
    assert.ok(String(told.text).includes(`\`${command}\``), String(told.text));
    assert.match(String(told.text), /^Not decided: Reject needs a form/);
    const line = await waitFor(
      async () => logLines().find((l) => l.approvalId === d.id && /slack decision not taken/.test(l.msg)),
      'the log line of the click',
    );
    assert.equal(line.level, WARN);
    assert.deepEqual(
      [line.action, line.by, line.slackUser, line.command],
      ['reject', 'alice', 'U_ALICE', command],
    );
    assert.equal((await runStatus(d.runId, drafter.dataDir, drafter.dir)).status, 'awaiting_approval');
  });

  it('an Answer click on an escalation is told the answer command', async () => {
    const d = await pausedDecision(asker, drafter.dataDir, drafter.dir);
    const message = await posted(d);
    const click = await slack.click({
      requestUrl,
      message,
      actionId: 'nightshift.answer',
      userId: 'U_ALICE',
    });
    assert.equal(click.status, 409, click.body);
    const command = `nightshift answer ${d.id} "YOUR ANSWER" --as alice`;
    assert.ok(String(slack.responses.at(-1)!.text).includes(`\`${command}\``));
    const line = await waitFor(
      async () => logLines().find((l) => l.escalationId === d.id && /slack decision not taken/.test(l.msg)),
      'the log line of the click',
    );
    assert.deepEqual([line.action, line.by], ['answer', 'alice']);
    assert.equal((await runStatus(d.runId, drafter.dataDir, drafter.dir)).status, 'escalated');
  });

  it('Approve still decides without the token', async () => {
    const d = await pausedDecision(drafter, drafter.dataDir, drafter.dir);
    const message = await posted(d);
    const click = await slack.click({
      requestUrl,
      message,
      actionId: 'nightshift.approve',
      userId: 'U_ALICE',
    });
    assert.equal(click.status, 200, click.body);
    assert.match(String(slack.responses.at(-1)!.text), /Approved by alice/);
  });
});
