// Hostile HTTP input against a running `nightshift serve`: bodies a browser page can send cross-site
// without a preflight (text/plain, form, multipart, no content type), a 10 MB body, malformed percent
// escapes, broken JSON, and webhooks with missing, forged, stale, tampered and replayed signatures.
// Contract: each gets its own clear 4xx answer (never a reset connection or a 500), none starts a run,
// and the daemon goes on serving: legitimate requests sent alongside run once each.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { authFor } from '../test/support/cli.js';
import { breaches, tally, waitSettled } from './support/check.js';
import { openCluster } from './support/cluster.js';
import { type Payments, startPayments } from './support/payments.js';
import { record } from './support/results.js';

const SECRET = 'whsec-fault-suite-0001';

interface Answer {
  status: number;
  body: string;
}

/** One raw request (no client-side normalisation of the path or the headers); status 0 = no answer. */
function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | string,
) {
  return new Promise<Answer>((resolve) => {
    // Every request carries the daemon's token (unless it names its own Authorization), so each attack
    // reaches the check it aims at; the two token attacks below send none or a forged one.
    const all = { ...authFor(url), ...headers };
    if (all.authorization === '') delete all.authorization;
    const req = request(`${url}${path}`, { method, headers: all, timeout: 30_000 }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', (err) => resolve({ status: 0, body: `no answer: ${err.message}` }));
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

function sign(body: string, t = Math.floor(Date.now() / 1000), secret = SECRET): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

interface Attack {
  name: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  expect: number;
}

const json = { 'content-type': 'application/json' };
const event = '{"i":1}';
const hook = (sig: string | undefined, delivery: string, body = event) => ({
  path: '/hooks/pay',
  headers: { ...json, 'x-nightshift-delivery': delivery, ...(sig ? { 'x-nightshift-signature': sig } : {}) },
  body,
});

const ATTACKS: Attack[] = [
  {
    name: 'text/plain body (cross-site simple request)',
    path: '/events/pay',
    headers: { 'content-type': 'text/plain' },
    body: event,
    expect: 415,
  },
  {
    name: 'form-urlencoded body',
    path: '/events/pay',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: event,
    expect: 415,
  },
  {
    name: 'multipart/form-data body',
    path: '/events/pay',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
    body: event,
    expect: 415,
  },
  { name: 'no content type', path: '/events/pay', headers: {}, body: event, expect: 415 },
  {
    name: 'event without a token',
    path: '/events/pay',
    headers: { ...json, authorization: '' },
    body: event,
    expect: 401,
  },
  {
    name: 'event with a forged token',
    path: '/events/pay',
    headers: { ...json, authorization: `Bearer nst_${'A'.repeat(43)}` },
    body: event,
    expect: 401,
  },
  {
    name: '10 MB JSON body',
    path: '/events/pay',
    headers: json,
    body: Buffer.alloc(10 * 1024 * 1024, 0x20),
    expect: 413,
  },
  {
    name: 'truncated % escape in an event name',
    path: '/events/%E0%A4%A',
    headers: json,
    body: event,
    expect: 400,
  },
  { name: 'invalid % escape in an event name', path: '/events/%ZZ', headers: json, body: event, expect: 400 },
  {
    name: 'invalid % escape in a webhook path',
    path: '/hooks/%E0%A4%A',
    headers: json,
    body: event,
    expect: 400,
  },
  { name: 'broken JSON', path: '/events/pay', headers: json, body: '{"i":', expect: 400 },
  { name: 'webhook without a signature', ...hook(undefined, 'h-1'), expect: 401 },
  {
    name: 'webhook signed with a wrong secret',
    ...hook(sign(event, undefined, 'not-the-secret'), 'h-2'),
    expect: 401,
  },
  {
    name: 'webhook with a stale timestamp',
    ...hook(sign(event, Math.floor(Date.now() / 1000) - 3600), 'h-3'),
    expect: 401,
  },
  { name: 'webhook with a tampered body', ...hook(sign('{"i":2}'), 'h-4', '{"i":666}'), expect: 401 },
];

let payments: Payments;
before(async () => {
  payments = await startPayments();
});
after(() => payments.close());

describe('hostile HTTP input', () => {
  it('gets a clear 4xx each, starts nothing, and the daemon goes on serving', async () => {
    const cluster = await openCluster({
      kind: 'sqlite',
      payments,
      turns: [{ call: 'payments.charge', args: { amount: 1 } }, { final: { paid: true } }],
      roleExtra: {
        secrets: ['HOOK_SECRET'],
        triggers: [{ event: 'pay' }, { webhook: { path: 'pay', secret: 'HOOK_SECRET' } }],
      },
      env: { HOOK_SECRET: SECRET },
    });
    try {
      const d = await cluster.startWorker();
      const problems: string[] = [];
      const seen: string[] = [];
      // The legitimate requests: an event with a charset parameter, and a signed webhook.
      const legit: string[] = [];
      const ok = await send(
        d.url,
        'POST',
        '/events/pay',
        { 'content-type': 'application/json; charset=utf-8', 'idempotency-key': 'legit-1' },
        event,
      );
      if (ok.status === 202)
        legit.push(...(JSON.parse(ok.body) as { runs: { runId: string }[] }).runs.map((r) => r.runId));
      else problems.push(`a legitimate event was answered ${ok.status}: ${ok.body.slice(0, 80)}`);
      const signature = sign(event);
      const signed = hook(signature, 'h-0');
      const good = await send(d.url, 'POST', signed.path, signed.headers, signed.body);
      if (good.status === 202) legit.push((JSON.parse(good.body) as { runId: string }).runId);
      else problems.push(`a signed webhook was answered ${good.status}: ${good.body.slice(0, 80)}`);

      const attacks = [
        ...ATTACKS,
        {
          name: 'webhook replayed (same signature, new delivery id)',
          ...hook(signature, 'h-5'),
          expect: 401,
        },
      ];
      for (const a of attacks) {
        const got = await send(d.url, 'POST', a.path, a.headers ?? {}, a.body ?? '');
        seen.push(`${a.name}: ${got.status || 'no answer'}`);
        if (got.status !== a.expect)
          problems.push(
            `${a.name}: ${got.status === 0 ? got.body : `answered ${got.status}`}, want ${a.expect}`,
          );
      }
      const alive = await fetch(`${d.url}/healthz`)
        .then((r) => r.status)
        .catch(() => 0);
      if (alive !== 200) problems.push('the daemon stopped answering /healthz');

      const settled = await waitSettled(cluster, legit, 30_000);
      const all = await cluster.store.listRuns({ limit: 1000 });
      const startedByAttacks = all.filter((r) => !legit.includes(r.id)).length;
      if (startedByAttacks) problems.push(`${startedByAttacks} runs started by hostile requests`);
      const t = await tally(cluster, payments, legit, 1, false);
      problems.push(
        ...breaches(t, { recoveryMs: settled.at === undefined ? null : 0, boundMs: 30_000 }),
        ...t.details,
      );
      record({
        id: '7-hostile-http-sqlite',
        injection: `hostile HTTP input (${attacks.length} requests)`,
        store: 'sqlite',
        started: t.started,
        finished: t.finished,
        paused: t.paused,
        lost: t.lost,
        duplicated: t.duplicated,
        stuck: t.stuck,
        contract: `every hostile request gets its own 4xx (415 for a body that is not JSON, 413 past 1 MB, 400 for a bad escape or broken JSON, 401 for a bad signature), starts no run, and the legitimate event and webhook sent alongside run once each. Runs started by the hostile requests: ${startedByAttacks}.`,
        problems,
        notes: `(Answers: ${seen.join('; ')}.)`,
      });
      assert.deepEqual(problems, []);
    } finally {
      await cluster.close();
    }
  });
});
