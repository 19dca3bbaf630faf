// The webhook channel end to end: a real `nightshift serve` on loopback sends a paused run's notification
// to a real local receiver (signed), and takes the decision back at POST /decisions/<kind>/<id>: unsigned,
// forged or replayed requests are refused, a person not allowed for the role is refused with nothing
// changed, and an allowed one's answer continues the run.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { signDecision } from '../../src/server/webhook-signature.js';
import { authFor, json, runCli, type Served, startServe } from '../support/cli.js';
import { type Receiver, startReceiver } from '../support/decision-receiver.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'decisions-secret-serve-test-0123456789abcdef0123456789';
const role = testRoles();

function signed(path: string, body: string, secret = SECRET, t = Math.floor(Date.now() / 1000)) {
  return {
    'content-type': 'application/json',
    'x-nightshift-signature': signDecision(secret, t, path, body),
  };
}

describe('decisions over the webhook channel, through serve', () => {
  const r = role({
    name: 'refund-desk',
    autonomy: 'full',
    turns: [
      { escalate: { category: 'money', reason: 'refund of 250 asked' } },
      { final: { summary: 'done' } },
    ],
    extra: { escalate: { tiers: [{ to: ['alice'], via: ['webhook'] }] } },
  });
  let rx: Receiver;
  let served: Served;
  let escalationId: string;
  let runId: string;
  const cli = (args: string[]) => runCli([...args, '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
  const path = (id = escalationId) => `/decisions/escalation/${id}`;
  const post = (body: string, headers: Record<string, string>, id = escalationId) =>
    fetch(`${served.url}${path(id)}`, { method: 'POST', headers, body });

  before(async () => {
    rx = await startReceiver(SECRET, false);
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({
        people: [
          { name: 'alice', webhook: rx.url, decides: ['refund-*'] },
          { name: 'mallory', webhook: rx.url, decides: ['ops'] },
        ],
      }),
    );
    served = await startServe([r.file, '--port', '0', '--data-dir', r.dataDir, '--poll-ms', '20'], {
      cwd: r.dir,
      env: { NIGHTSHIFT_DECISIONS_SECRET: SECRET, NIGHTSHIFT_NOTIFY_MS: '50' },
    });
    const paused = json<{ runId: string; escalations: { id: string }[] }>(await cli(['run', r.file]));
    escalationId = paused.escalations[0]!.id;
    runId = paused.runId;
  });
  after(async () => {
    served.child.kill('SIGKILL');
    await rx.close();
  });

  it('sends the paused run’s notification, signed, to the person’s webhook', async () => {
    const d = await waitFor(async () => rx.deliveries[0], 'the webhook delivery');
    assert.ok(d.signatureOk);
    assert.deepEqual(d.body.people, ['alice']);
    assert.equal((d.body.decision as { id: string }).id, escalationId);
    const pending = await waitFor(async () => {
      const out = json<{ pending: number }>(await cli(['notify', '--once']));
      return out.pending === 0 ? out : undefined;
    }, 'the outbox to empty');
    assert.equal(pending.pending, 0);
    // /metrics: the outbox depth (read from the store) and what this daemon sent.
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`${served.url}/metrics`, { headers: authFor(served.url) })).text();
      return /nightshift_notification_outbox_depth 0/.test(text) ? text : undefined;
    }, 'the outbox gauge at 0');
    assert.match(metrics, /nightshift_notifications_total\{channel="webhook",outcome="sent"\} 1/);
  });

  it('refuses unsigned, forged and stale answers', async () => {
    const body = JSON.stringify({ decision: 'answer', person: 'alice', text: 'refund it' });
    assert.equal((await post(body, { 'content-type': 'application/json' })).status, 401);
    assert.equal((await post(body, signed(path(), body, 'wrong-secret'))).status, 401);
    assert.equal(
      (await post(body, signed(path(), body, SECRET, Math.floor(Date.now() / 1000) - 3600))).status,
      401,
    );
    assert.equal(json<{ status: string }>(await cli(['show', runId])).status, 'escalated');
  });

  it('binds the signature to the matter: an answer signed for one escalation is refused on another, and v1 is refused', async () => {
    // A second escalation alice may decide, from a second run of the same role.
    const other = json<{ runId: string; escalations: { id: string }[] }>(await cli(['run', r.file]));
    const otherId = other.escalations[0]!.id;
    const d = await waitFor(
      async () => rx.deliveries.find((x) => (x.body.decision as { id: string }).id === otherId),
      'the second escalation’s delivery',
    );
    // The notification says where to answer; the v2 signature covers that path.
    assert.equal(d.body.answerPath, path(otherId));
    const body = JSON.stringify({ decision: 'answer', person: 'alice', text: 'refund it' });
    // Captured: alice's answer to the second escalation signed v1 (the body only, which names no matter),
    // replayed to the first one. It was decided there (200) before the signature covered the path.
    const t = Math.floor(Date.now() / 1000);
    const v1 = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;
    const old = await post(body, { 'content-type': 'application/json', 'x-nightshift-signature': v1 });
    assert.equal(old.status, 401, await old.clone().text());
    assert.match(((await old.json()) as { error: { message: string } }).error.message, /must be signed v2/);
    // The same captured answer signed v2 (over its own path) does not check on another path.
    const captured = signed(path(otherId), body);
    const replayed = await post(body, captured);
    assert.equal(replayed.status, 401, await replayed.clone().text());
    assert.match(
      ((await replayed.json()) as { error: { message: string } }).error.message,
      /v2 does not match/,
    );
    assert.equal(json<{ status: string }>(await cli(['show', runId])).status, 'escalated');
    // The captured answer still works where it was meant to go, once.
    const own = await post(body, captured, otherId);
    assert.equal(own.status, 200, await own.clone().text());
    assert.equal((await post(body, captured, otherId)).status, 401, 'replay');
  });

  it('refuses a person not allowed for the role, with nothing changed', async () => {
    for (const person of ['mallory', 'stranger']) {
      const body = JSON.stringify({ decision: 'answer', person, text: 'refund it' });
      const res = await post(body, signed(path(), body));
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'PERSON_NOT_ALLOWED');
    }
    const show = json<{ status: string }>(await cli(['show', runId]));
    assert.equal(show.status, 'escalated');
    const inbox = json<{ escalations: { id: string }[] }>(await cli(['inbox']));
    assert.ok(inbox.escalations.some((e) => e.id === escalationId));
  });

  it('refuses a body that does not fit (400), an answer without text (400) and a matter not found (404), nothing changed', async () => {
    // docs/escalation-people.md, "Answering back": each refusal changes nothing; the run stays paused.
    const refused = async (body: string, id = escalationId) => {
      const res = await post(body, signed(path(id), body), id);
      return { status: res.status, error: ((await res.json()) as { error: { message: string } }).error };
    };
    const unknownKey = await refused(
      JSON.stringify({ decision: 'answer', person: 'alice', text: 'x', by: 'x' }),
    );
    assert.equal(unknownKey.status, 400, unknownKey.error.message);
    const notADecision = await refused(JSON.stringify({ decision: 'allow', person: 'alice', text: 'x' }));
    assert.equal(notADecision.status, 400, notADecision.error.message);
    const notJson = await refused('{"decision":');
    assert.equal(notJson.status, 400, notJson.error.message);
    // `text` is required for an answer.
    const noText = await refused(JSON.stringify({ decision: 'answer', person: 'alice' }));
    assert.equal(noText.status, 400, noText.error.message);
    const blank = await refused(JSON.stringify({ decision: 'answer', person: 'alice', text: '  ' }));
    assert.equal(blank.status, 400, blank.error.message);
    // An escalation is answered, never approved.
    const wrongKind = await refused(JSON.stringify({ decision: 'approve', person: 'alice', text: 'ok' }));
    assert.equal(wrongKind.status, 400, wrongKind.error.message);
    const missing = await refused(
      JSON.stringify({ decision: 'answer', person: 'alice', text: 'refund it' }),
      'esc_00000000000000000000000000',
    );
    assert.equal(missing.status, 404, missing.error.message);
    // Said in this door's words: where the pending matters are listed over HTTP, not the CLI's command.
    assert.match(missing.error.message, /^no escalation "esc_0+" \(see GET \/api\/v1\/inbox\)$/);
    for (const e of [unknownKey, notADecision, notJson, noText, blank, wrongKind])
      assert.doesNotMatch(e.error.message, /nightshift |--[a-z]/, e.error.message);
    assert.equal(json<{ status: string }>(await cli(['show', runId])).status, 'escalated');
    const inbox = json<{ escalations: { id: string }[] }>(await cli(['inbox']));
    assert.ok(inbox.escalations.some((e) => e.id === escalationId));
  });

  it('leaves a refused answer’s signature unspent: the same request again is refused for its body, not as a replay', async () => {
    for (const body of [
      JSON.stringify({ decision: 'answer', person: 'alice', text: ' ' }),
      JSON.stringify({ decision: 'answer', person: 'system', text: 'refund it' }),
      JSON.stringify({ decision: 'approve', person: 'alice' }),
    ]) {
      const headers = signed(path(), body);
      for (const attempt of ['first', 'second']) {
        const res = await post(body, headers);
        assert.equal(res.status, 400, `${attempt} ${body}: ${await res.clone().text()}`);
      }
    }
    assert.equal(json<{ status: string }>(await cli(['show', runId])).status, 'escalated');
  });

  it('applies an allowed person’s answer once; the same request replayed is refused', async () => {
    const body = JSON.stringify({ decision: 'answer', person: 'alice', text: 'refund it' });
    const headers = signed(path(), body);
    // Two identical answers at once: the signature is spent by one insert, so exactly one is taken.
    const both = await Promise.all([post(body, headers), post(body, headers)]);
    const statuses = both.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 401], await Promise.all(both.map((r) => r.clone().text())).then(String));
    const res = both.find((r) => r.status === 200)!;
    const out = (await res.json()) as { by: string; run: { status: string } };
    assert.equal(out.by, 'alice');
    // The answer hands the run to serve's workers (decision 027); they finish it.
    assert.equal(out.run.status, 'queued');
    await waitFor(
      async () =>
        json<{ status: string }>(await cli(['show', runId])).status === 'succeeded' ? true : undefined,
      'the run to be finished by the workers',
    );
    assert.equal((await post(body, headers)).status, 401, 'replay');
    const again = JSON.stringify({ decision: 'answer', person: 'alice', text: 'twice' });
    assert.equal((await post(again, signed(path(), again))).status, 409, 'already answered');
  });
});

describe('allowing a held call over the webhook channel', () => {
  // docs/escalation.md, "Not yet": allowing a held call stays with the CLI and the webhook answer-back.
  it('runs the held call once when the signed answer says allowCall', async () => {
    const r = role({
      name: 'refund-desk',
      autonomy: 'full',
      tools: ['ledger.append'],
      escalation: [
        {
          category: 'money',
          reason: 'refunds over 100',
          when: { tool: 'ledger.append', arg: 'amount', gt: 100 },
        },
      ],
      turns: [
        { call: 'ledger.append', args: { entry: 'refund 250', amount: 250 } },
        { final: { summary: 'done' } },
      ],
    });
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({ people: [{ name: 'alice', decides: ['refund-*'] }] }),
    );
    const served = await startServe([r.file, '--port', '0', '--data-dir', r.dataDir, '--poll-ms', '20'], {
      cwd: r.dir,
      env: { NIGHTSHIFT_DECISIONS_SECRET: SECRET },
    });
    try {
      const cli = (args: string[]) => runCli([...args, '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
      const paused = json<{ runId: string; escalations: { id: string }[] }>(await cli(['run', r.file]));
      assert.deepEqual(r.ledger(), []);
      const id = paused.escalations[0]!.id;
      const path = `/decisions/escalation/${id}`;
      const body = JSON.stringify({
        decision: 'answer',
        person: 'alice',
        text: 'refund it',
        allowCall: true,
      });
      const res = await fetch(`${served.url}${path}`, { method: 'POST', headers: signed(path, body), body });
      assert.equal(res.status, 200, await res.clone().text());
      await waitFor(
        async () =>
          json<{ status: string }>(await cli(['show', paused.runId])).status === 'succeeded'
            ? true
            : undefined,
        'the run to be finished by the workers',
      );
      assert.deepEqual(r.ledger(), ['refund 250'], 'the held call ran once');
    } finally {
      served.child.kill('SIGKILL');
    }
  });
});
