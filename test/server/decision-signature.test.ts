// The answer-back signature (decision 047): v2 covers "<t>.<path>.<body>", so it checks on its own path
// only; v1 (the body only) is taken only when the setting allows it, and a header with both is judged by v2.
// The refusals through a real serve are in decisions-webhook.test.ts; the setting's way in is here.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { signDecision, verifyDecisionSignature } from '../../src/server/webhook-signature.js';
import { json, runCli, startCli, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'decisions-secret-unit-0123456789abcdef0123456789';
const body = Buffer.from(JSON.stringify({ decision: 'answer', person: 'alice', text: 'refund it' }));
const now = Date.now();
const t = Math.floor(now / 1000);
const v1 = `v1=${createHmac('sha256', SECRET).update(`${t}.`).update(body).digest('hex')}`;
const A = '/decisions/escalation/esc_a';
const B = '/decisions/escalation/esc_b';

describe('the decision answer signature', () => {
  it('checks v2 on the path it was made for, and on no other (kind or id)', () => {
    const header = signDecision(SECRET, t, A, body);
    const ok = verifyDecisionSignature(header, body, SECRET, now, A, false);
    assert.equal(ok.ok, true);
    assert.equal(ok.ok && ok.version, 'v2');
    for (const other of [B, '/decisions/approval/esc_a', `${A}x`]) {
      const r = verifyDecisionSignature(header, body, SECRET, now, other, false);
      assert.equal(r.ok, false, other);
      assert.equal(!r.ok && r.problem, 'mismatch');
    }
  });

  it('refuses v1 unless accepting it is set; a header with both is judged by v2', () => {
    const off = verifyDecisionSignature(`t=${t},${v1}`, body, SECRET, now, A, false);
    assert.equal(off.ok, false);
    assert.match(!off.ok ? off.reason : '', /must be signed v2.*NIGHTSHIFT_DECISIONS_ACCEPT_V1=1/);
    const on = verifyDecisionSignature(`t=${t},${v1}`, body, SECRET, now, A, true);
    assert.equal(on.ok && on.version, 'v1');
    // A good v1 does not rescue a v2 made for another path.
    const both = `${signDecision(SECRET, t, B, body)},${v1}`;
    assert.equal(verifyDecisionSignature(both, body, SECRET, now, A, true).ok, false);
    assert.equal(verifyDecisionSignature(both, body, SECRET, now, B, true).ok, true);
  });

  it('names the v1 beside an accepted v2, to be spent with it (no replay of the header less its v2)', () => {
    const both = verifyDecisionSignature(
      `${signDecision(SECRET, t, A, body)},${v1}`,
      body,
      SECRET,
      now,
      A,
      true,
    );
    assert.equal(both.ok && both.alsoSpends, v1.slice('v1='.length));
    // Spent under the name the v1 alone is remembered by.
    const alone = verifyDecisionSignature(`t=${t},${v1}`, body, SECRET, now, B, true);
    assert.equal(alone.ok && alone.signature, v1.slice('v1='.length));
    const v2only = verifyDecisionSignature(signDecision(SECRET, t, A, body), body, SECRET, now, A, true);
    assert.equal(v2only.ok && v2only.alsoSpends, undefined);
  });

  it('keeps the window and the secret: stale or wrong-secret v2 is refused', () => {
    const stale = signDecision(SECRET, t - 3600, A, body);
    const r = verifyDecisionSignature(stale, body, SECRET, now, A, false);
    assert.equal(!r.ok && r.problem, 'stale');
    const wrong = signDecision('another-secret', t, A, body);
    assert.equal(verifyDecisionSignature(wrong, body, SECRET, now, A, false).ok, false);
  });
});

const role = testRoles();

/** A desk that escalates, alice who may answer, and serve over it with `env`; the caller kills it. */
async function servedDesk(env: Record<string, string>) {
  const r = role({
    name: 'refund-desk',
    autonomy: 'full',
    turns: [
      { escalate: { category: 'money', reason: 'refund of 250 asked' } },
      { final: { summary: 'done' } },
    ],
  });
  writeFileSync(
    join(r.dir, 'nightshift.config.yaml'),
    stringify({ people: [{ name: 'alice', decides: ['refund-*'] }] }),
  );
  const cli = (args: string[]) => runCli([...args, '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
  const served = await startServe([r.file, '--port', '0', '--data-dir', r.dataDir, '--poll-ms', '20'], {
    cwd: r.dir,
    env,
  });
  return { r, cli, served };
}

describe('NIGHTSHIFT_DECISIONS_ACCEPT_V1=1 on serve', () => {
  it('takes a v1-signed answer, and says in the log that it was v1', async () => {
    const { r, cli, served } = await servedDesk({
      NIGHTSHIFT_DECISIONS_SECRET: SECRET,
      NIGHTSHIFT_DECISIONS_ACCEPT_V1: '1',
    });
    try {
      const paused = json<{ escalations: { id: string }[] }>(await cli(['run', r.file]));
      const id = paused.escalations[0]!.id;
      const answer = JSON.stringify({ decision: 'answer', person: 'alice', text: 'refund it' });
      const ts = Math.floor(Date.now() / 1000);
      const sig = `t=${ts},v1=${createHmac('sha256', SECRET).update(`${ts}.${answer}`).digest('hex')}`;
      const res = await fetch(`${served.url}/decisions/escalation/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-nightshift-signature': sig },
        body: answer,
      });
      assert.equal(res.status, 200, await res.clone().text());
      // The answer can arrive before serve's log line comes through its stdout pipe: wait for the line.
      await waitFor(
        async () => (/decision signed v1 \(body only/.test(served.stdout()) ? true : undefined),
        "serve's warning about the v1 signature",
      );
    } finally {
      served.child.kill('SIGKILL');
    }
  });

  it('spends the v1 beside an accepted v2: the header less its v2 is refused at another matter', async () => {
    const { r, cli, served } = await servedDesk({
      NIGHTSHIFT_DECISIONS_SECRET: SECRET,
      NIGHTSHIFT_DECISIONS_ACCEPT_V1: '1',
    });
    try {
      const first = json<{ escalations: { id: string }[] }>(await cli(['run', r.file])).escalations[0]!.id;
      const second = json<{ escalations: { id: string }[] }>(await cli(['run', r.file])).escalations[0]!.id;
      assert.notEqual(first, second);
      const answer = Buffer.from(JSON.stringify({ decision: 'answer', person: 'alice', text: 'refund it' }));
      const ts = Math.floor(Date.now() / 1000);
      const v1Part = `v1=${createHmac('sha256', SECRET).update(`${ts}.`).update(answer).digest('hex')}`;
      const post = (id: string, sig: string) =>
        fetch(`${served.url}/decisions/escalation/${id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-nightshift-signature': sig },
          body: answer,
        });
      const both = `${signDecision(SECRET, ts, `/decisions/escalation/${encodeURIComponent(first)}`, answer)},${v1Part}`;
      const ok = await post(first, both);
      assert.equal(ok.status, 200, await ok.clone().text());
      const replay = await post(second, `t=${ts},${v1Part}`);
      assert.equal(replay.status, 401, await replay.clone().text());
      assert.match(await replay.text(), /already used/);
    } finally {
      served.child.kill('SIGKILL');
    }
  });
});

describe('NIGHTSHIFT_DECISIONS_ACCEPT_V1=1 and a refused body', () => {
  it('spends the v1 beside a v2 even when the body is refused (400): it cannot approve another matter', async () => {
    const r = role({
      name: 'refund-desk',
      autonomy: 'draft',
      tools: ['ledger.append_once'],
      turns: [{ call: 'ledger.append_once', args: { entry: 'refund 250' } }, { final: { summary: 'done' } }],
    });
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({ people: [{ name: 'alice', decides: ['refund-*'] }] }),
    );
    const served = await startServe([r.file, '--port', '0', '--data-dir', r.dataDir, '--poll-ms', '20'], {
      cwd: r.dir,
      env: { NIGHTSHIFT_DECISIONS_SECRET: SECRET, NIGHTSHIFT_DECISIONS_ACCEPT_V1: '1' },
    });
    try {
      const paused = json<{ pending: string[] }>(
        await runCli(['run', r.file, '--data-dir', r.dataDir, '--json'], { cwd: r.dir }),
      );
      const approvalId = paused.pending[0]!;
      // A sender that signs an approve for an escalation's path: refused there for its kind (400).
      const approve = Buffer.from(JSON.stringify({ decision: 'approve', person: 'alice' }));
      const ts = Math.floor(Date.now() / 1000);
      const v1Part = `v1=${createHmac('sha256', SECRET).update(`${ts}.`).update(approve).digest('hex')}`;
      const post = (path: string, sig: string) =>
        fetch(`${served.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-nightshift-signature': sig },
          body: approve,
        });
      const wrongPath = '/decisions/escalation/esc_elsewhere';
      const refused = await post(wrongPath, `${signDecision(SECRET, ts, wrongPath, approve)},${v1Part}`);
      assert.equal(refused.status, 400, await refused.clone().text());
      // The same header less its v2, at the approval: its v1 covers the body only.
      const replay = await post(`/decisions/approval/${encodeURIComponent(approvalId)}`, `t=${ts},${v1Part}`);
      assert.equal(replay.status, 401, await replay.clone().text());
      assert.match(await replay.text(), /already used/);
    } finally {
      served.child.kill('SIGKILL');
    }
  });
});

describe('NIGHTSHIFT_DECISIONS_SECRET shorter than 32 characters', () => {
  it('stops serve at start (exit 2, CONFIG_INVALID, its length said, never its value), making no store', async () => {
    const r = role({ name: 'refund-desk', autonomy: 'full', turns: [{ final: { summary: 'done' } }] });
    const short = 'only-31-characters-long-secret!';
    assert.equal(short.length, 31);
    // Killed if it has not exited in 30 s: a serve that started with the short secret would never exit.
    const started = startCli(['serve', r.file, '--port', '0', '--data-dir', r.dataDir], {
      cwd: r.dir,
      env: { NIGHTSHIFT_DECISIONS_SECRET: short },
    });
    const deadline = setTimeout(() => started.child.kill('SIGKILL'), 30_000);
    const res = await started.done;
    clearTimeout(deadline);
    assert.equal(res.code, 2, res.stderr);
    assert.match(
      res.stderr,
      /CONFIG_INVALID.*NIGHTSHIFT_DECISIONS_SECRET is 31 characters long; it must be at least 32/,
    );
    assert.ok(!`${res.stdout}${res.stderr}`.includes(short), 'the secret is never printed');
    assert.equal(existsSync(r.dataDir), false);
    // And nightshift notify, which signs with it too.
    const notify = await runCli(['notify', '--once', '--data-dir', r.dataDir], {
      cwd: r.dir,
      env: { NIGHTSHIFT_DECISIONS_SECRET: short },
    });
    assert.equal(notify.code, 2, notify.stderr);
    assert.match(notify.stderr, /CONFIG_INVALID.*NIGHTSHIFT_DECISIONS_SECRET is 31 characters/);
    // 32 is enough.
    const { served } = await servedDesk({ NIGHTSHIFT_DECISIONS_SECRET: `${short}x` });
    served.child.kill('SIGKILL');
  });
});
