// Webhook triggers verified with their sender's own scheme, each request signed by the sender's own
// library (GitHub's @octokit/webhooks-methods, Stripe's test header helper, standardwebhooks; Slack's v0
// computed as Slack documents it, having no signing library) against a real daemon on loopback over a
// real SQLite store: a valid delivery starts one run, a redelivery answers with the same run, and a
// tampered body, a wrong secret, a stale timestamp or a missing header is refused with a coded 4xx,
// recording nothing. The secrets never reach the log.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { loadRoleFile } from '../../../src/roles/load.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { type Daemon, startDaemon } from '../../../src/server/daemon.js';
import { signWebhook } from '../../../src/tools/builtin/notify-webhook.js';
import { type TestRole, writeTestRole } from '../../support/roles.js';

const SECRETS = {
  GH_SECRET: 'gh-secret-9f2c41',
  STRIPE_SECRET: `whsec_${randomBytes(24).toString('hex')}`,
  SLACK_SECRET: `slack-signing-${randomBytes(8).toString('hex')}`,
  STD_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
  STD_BAD_SECRET: 'whsec_not base64!',
  NS_SECRET: `ns-${randomBytes(12).toString('hex')}`,
};
const stripeHeader = (payload: string, secret = SECRETS.STRIPE_SECRET, timestamp = now()) =>
  new Stripe('sk_test_unused').webhooks.generateTestHeaderString({ payload, secret, timestamp });
const now = () => Math.floor(Date.now() / 1000);

/** Slack's v0, as https://api.slack.com/authentication/verifying-requests-from-slack documents it. */
function slackHeaders(body: string, secret = SECRETS.SLACK_SECRET, ts = now()): Record<string, string> {
  const sig = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig };
}

function standardHeaders(id: string, body: string, secret = SECRETS.STD_SECRET, at = new Date()) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

interface Answer {
  status: number;
  body: {
    runId?: string;
    created?: boolean;
    deliveryId?: string;
    error?: { code: string; message: string };
    challenge?: string;
    pong?: boolean;
  };
}

describe('webhooks from the senders users have', () => {
  let r: TestRole;
  let rt: Runtime;
  let daemon: Daemon;
  let logged = '';
  before(async () => {
    r = writeTestRole({
      name: 'senders',
      autonomy: 'full',
      tools: ['fs.list'],
      ledgerTools: false,
      turns: [{ final: {} }],
      extra: {
        secrets: [...Object.keys(SECRETS), 'UNSET_SECRET'],
        triggers: [
          { webhook: { path: 'github', secret: 'GH_SECRET', scheme: 'github' } },
          { webhook: { path: 'github-envelope', secret: 'GH_SECRET', scheme: 'github', input: 'envelope' } },
          { webhook: { path: 'stripe', secret: 'STRIPE_SECRET', scheme: 'stripe', toleranceSeconds: 60 } },
          { webhook: { path: 'slack', secret: 'SLACK_SECRET', scheme: 'slack' } },
          { webhook: { path: 'standard', secret: 'STD_SECRET', scheme: 'standard' } },
          { webhook: { path: 'standard-bad', secret: 'STD_BAD_SECRET', scheme: 'standard' } },
          { webhook: { path: 'unset', secret: 'UNSET_SECRET', scheme: 'github' } },
          { webhook: { path: 'own', secret: 'NS_SECRET' } },
        ],
      },
    });
    rt = await createRuntime({ dataDir: r.dataDir });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += chunk;
        done();
      },
    });
    daemon = await startDaemon({
      runtime: rt,
      roles: [await loadRoleFile(r.file)],
      host: '127.0.0.1',
      port: 0,
      concurrency: 1,
      pollMs: 20,
      env: { ...SECRETS },
      log: pino({ level: 'debug' }, sink),
    });
  });
  after(async () => {
    await daemon?.close(1000);
    await rt?.close();
    r?.cleanup();
  });

  const post = async (path: string, headers: Record<string, string>, body: string): Promise<Answer> => {
    const res = await fetch(`${daemon.url}/hooks/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  };
  const runs = async () => (await rt.list({ limit: 1000 })).length;

  /** Each refusal: its status and code, and nothing recorded (no run). */
  async function refused(
    what: string,
    answer: Promise<Answer>,
    status: number,
    code: string,
    message?: RegExp,
  ) {
    const before = await runs();
    const a = await answer;
    assert.equal(a.status, status, `${what}: ${JSON.stringify(a.body)}`);
    assert.equal(a.body.error?.code, code, what);
    if (message) assert.match(a.body.error!.message, message, what);
    assert.equal(await runs(), before, `${what} recorded a run`);
  }

  it('github: X-Hub-Signature-256 by @octokit/webhooks-methods; a redelivery (same delivery) is the same run', async () => {
    const body = JSON.stringify({ action: 'opened', pull_request: { number: 7 } });
    const headers = {
      'x-hub-signature-256': await githubSign(SECRETS.GH_SECRET, body),
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-github-event': 'pull_request',
    };
    const before = await runs();
    const first = await post('github', headers, body);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.created, true);
    assert.equal(first.body.deliveryId, headers['x-github-delivery']);
    assert.equal(await runs(), before + 1);
    const again = await post('github', headers, body);
    assert.equal(again.status, 202);
    assert.equal(again.body.runId, first.body.runId, 'a redelivery is the same run');
    assert.equal(again.body.created, false);
    // X-GitHub-Delivery is not signed: the same signed body under another delivery id is still that run.
    const forged = await post('github', { ...headers, 'x-github-delivery': 'forged-id' }, body);
    assert.equal(forged.body.runId, first.body.runId);
    assert.equal(await runs(), before + 1);
    const snap = await rt.get(first.body.runId!);
    assert.deepEqual(snap?.run.input, JSON.parse(body));
    assert.deepEqual(snap?.steps.find((s) => s.kind === 'run_started')?.data.trigger, {
      kind: 'webhook',
      path: 'github',
      scheme: 'github',
      deliveryId: headers['x-github-delivery'],
      event: 'pull_request',
    });
  });

  it('github: input envelope carries X-GitHub-Event; a ping is answered without a run', async () => {
    const body = JSON.stringify({ action: 'created', issue: { number: 3 } });
    const headers = {
      'x-hub-signature-256': await githubSign(SECRETS.GH_SECRET, body),
      'x-github-delivery': 'd-envelope-1',
      'x-github-event': 'issue_comment',
    };
    const a = await post('github-envelope', headers, body);
    assert.equal(a.status, 202, JSON.stringify(a.body));
    const snap = await rt.get(a.body.runId!);
    assert.deepEqual(snap?.run.input, {
      scheme: 'github',
      event: 'issue_comment',
      deliveryId: 'd-envelope-1',
      payload: JSON.parse(body),
    });
    // The same signed body under another (unsigned) delivery id is that delivery again: the first run,
    // though the envelope it would make differs. before: 409 IDEMPOTENCY_KEY_REUSED.
    const runsThen = await runs();
    const again = await post('github-envelope', { ...headers, 'x-github-delivery': 'd-envelope-2' }, body);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.runId, a.body.runId);
    assert.equal(again.body.created, false);
    assert.equal(await runs(), runsThen);
    assert.equal(
      ((await rt.get(a.body.runId!))!.run.input as { deliveryId?: string }).deliveryId,
      'd-envelope-1',
    );
    const before = await runs();
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const pong = await post(
      'github',
      { 'x-hub-signature-256': await githubSign(SECRETS.GH_SECRET, ping), 'x-github-event': 'ping' },
      ping,
    );
    assert.equal(pong.status, 200);
    assert.equal(pong.body.pong, true);
    assert.equal(await runs(), before);
  });

  it('github: tampered body, wrong secret, missing or malformed header: refused, no run', async () => {
    const body = '{"action":"opened"}';
    const sig = await githubSign(SECRETS.GH_SECRET, body);
    const ev = { 'x-github-event': 'issues', 'x-github-delivery': 'd-bad' };
    await refused(
      'tampered',
      post('github', { ...ev, 'x-hub-signature-256': sig }, '{"action":"closed"}'),
      401,
      'WEBHOOK_SIGNATURE_MISMATCH',
      /X-Hub-Signature-256 does not match/,
    );
    await refused(
      'wrong secret',
      post('github', { ...ev, 'x-hub-signature-256': await githubSign('not-the-secret', body) }, body),
      401,
      'WEBHOOK_SIGNATURE_MISMATCH',
    );
    await refused('missing', post('github', ev, body), 401, 'WEBHOOK_HEADER_MISSING', /X-Hub-Signature-256/);
    await refused(
      'sha1 only',
      post('github', { ...ev, 'x-hub-signature-256': `sha1=${'0'.repeat(40)}` }, body),
      401,
      'WEBHOOK_HEADER_MALFORMED',
    );
  });

  it('stripe: Stripe-Signature from stripe.webhooks.generateTestHeaderString; a retry (new timestamp) is the same run', async () => {
    const body = JSON.stringify({ id: 'evt_1Abc', type: 'payment_intent.succeeded', data: { object: {} } });
    const before = await runs();
    // Sent 20 s ago, retried 10 s ago: two signatures whatever second the test runs in.
    const t0 = now();
    const first = await post('stripe', { 'stripe-signature': stripeHeader(body, undefined, t0 - 20) }, body);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.deliveryId, 'evt_1Abc');
    const retry = await post('stripe', { 'stripe-signature': stripeHeader(body, undefined, t0 - 10) }, body);
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.equal(retry.body.runId, first.body.runId);
    assert.equal(await runs(), before + 1);
    // Several v1 (a secret being rolled): one matching is enough.
    const other = JSON.stringify({ id: 'evt_2Def', type: 'charge.refunded' });
    const t = now();
    const mine = stripeHeader(other, undefined, t);
    const theirs = stripeHeader(other, 'whsec_old', t).split(',')[1];
    const rolled = await post('stripe', { 'stripe-signature': `${mine},${theirs}` }, other);
    assert.equal(rolled.status, 202, JSON.stringify(rolled.body));
    assert.equal(await runs(), before + 2);
  });

  it('stripe: a replayed signature, a stale timestamp (past toleranceSeconds), tampering, a wrong secret: refused', async () => {
    const body = JSON.stringify({ id: 'evt_3Ghi', type: 'invoice.paid' });
    const header = stripeHeader(body);
    assert.equal((await post('stripe', { 'stripe-signature': header }, body)).status, 202);
    await refused('replay', post('stripe', { 'stripe-signature': header }, body), 401, 'WEBHOOK_REPLAYED');
    const fresh = JSON.stringify({ id: 'evt_4Jkl', type: 'invoice.paid' });
    await refused(
      'stale (61 s with toleranceSeconds 60)',
      post('stripe', { 'stripe-signature': stripeHeader(fresh, undefined, now() - 61) }, fresh),
      401,
      'WEBHOOK_TIMESTAMP_OUTSIDE_WINDOW',
      /60 s window/,
    );
    await refused(
      'tampered',
      post('stripe', { 'stripe-signature': stripeHeader(fresh) }, fresh.replace('paid', 'void')),
      401,
      'WEBHOOK_SIGNATURE_MISMATCH',
    );
    await refused(
      'wrong secret',
      post('stripe', { 'stripe-signature': stripeHeader(fresh, 'whsec_wrong') }, fresh),
      401,
      'WEBHOOK_SIGNATURE_MISMATCH',
    );
    await refused('missing', post('stripe', {}, fresh), 401, 'WEBHOOK_HEADER_MISSING', /Stripe-Signature/);
    const noId = '{"type":"invoice.paid"}';
    await refused(
      'an event without id',
      post('stripe', { 'stripe-signature': stripeHeader(noId) }, noId),
      400,
      'WEBHOOK_BODY_INVALID',
      /"id"/,
    );
  });

  it('slack: v0 signature; url_verification answered with its challenge, no run; event_id deduplicates', async () => {
    const before = await runs();
    const challenge = JSON.stringify({ token: 't', challenge: 'c-3eZbrw1aBm', type: 'url_verification' });
    const hello = await post('slack', slackHeaders(challenge), challenge);
    assert.equal(hello.status, 200);
    assert.equal(hello.body.challenge, 'c-3eZbrw1aBm');
    assert.equal(await runs(), before);
    const event = JSON.stringify({
      type: 'event_callback',
      event_id: 'Ev08MFMKH6',
      event: { type: 'app_mention', text: 'hi' },
    });
    const t0 = now();
    const first = await post('slack', slackHeaders(event, undefined, t0 - 20), event);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.deliveryId, 'Ev08MFMKH6');
    const retry = await post(
      'slack',
      { ...slackHeaders(event, undefined, t0 - 10), 'x-slack-retry-num': '1' },
      event,
    );
    assert.equal(retry.body.runId, first.body.runId);
    assert.equal(await runs(), before + 1);
  });

  it('slack: stale timestamp, tampered body, wrong secret, missing header, an unverified challenge: refused', async () => {
    const event = JSON.stringify({ type: 'event_callback', event_id: 'Ev-bad', event: { type: 'message' } });
    await refused(
      'stale',
      post('slack', slackHeaders(event, undefined, now() - 301), event),
      401,
      'WEBHOOK_TIMESTAMP_OUTSIDE_WINDOW',
    );
    await refused(
      'tampered',
      post('slack', slackHeaders(event), `${event} `),
      401,
      'WEBHOOK_SIGNATURE_MISMATCH',
    );
    await refused(
      'wrong secret',
      post('slack', slackHeaders(event, 'nope'), event),
      401,
      'WEBHOOK_SIGNATURE_MISMATCH',
    );
    const { 'x-slack-signature': _dropped, ...noSig } = slackHeaders(event);
    await refused('missing', post('slack', noSig, event), 401, 'WEBHOOK_HEADER_MISSING', /x-slack-signature/);
    const challenge = JSON.stringify({ challenge: 'x', type: 'url_verification' });
    await refused('challenge unsigned', post('slack', {}, challenge), 401, 'WEBHOOK_HEADER_MISSING');
  });

  it('standard: webhook-signature by standardwebhooks Webhook.sign; a retry under the same webhook-id is the same run', async () => {
    const body = JSON.stringify({ type: 'ticket.created', data: { id: 'Z-1' } });
    const before = await runs();
    const t0 = Date.now();
    const first = await post(
      'standard',
      standardHeaders('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', body, undefined, new Date(t0 - 20_000)),
      body,
    );
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const retry = await post(
      'standard',
      standardHeaders('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', body, undefined, new Date(t0 - 10_000)),
      body,
    );
    assert.equal(retry.body.runId, first.body.runId);
    assert.equal(await runs(), before + 1);
    // Several signatures, space-separated (a secret being rotated): one matching is enough.
    const other = JSON.stringify({ type: 'ticket.created', data: { id: 'Z-2' } });
    const at = new Date();
    const h = standardHeaders('msg_two', other, undefined, at);
    const old = new Webhook(`whsec_${randomBytes(32).toString('base64')}`).sign('msg_two', at, other);
    const both = await post(
      'standard',
      { ...h, 'webhook-signature': `${old} ${h['webhook-signature']}` },
      other,
    );
    assert.equal(both.status, 202, JSON.stringify(both.body));
    assert.equal(await runs(), before + 2);
  });

  it('standard: replay, stale timestamp, tampered body, tampered id, wrong secret, missing header: refused', async () => {
    const body = JSON.stringify({ type: 'ticket.created', data: { id: 'Z-3' } });
    const h = standardHeaders('msg_replayed', body);
    assert.equal((await post('standard', h, body)).status, 202);
    await refused('replay', post('standard', h, body), 401, 'WEBHOOK_REPLAYED');
    const fresh = JSON.stringify({ type: 'ticket.created', data: { id: 'Z-4' } });
    await refused(
      'stale',
      post('standard', standardHeaders('msg_stale', fresh, undefined, new Date(Date.now() - 301_000)), fresh),
      401,
      'WEBHOOK_TIMESTAMP_OUTSIDE_WINDOW',
    );
    await refused(
      'tampered',
      post('standard', standardHeaders('msg_t', fresh), fresh.replace('Z-4', 'Z-5')),
      401,
      'WEBHOOK_SIGNATURE_MISMATCH',
    );
    await refused(
      'another id under a signature',
      post('standard', { ...standardHeaders('msg_a', fresh), 'webhook-id': 'msg_b' }, fresh),
      401,
      'WEBHOOK_SIGNATURE_MISMATCH',
    );
    await refused(
      'wrong secret',
      post('standard', standardHeaders('msg_w', fresh, `whsec_${randomBytes(32).toString('base64')}`), fresh),
      401,
      'WEBHOOK_SIGNATURE_MISMATCH',
    );
    const { 'webhook-timestamp': _dropped, ...noTs } = standardHeaders('msg_m', fresh);
    await refused(
      'missing',
      post('standard', noTs, fresh),
      401,
      'WEBHOOK_HEADER_MISSING',
      /webhook-timestamp/,
    );
  });

  it('a delivery id over 200 characters, or not visible ASCII, is refused (400) naming its header or field', async () => {
    const long = 'd'.repeat(201);
    const ns = (id: string, body: string) => ({
      'x-nightshift-signature': signWebhook(SECRETS.NS_SECRET, now(), body),
      'x-nightshift-delivery': id,
    });
    const body = '{"ticket":"T-1"}';
    await refused(
      'nightshift',
      post('own', ns(long, body), body),
      400,
      'WEBHOOK_HEADER_MALFORMED',
      /x-nightshift-delivery header is 201 characters long: a delivery id must be 1 to 200 visible ASCII/,
    );
    await refused(
      'a control character',
      post('own', ns('a\tb', body), body),
      400,
      'WEBHOOK_HEADER_MALFORMED',
      /x-nightshift-delivery header holds a space, a control or a non-ASCII character/,
    );
    // The refusal spent nothing: the same body signed again with a 200-character id starts its run.
    const fits = await post('own', ns('d'.repeat(200), body), body);
    assert.equal(fits.status, 202, JSON.stringify(fits.body));
    assert.equal(fits.body.deliveryId, 'd'.repeat(200));
    const gh = '{"action":"opened"}';
    await refused(
      'github',
      post(
        'github',
        {
          'x-hub-signature-256': await githubSign(SECRETS.GH_SECRET, gh),
          'x-github-event': 'issues',
          'x-github-delivery': long,
        },
        gh,
      ),
      400,
      'WEBHOOK_HEADER_MALFORMED',
      /X-GitHub-Delivery header is 201 characters long/,
    );
    const std = '{"type":"x"}';
    await refused(
      'standard',
      post('standard', standardHeaders(long, std), std),
      400,
      'WEBHOOK_HEADER_MALFORMED',
      /webhook-id header is 201 characters long/,
    );
    const evt = JSON.stringify({ id: `evt_${long}`, type: 'charge.succeeded' });
    await refused(
      'stripe',
      post('stripe', { 'stripe-signature': stripeHeader(evt) }, evt),
      400,
      'WEBHOOK_BODY_INVALID',
      /the body's "id" is 205 characters long/,
    );
    const ev = JSON.stringify({ type: 'event_callback', event_id: 'Ev 1', event: { type: 'message' } });
    await refused(
      'slack',
      post('slack', slackHeaders(ev), ev),
      400,
      'WEBHOOK_BODY_INVALID',
      /the body's "event_id" holds a space/,
    );
  });

  it('a verified body that is not JSON is refused (400) and its signature stays unspent', async () => {
    const body = 'not json';
    const h = standardHeaders('msg_notjson', body);
    await refused('not JSON', post('standard', h, body), 400, 'WEBHOOK_BODY_INVALID', /not JSON/);
    await refused(
      'again: still not JSON, not a replay',
      post('standard', h, body),
      400,
      'WEBHOOK_BODY_INVALID',
    );
    await refused('no such hook', post('gitlab', {}, '{}'), 404, 'WEBHOOK_NOT_FOUND');
  });

  it('a secret that is unset here, or not in the format of its scheme, refuses every delivery (503) naming it', async () => {
    const body = '{"type":"x"}';
    await refused(
      'not whsec_<base64>',
      post('standard-bad', standardHeaders('msg_bad', body), body),
      503,
      'WEBHOOK_SECRET_UNAVAILABLE',
      /STD_BAD_SECRET is not a Standard Webhooks secret/,
    );
    await refused(
      'unset',
      post('unset', { 'x-hub-signature-256': await githubSign('x', body) }, body),
      503,
      'WEBHOOK_SECRET_UNAVAILABLE',
      /UNSET_SECRET is not set/,
    );
  });

  it('never logs a secret', () => {
    assert.match(logged, /webhook accepted/);
    for (const value of Object.values(SECRETS)) assert.equal(logged.includes(value), false);
  });
});
