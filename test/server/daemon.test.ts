// `nightshift serve` as a real process: events and signed webhooks become runs (recorded before the 202),
// a burst runs exactly once each, forged and replayed webhooks are refused, a SIGKILLed daemon's run is
// taken over by the next one without repeating its side effect, and SIGTERM shuts down cleanly.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { authFor, json, runCli, startServe } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { postRetrying, waitForCount, waitFor as waitUntil } from '../support/wait.js';

/** These waits poll through the CLI (a process per look): a longer limit than the default. */
const waitFor = <T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 30_000) =>
  waitUntil(fn, what, timeoutMs);

const SECRET = 'whsec-daemon-test-0001';

function sign(body: string, t = Math.floor(Date.now() / 1000), secret = SECRET): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

async function serve(
  r: TestRole,
  extra: string[] = [],
): Promise<{
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: string | null }>;
}> {
  const { child, url, done } = await startServe(
    [r.dir, '--port', '0', '--data-dir', r.dataDir, '--poll-ms', '20', ...extra],
    { env: { HOOK_SECRET: SECRET } },
  );
  return { child, url, exited: done.then((d) => ({ code: d.code, signal: d.signal })) };
}

function triggeredRole(turns: unknown[]): TestRole {
  return writeTestRole({
    name: 'ticket-bot',
    autonomy: 'full',
    tools: ['ledger.append_once'],
    turns,
    extra: {
      secrets: ['HOOK_SECRET'],
      triggers: [{ event: 'ticket.created' }, { webhook: { path: 'zendesk', secret: 'HOOK_SECRET' } }],
      input: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
    },
  });
}

describe('nightshift serve', () => {
  const r = triggeredRole([
    { call: 'ledger.append_once', args: { entry: 'handled' } },
    { final: { summary: 'done' } },
  ]);
  let d: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    d = await serve(r);
  });
  after(async () => {
    d.child.kill('SIGKILL');
    r.cleanup();
  });

  it('answers /healthz and /readyz', async () => {
    assert.equal((await fetch(`${d.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${d.url}/readyz`)).status, 200);
  });

  it('runs a role for an event emitted from the CLI', async () => {
    const res = await runCli(['emit', 'ticket.created', '{"id":"T-9"}', '--url', d.url, '--json'], {
      env: { NIGHTSHIFT_TOKEN: authFor(d.url).authorization!.slice('Bearer '.length) },
    });
    assert.equal(res.code, 0, res.stderr);
    const { runs } = json<{ runs: { role: string; runId: string }[] }>(res);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.role, 'ticket-bot');
    const done = await waitFor(async () => {
      const s = json<{ status: string }>(
        await runCli(['show', runs[0]!.runId, '--json', '--data-dir', r.dataDir]),
      );
      return s.status === 'succeeded' ? s : undefined;
    }, 'the run to finish');
    assert.equal(done.status, 'succeeded');
  });

  it('refuses an event whose input does not match the role input schema, starting nothing', async () => {
    const before = json<unknown[]>(
      await runCli(['runs', '--json', '--limit', '5000', '--data-dir', r.dataDir]),
    ).length;
    const res = await fetch(`${d.url}/events/ticket.created`, {
      method: 'POST',
      body: '{"nope":1}',
      headers: { ...authFor(d.url), 'content-type': 'application/json' },
    });
    assert.equal(res.status, 400);
    assert.match(
      ((await res.json()) as { error: { message: string } }).error.message,
      /does not match its input schema/,
    );
    assert.equal(
      json<unknown[]>(await runCli(['runs', '--json', '--limit', '5000', '--data-dir', r.dataDir])).length,
      before,
    );
  });

  it('runs every event of a burst of 1,000 exactly once', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `B-${i}`);
    // All at once; one refused at the socket by a flooded machine is resent with its key, as a producer would.
    const answers = await Promise.all(
      ids.map((id) =>
        postRetrying(`${d.url}/events/ticket.created`, {
          headers: { 'content-type': 'application/json', 'idempotency-key': id },
          body: JSON.stringify({ id }),
        }),
      ),
    );
    assert.ok(answers.every((s) => s === 202));
    // A redelivered event (same key) starts no second run.
    await fetch(`${d.url}/events/ticket.created`, {
      method: 'POST',
      headers: { ...authFor(d.url), 'content-type': 'application/json', 'idempotency-key': 'B-7' },
      body: JSON.stringify({ id: 'B-7' }),
    });
    await waitForCount(
      async () =>
        json<{ status: string }[]>(
          await runCli(['runs', '--json', '--limit', '5000', '--data-dir', r.dataDir]),
        ).filter((x) => x.status === 'succeeded').length,
      1001,
      'the burst to finish',
    );
    const runs = json<{ status: string }[]>(
      await runCli(['runs', '--json', '--limit', '5000', '--data-dir', r.dataDir]),
    );
    assert.equal(runs.length, 1001);
    assert.ok(runs.every((x) => x.status === 'succeeded'));
    // Each run's tool call happened once (one ledger line per run, keys all distinct).
    const keys = r.ledger().map((l) => l.split('#')[1]);
    assert.equal(keys.length, 1001);
    assert.equal(new Set(keys).size, 1001);
  });

  it('accepts a signed webhook; refuses forged, stale and replayed ones; a redelivery starts no second run', async () => {
    const body = JSON.stringify({ id: 'Z-1' });
    const post = (sig: string, delivery = 'dlv-1', payload = body) =>
      fetch(`${d.url}/hooks/zendesk`, {
        method: 'POST',
        body: payload,
        headers: { 'x-nightshift-signature': sig, 'x-nightshift-delivery': delivery },
      });
    const good = sign(body);
    const first = await post(good);
    assert.equal(first.status, 202);
    const { runId } = (await first.json()) as { runId: string };
    const count = () =>
      runCli(['runs', '--json', '--limit', '5000', '--data-dir', r.dataDir]).then(
        (x) => json<unknown[]>(x).length,
      );
    const n = await count();
    // The run keeps its trigger, with the scheme and the delivery id, as for the senders' schemes.
    const shown = json<{ steps: { kind: string; data: { trigger?: unknown } }[] }>(
      await runCli(['show', runId, '--json', '--data-dir', r.dataDir]),
    );
    assert.deepEqual(shown.steps.find((s) => s.kind === 'run_started')?.data.trigger, {
      kind: 'webhook',
      path: 'zendesk',
      scheme: 'nightshift',
      deliveryId: 'dlv-1',
    });
    assert.equal((await post(good)).status, 401, 'a replayed signature');
    assert.equal(
      (await post(sign(body, undefined, 'wrong-secret'), 'dlv-2')).status,
      401,
      'a forged signature',
    );
    assert.equal(
      (await post(sign(body, Math.floor(Date.now() / 1000) - 3600), 'dlv-3')).status,
      401,
      'a stale signature',
    );
    assert.equal(
      (
        await post(
          good.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
          'dlv-4',
        )
      ).status,
      401,
      'a tampered signature',
    );
    assert.equal(
      (await post(sign(JSON.stringify({ id: 'Z-2' })), 'dlv-5', JSON.stringify({ id: 'Z-666' }))).status,
      401,
      'a body that is not the signed one',
    );
    assert.equal(await count(), n, 'a refused webhook started a run');
    // A fresh signature of the same delivery (another timestamp, as a sender's retry makes), not a replay.
    const firstAt = Number(/t=(\d+)/.exec(good)![1]);
    const again = await post(sign(body, firstAt - 1), 'dlv-1');
    assert.equal(again.status, 202);
    assert.equal(((await again.json()) as { runId: string }).runId, runId);
    assert.equal(await count(), n);
    assert.equal((await fetch(`${d.url}/hooks/unknown`, { method: 'POST', body: '{}' })).status, 404);
  });

  it('refuses an Idempotency-Key over 200 characters, or with a space or control character: 400, nothing recorded', async () => {
    const count = async () =>
      json<unknown[]>(await runCli(['runs', '--json', '--limit', '5000', '--data-dir', r.dataDir])).length;
    const before = await count();
    for (const key of ['k'.repeat(6000), 'k'.repeat(201), 'two words', '']) {
      const res = await fetch(`${d.url}/events/ticket.created`, {
        method: 'POST',
        headers: { ...authFor(d.url), 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ id: 'T-key' }),
      });
      assert.equal(res.status, 400, `key of ${key.length}`);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'BAD_REQUEST');
      assert.match(error.message, /Idempotency-Key header .*1 to 200 visible ASCII characters/);
    }
    // The longest key allowed is taken, and the emit CLI refuses a longer one before sending anything.
    const ok = await fetch(`${d.url}/events/ticket.created`, {
      method: 'POST',
      headers: { ...authFor(d.url), 'content-type': 'application/json', 'idempotency-key': 'k'.repeat(200) },
      body: JSON.stringify({ id: 'T-key' }),
    });
    assert.equal(ok.status, 202);
    const cli = await runCli(
      ['emit', 'ticket.created', '{"id":"T-key2"}', '--url', d.url, '--idempotency-key', 'k'.repeat(201)],
      {
        env: { NIGHTSHIFT_TOKEN: authFor(d.url).authorization!.slice('Bearer '.length) },
      },
    );
    assert.equal(cli.code, 2, cli.stderr);
    assert.match(cli.stderr, /USAGE.*--idempotency-key is 201 characters long/);
    assert.equal(await count(), before + 1);
  });
});

describe('worker crash and takeover', () => {
  it('a daemon killed mid-run: the next daemon takes the run over and its side effect happens once', async () => {
    const r = triggeredRole([
      { call: 'ledger.append_once', args: { entry: 'once', hold: 'h1' } },
      { final: { summary: 'done' } },
    ]);
    try {
      const first = await serve(r, ['--lease-ms', '1500']);
      const res = await fetch(`${first.url}/events/ticket.created`, {
        method: 'POST',
        headers: { ...authFor(first.url), 'content-type': 'application/json' },
        body: '{"id":"K-1"}',
      });
      const { runs } = (await res.json()) as { runs: { runId: string }[] };
      await waitFor(
        async () => (existsSync(join(r.workspace, 'reached-h1')) ? true : undefined),
        'the tool to start',
      );
      first.child.kill('SIGKILL');
      await first.exited;
      writeFileSync(join(r.workspace, 'release-h1'), '');
      const second = await serve(r, ['--lease-ms', '1500']);
      try {
        const done = await waitFor(async () => {
          const s = json<{ status: string }>(
            await runCli(['show', runs[0]!.runId, '--json', '--data-dir', r.dataDir]),
          );
          return s.status === 'succeeded' ? s : undefined;
        }, 'the takeover to finish the run');
        assert.equal(done.status, 'succeeded');
        assert.equal(r.ledger().length, 1);
      } finally {
        second.child.kill('SIGTERM');
        const exit = await second.exited;
        assert.equal(exit.code, 0, 'SIGTERM should end serve cleanly');
      }
    } finally {
      r.cleanup();
    }
  });
});
