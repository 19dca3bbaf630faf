// notify.slack against a local fake Slack API: chat.postMessage echoes the whole message back, so a
// successful post can have a long answer. A success must be reported as one, whatever its size, or the
// model posts the message again.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defineRole } from '../../src/roles/define.js';
import { notifySlack } from '../../src/tools/builtin/index.js';
import { ANSWER_LIMIT } from '../../src/tools/net/post-json.js';
import { loadSecrets } from '../../src/tools/secrets.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-slack-');
mkdirSync(join(tmp.path, 'ws'));

/** What the fake Slack answers to the next chat.postMessage. */
let answer = '';
const posts: string[] = [];
const slack = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    posts.push(body);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(answer);
  });
});

/** Slack's answer to a post: `ok` first, then the message it stored, echoed in full. */
function postedAnswer(text: string): string {
  return JSON.stringify({
    ok: true,
    channel: 'C024BE91L',
    ts: '1700000000.000100',
    message: {
      type: 'message',
      user: 'U0BOT',
      text,
      ts: '1700000000.000100',
      blocks: [{ type: 'rich_text', text }],
    },
  });
}

describe('notify.slack with a long answer', () => {
  let base = '';
  before(async () => {
    await new Promise<void>((r) => slack.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(slack.address() as { port: number }).port}`;
  });
  after(() => {
    slack.close();
    tmp.cleanup();
  });

  async function post(text: string) {
    const role = defineRole(
      {
        name: 'notifier',
        description: 'd',
        autonomy: 'full',
        model: 'openai:unused',
        instructions: 'i',
        tools: ['notify.slack'],
        workspace: './ws',
        secrets: ['SLACK_TOKEN'],
        notify: { slack: { token: 'SLACK_TOKEN', channels: ['#ops'], apiUrl: `${base}/api` } },
      },
      { dir: tmp.path },
    );
    return notifySlack.run(notifySlack.input.parse({ text, channel: '#ops' }), {
      role,
      runId: 'run_s',
      idempotencyKey: 'run_s:1:0',
      fencingToken: 1,
      workspace: role.workspace,
      signal: new AbortController().signal,
      secrets: loadSecrets(role, { SLACK_TOKEN: 'xoxb-test' }),
    });
  }

  it('reports a post whose answer is over 4 KB as posted', async () => {
    const text = 'Nightly report: all green. '.repeat(400);
    answer = postedAnswer(text);
    assert.ok(answer.length > 20 * 1024);
    const result = await post(text);
    assert.deepEqual(result, {
      posted: true,
      via: 'chat.postMessage',
      channel: '#ops',
      ts: '1700000000.000100',
    });
    assert.equal(posts.length, 1);
  });

  it('reports a post whose answer is over the read limit as posted', async () => {
    answer = postedAnswer('x'.repeat(ANSWER_LIMIT + 1000));
    const result = await post('a short message');
    assert.equal(result.posted, true);
    assert.equal(result.ts, '1700000000.000100');
  });

  it('still reports a refusal, long or short', async () => {
    answer = JSON.stringify({ ok: false, error: 'channel_not_found', detail: 'y'.repeat(8000) });
    await assert.rejects(Promise.resolve(post('hello')), /Slack refused the message: channel_not_found/);
  });
});
