// notify.* against real local servers: an HTTP listener (Slack webhook, chat.postMessage, signed
// webhooks) and an SMTP server. Destinations come from the role; the model cannot pick others.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { type DefineRoleInput, defineRole } from '../../src/roles/define.js';
import { notifyEmail, notifySlack, notifyWebhook } from '../../src/tools/builtin/index.js';
import { loadSecrets } from '../../src/tools/secrets.js';
import type { AnyTool } from '../../src/tools/types.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-notify-');
mkdirSync(join(tmp.path, 'ws'));

type Hit = { url: string; headers: Record<string, string | string[] | undefined>; body: string };
const hits: Hit[] = [];
const http = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    hits.push({ url: req.url ?? '', headers: req.headers, body });
    if (req.url === '/api/chat.postMessage')
      res.end(
        JSON.stringify({
          ok: req.headers.authorization === 'Bearer xoxb-test-token',
          ts: '1.2',
          error: 'invalid_auth',
        }),
      );
    else if (req.url === '/fail') res.writeHead(500).end('down');
    // /hang never answers.
    else if (req.url === '/hang') return;
    else res.end('ok');
  });
});
const mails: { from: string; to: string[]; data: string }[] = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, callback) {
    let data = '';
    stream.on('data', (c) => {
      data += c;
    });
    stream.on('end', () => {
      mails.push({
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((r) => r.address),
        data,
      });
      callback();
    });
  },
});
let base = '';
let smtpPort = 0;

const ENV = { SLACK_URL: '', SLACK_TOKEN: 'xoxb-test-token', HOOK_SECRET: 'whsec-test-1234' };

function role(over: Partial<DefineRoleInput> = {}) {
  return defineRole(
    {
      name: 'notifier',
      description: 'd',
      autonomy: 'full',
      model: 'openai:unused',
      instructions: 'i',
      tools: ['notify.slack', 'notify.email', 'notify.webhook'],
      workspace: './ws',
      secrets: ['SLACK_URL', 'SLACK_TOKEN', 'HOOK_SECRET'],
      notify: {
        slack: { webhook: 'SLACK_URL', token: 'SLACK_TOKEN', channels: ['#ops'], apiUrl: `${base}/api` },
        email: {
          host: '127.0.0.1',
          port: smtpPort,
          requireTls: false,
          from: 'bot@example.test',
          to: ['ops@example.test', 'cfo@example.test'],
        },
        webhooks: {
          pager: { url: `${base}/hooks/pager`, secret: 'HOOK_SECRET' },
          broken: { url: `${base}/fail`, secret: 'HOOK_SECRET' },
          slow: { url: `${base}/hang`, secret: 'HOOK_SECRET' },
        },
      },
      ...over,
    },
    { dir: tmp.path },
  );
}

async function call(tool: AnyTool, args: Record<string, unknown>, r = role()) {
  const parsed = tool.input.parse(args);
  const verdict = await tool.scope!(parsed, { role: r, workspace: r.workspace });
  if (verdict.kind !== 'inside') return { verdict };
  const ctx = {
    role: r,
    runId: 'run_n',
    idempotencyKey: 'run_n:2:0',
    fencingToken: 1,
    workspace: r.workspace,
    signal: new AbortController().signal,
    secrets: loadSecrets(r, ENV),
  };
  try {
    return { verdict, result: await tool.run(parsed, ctx) };
  } catch (error) {
    return { verdict, error: error as Error };
  }
}

describe('notify tools', () => {
  before(async () => {
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    ENV.SLACK_URL = `${base}/slack-webhook/T000/B000/XXXX`;
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    smtpPort = (smtp.server.address() as { port: number }).port;
  });
  after(async () => {
    http.closeAllConnections();
    http.close();
    await new Promise<void>((r) => smtp.close(() => r()));
    tmp.cleanup();
  });

  it('posts to the Slack webhook and to an allowed channel with the bot token', async () => {
    const viaHook = await call(notifySlack, { text: 'deploy finished' });
    assert.deepEqual(viaHook.result, { posted: true, via: 'webhook' });
    assert.equal(hits.at(-1)!.url, '/slack-webhook/T000/B000/XXXX');
    assert.deepEqual(JSON.parse(hits.at(-1)!.body), { text: 'deploy finished' });
    const viaApi = await call(notifySlack, { text: 'hello ops', channel: '#ops' });
    assert.equal((viaApi.result as { via: string }).via, 'chat.postMessage');
    assert.equal(hits.at(-1)!.headers.authorization, 'Bearer xoxb-test-token');
    const other = await call(notifySlack, { text: 'x', channel: '#general' });
    assert.equal(other.verdict.kind, 'outside');
  });

  it('signs webhook deliveries so the receiver can verify them', async () => {
    const before = hits.length;
    const r = await call(notifyWebhook, { target: 'pager', event: 'incident.opened', payload: { sev: 1 } });
    assert.equal((r.result as { delivered: boolean }).delivered, true);
    const hit = hits[before]!;
    const sig = String(hit.headers['x-nightshift-signature']);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig)!;
    assert.equal(createHmac('sha256', ENV.HOOK_SECRET).update(`${t}.${hit.body}`).digest('hex'), v1);
    assert.equal(hit.headers['x-nightshift-delivery'], 'run_n:2:0');
    // The worker's fencing token, as a header and inside the signed body (docs/tools.md).
    assert.equal(hit.headers['x-nightshift-fencing-token'], '1');
    assert.equal(JSON.parse(hit.body).fencingToken, 1);
    assert.deepEqual(JSON.parse(hit.body).payload, { sev: 1 });
    const unknown = await call(notifyWebhook, { target: 'elsewhere', event: 'x' });
    assert.equal(unknown.verdict.kind, 'outside');
    const broken = await call(notifyWebhook, { target: 'broken', event: 'x' });
    assert.match(broken.error!.message, /HTTP 500/);
    assert.equal((broken.error as { code?: string }).code, 'TOOL_FAILED');
  });

  it('gives a webhook target limits.fetchSeconds to answer, then fails the call with TOOL_TIMEOUT', async () => {
    const r = role({ limits: { fetchSeconds: 0.3 } });
    const slow = await call(notifyWebhook, { target: 'slow', event: 'x' }, r);
    assert.equal((slow.error as { code?: string }).code, 'TOOL_TIMEOUT', String(slow.error));
    assert.match(slow.error!.message, /webhook 'slow': no answer within 300 ms/);
  });

  it('mails only the listed recipients through the SMTP server', async () => {
    const sent = await call(notifyEmail, {
      subject: 'Variance report',
      text: 'All accounts reconcile.',
      to: ['cfo@example.test'],
    });
    assert.equal((sent.result as { sent: boolean }).sent, true);
    const mail = mails.at(-1)!;
    assert.deepEqual(mail.to, ['cfo@example.test']);
    assert.equal(mail.from, 'bot@example.test');
    assert.match(mail.data, /Subject: Variance report/);
    assert.match(mail.data, /All accounts reconcile\./);
    // The delivery id and the worker's fencing token, for a receiver that drops repeats (docs/tools.md).
    assert.match(mail.data, /^X-Nightshift-Delivery: run_n:2:0\r?$/m);
    assert.match(mail.data, /^X-Nightshift-Fencing-Token: 1\r?$/m);
    const count = mails.length;
    const stray = await call(notifyEmail, { subject: 's', text: 't', to: ['attacker@evil.test'] });
    assert.equal(stray.verdict.kind, 'outside');
    assert.equal(mails.length, count);
  });

  it('is out of scope for a role without notify settings, and a role must declare the secrets it names', async () => {
    const bare = role({ notify: { webhooks: {} } });
    assert.equal((await call(notifySlack, { text: 'x' }, bare)).verdict.kind, 'outside');
    assert.equal((await call(notifyEmail, { subject: 's', text: 't' }, bare)).verdict.kind, 'outside');
    assert.throws(() => role({ secrets: [] }), /secret SLACK_URL is not listed under secrets/);
  });
});
