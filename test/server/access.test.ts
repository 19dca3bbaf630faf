// Who may do what, on a real `nightshift serve` on loopback (docs/security-access.md): every door but
// /healthz and /readyz wants a token; a missing, forged, revoked or expired token is a 401, a token without
// the scope a 403, a person not allowed for the role a 403, each with `{error: {code, message}}` and nothing
// changed in the store; the decision door takes a person's decide token; no token reaches the logs.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { issueToken } from '../../src/auth/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

interface Refusal {
  error: { code: string; message: string };
}

describe('serve: who may do what', () => {
  const r = role({
    name: 'refund-desk',
    autonomy: 'full',
    turns: [
      { escalate: { category: 'money', reason: 'refund of 250 asked' } },
      { final: { summary: 'done' } },
    ],
    extra: { triggers: [{ event: 'refund.asked' }] },
  });
  let served: Served;
  const cli = (args: string[]) => runCli([...args, '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
  const secrets: string[] = [];
  /** A token made through the CLI, remembered so the log check can look for it. */
  async function token(
    as: string,
    scopes: string,
    extra: string[] = [],
  ): Promise<{ id: string; token: string }> {
    const res = await cli(['token', 'create', '--as', as, '--scope', scopes, ...extra]);
    assert.equal(res.code, 0, res.stderr);
    const t = json<{ id: string; token: string }>(res);
    secrets.push(t.token);
    return t;
  }
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const runCount = async () => json<unknown[]>(await cli(['runs', '--limit', '5000'])).length;
  const post = (path: string, headers: Record<string, string>, body = '{}') =>
    fetch(`${served.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  async function refused(res: Response, status: number, code: string): Promise<string> {
    assert.equal(res.status, status, await res.clone().text());
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = (await res.json()) as Refusal;
    assert.equal(body.error.code, code);
    assert.ok(body.error.message.length > 0);
    return body.error.message;
  }
  let escalationId: string;
  let runId: string;
  let alice: { id: string; token: string };
  let aliceRead: { id: string; token: string };
  let mallory: { id: string; token: string };

  before(async () => {
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({
        people: [
          { name: 'alice', decides: ['refund-*'] },
          { name: 'mallory', decides: ['ops'] },
        ],
      }),
    );
    served = await startServe([r.file, '--port', '0', '--data-dir', r.dataDir, '--poll-ms', '20'], {
      cwd: r.dir,
    });
    secrets.push(served.token);
    const paused = json<{ runId: string; escalations: { id: string }[] }>(await cli(['run', r.file]));
    escalationId = paused.escalations[0]!.id;
    runId = paused.runId;
    alice = await token('alice', 'decide,runs:read');
    aliceRead = await token('alice', 'runs:read');
    mallory = await token('mallory', 'decide');
  });
  after(() => {
    served?.child.kill('SIGKILL');
  });

  it('answers /healthz and /readyz without a token, and nothing else', async () => {
    assert.equal((await fetch(`${served.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${served.url}/readyz`)).status, 200);
    await refused(await fetch(`${served.url}/metrics`), 401, 'AUTH_REQUIRED');
  });

  it('refuses an event without a token with a 401 that says what to do, queuing nothing', async () => {
    const before = await runCount();
    const res = await post('/events/refund.asked', {});
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="nightshift"');
    const message = await refused(res, 401, 'AUTH_REQUIRED');
    assert.match(message, /Authorization: Bearer/);
    assert.match(message, /nightshift token create --as NAME --scope events:send/);
    assert.equal(await runCount(), before);
  });

  it('refuses forged, malformed, revoked and expired tokens with 401, queuing nothing', async () => {
    const before = await runCount();
    const revoked = await token('events-bot', 'events:send', ['--service']);
    assert.equal((await cli(['token', 'revoke', revoked.id])).code, 0);
    // An expired token: issued through the same code, by a clock two hours back, for one hour.
    const store = openSqliteStore({ dataDir: r.dataDir });
    await store.init();
    const past = Date.now() - 7_200_000;
    const expired = await issueToken(
      store,
      undefined,
      { kind: 'service', name: 'old-bot', scopes: ['events:send'], expiresAt: past + 3_600_000 },
      { now: () => past },
    );
    await store.close();
    secrets.push(expired.secret);
    const cases: [string, Record<string, string>, RegExp][] = [
      ['forged', bearer(`nst_${'A'.repeat(43)}`), /not known/],
      ['not a token', bearer('hunter2'), /not known/],
      ['not Bearer', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, /Bearer <token>/],
      ['revoked', bearer(revoked.token), /revoked/],
      ['expired', bearer(expired.secret), /expired/],
    ];
    for (const [what, headers, why] of cases) {
      const message = await refused(await post('/events/refund.asked', headers), 401, 'AUTH_REQUIRED');
      assert.match(message, why, what);
      assert.ok(
        !message.includes('hunter2') && !message.includes(revoked.token),
        'the refusal repeats no secret',
      );
    }
    assert.equal(await runCount(), before);
  });

  it('refuses a token without the scope with 403, queuing nothing; accepts one with it', async () => {
    const before = await runCount();
    const message = await refused(
      await post('/events/refund.asked', bearer(aliceRead.token)),
      403,
      'AUTH_FORBIDDEN',
    );
    assert.match(message, /events:send/);
    assert.equal(await runCount(), before);
    assert.equal((await post('/events/refund.asked', bearer(served.token))).status, 202);
    assert.equal(await runCount(), before + 1);
  });

  it('serves /metrics to a token with runs:read only', async () => {
    await refused(
      await fetch(`${served.url}/metrics`, { headers: bearer(mallory.token) }),
      403,
      'AUTH_FORBIDDEN',
    );
    const ok = await fetch(`${served.url}/metrics`, { headers: bearer(aliceRead.token) });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /nightshift_/);
  });

  it('takes a decision with a decide token only from a person allowed for the role; nothing changes otherwise', async () => {
    const path = `/decisions/escalation/${escalationId}`;
    const answer = JSON.stringify({ decision: 'answer', text: 'refund it' });
    await refused(await post(path, bearer(aliceRead.token), answer), 403, 'AUTH_FORBIDDEN');
    await refused(await post(path, bearer(served.token), answer), 403, 'AUTH_FORBIDDEN');
    await refused(await post(path, bearer(mallory.token), answer), 403, 'PERSON_NOT_ALLOWED');
    // Refused before the body is read: what the body holds does not matter to someone not allowed.
    await refused(await post(path, bearer(mallory.token), '{"decision": '), 403, 'PERSON_NOT_ALLOWED');
    const asOther = JSON.stringify({ decision: 'answer', person: 'mallory', text: 'refund it' });
    await refused(await post(path, bearer(alice.token), asOther), 403, 'AUTH_FORBIDDEN');
    await refused(await post(path, bearer(`nst_${'B'.repeat(43)}`), answer), 401, 'AUTH_REQUIRED');
    assert.equal(json<{ status: string }>(await cli(['show', runId])).status, 'escalated');
    const inbox = json<{ escalations: { id: string }[] }>(await cli(['inbox']));
    assert.ok(
      inbox.escalations.some((e) => e.id === escalationId),
      'still waiting',
    );

    const ok = await post(path, bearer(alice.token), answer);
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(((await ok.json()) as { by: string }).by, 'alice');
  });

  it('never writes a token to its logs', async () => {
    const log = served.stdout();
    assert.ok(log.includes('event accepted'), 'the log was captured');
    for (const s of secrets) assert.ok(!log.includes(s.slice(4)), 'a token secret is in the log');
    assert.doesNotMatch(log, /nst_[A-Za-z0-9_-]{20}/);
  });
});
