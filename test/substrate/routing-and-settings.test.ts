// Event routing and serve settings: a role's output becomes another role's event (exactly once even if
// the run is finished twice); `overlap: queue` runs a role's cron work one at a time; serve settings come
// from flags, then NIGHTSHIFT_* variables, then nightshift.config.yaml; `serve --workers 2` starts a
// second worker process that shares the queue and stops with the first.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { resolveServeSettings } from '../../src/config/serve-settings.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { authFor, createTestToken, startCli, startServe } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

describe('events from role output', () => {
  it("delivers a succeeded run's output to the roles listening for its emit event, once", async () => {
    const triage = writeTestRole({
      name: 'triage',
      autonomy: 'full',
      turns: [{ final: { id: 'T-7', urgent: true } }],
      extra: { emit: ['ticket.triaged'] },
    });
    const pager = writeTestRole({
      name: 'pager',
      autonomy: 'full',
      tools: ['ledger.append'],
      turns: [{ call: 'ledger.append', args: { entry: 'paged' } }, { final: { paged: true } }],
      extra: {
        triggers: [{ event: 'ticket.triaged' }],
        input: { type: 'object', required: ['id', 'urgent'] },
      },
    });
    const rt = await createRuntime({ dataDir: triage.dataDir });
    const abort = new AbortController();
    try {
      const roles = [await loadRoleFile(triage.file), await loadRoleFile(pager.file)];
      const handle = rt.work({ roles, concurrency: 2, pollMs: 20, signal: abort.signal });
      const first = await rt.enqueue(roles[0]!, { ticket: 'T-7' });
      handle.wake();
      const paged = await waitFor(async () => {
        const [run] = await rt.list({ role: 'pager', status: ['succeeded'] });
        return run;
      }, 'the pager run');
      assert.deepEqual(paged.input, { id: 'T-7', urgent: true });
      assert.equal(paged.idempotencyKey, `event:ticket.triaged:run:${first.runId}:pager`);
      // Delivering the same run's event again (a crash between emitting and committing) adds nothing.
      const again = await rt.emit(
        'ticket.triaged',
        { id: 'T-7', urgent: true },
        { idempotencyKey: `run:${first.runId}` },
      );
      assert.equal(again[0]!.runId, paged.id);
      abort.abort();
      await handle.done;
      assert.equal((await rt.list({ role: 'pager' })).length, 1);
    } finally {
      abort.abort();
      await rt.close();
      triage.cleanup();
      pager.cleanup();
    }
  });
});

describe('events from role output, to a listener that wants other input', () => {
  it('still succeeds, delivers to the listeners that accept it, and records the refusal in its last step', async () => {
    const triage = writeTestRole({
      name: 'triage',
      autonomy: 'full',
      turns: [{ final: { id: 'T-8' } }],
      extra: { emit: ['ticket.triaged'] },
    });
    const listener = (name: string, input: Record<string, unknown>) => {
      const r = writeTestRole({
        name,
        autonomy: 'full',
        tools: [],
        turns: [{ final: {} }],
        extra: { triggers: [{ event: 'ticket.triaged' }], input },
      });
      return r;
    };
    const strict = listener('strict', { type: 'object', required: ['id', 'urgent'] });
    const lenient = listener('lenient', { type: 'object', required: ['id'] });
    const rt = await createRuntime({ dataDir: triage.dataDir });
    const abort = new AbortController();
    try {
      const roles = await Promise.all([triage, strict, lenient].map((r) => loadRoleFile(r.file)));
      rt.work({ roles: roles.slice(1), concurrency: 1, pollMs: 20, signal: abort.signal });
      const done = await rt.run(triage.file, {});
      assert.equal(done.status, 'succeeded');
      const last = (await rt.get(done.runId))!.steps.at(-1)!;
      const emitted = last.data.emitted as { role: string; status: string; error?: string }[];
      const byRole = Object.fromEntries(emitted.map((e) => [e.role, e]));
      assert.equal(byRole.strict!.status, 'rejected');
      assert.match(byRole.strict!.error!, /urgent/);
      assert.equal(byRole.lenient!.status, 'queued');
      assert.equal((await rt.list({ role: 'strict' })).length, 0);
      // POSTed with the same payload, the event is refused as a whole: nothing is queued for anyone.
      await assert.rejects(rt.emit('ticket.triaged', { id: 'T-8' }), { code: 'INPUT_INVALID' });
      assert.equal((await rt.list({ role: 'lenient' })).length, 1);
    } finally {
      abort.abort();
      await rt.close();
      for (const r of [triage, strict, lenient]) r.cleanup();
    }
  });
});

describe('events across processes', () => {
  it('reaches roles that only another serve process runs: role output, and events POSTed elsewhere', async () => {
    // Two daemons share one SQLite file but serve different roles: A runs `triage` (which emits
    // ticket.triaged), B runs `pager` (which listens to it). A does not serve pager, yet its events for
    // pager are queued, and B runs them.
    const triage = writeTestRole({
      name: 'triage',
      autonomy: 'full',
      turns: [{ final: { id: 'T-9', urgent: true } }],
      extra: { emit: ['ticket.triaged'], triggers: [{ event: 'ticket.created' }] },
    });
    const pager = writeTestRole({
      name: 'pager',
      autonomy: 'full',
      tools: ['ledger.append_once'],
      turns: [{ call: 'ledger.append_once', args: { entry: 'paged' } }, { final: { paged: true } }],
      extra: {
        triggers: [{ event: 'ticket.triaged' }],
        input: { type: 'object', required: ['id', 'urgent'] },
      },
    });
    const dataDir = triage.dataDir;
    const serve = (file: string) =>
      startServe([file, '--port', '0', '--data-dir', dataDir, '--poll-ms', '50']);
    const b = await serve(pager.file);
    const a = await serve(triage.file);
    const rt = await createRuntime({ dataDir });
    try {
      const res = await fetch(`${a.url}/events/ticket.created`, {
        method: 'POST',
        headers: { ...authFor(a.url), 'content-type': 'application/json' },
        body: '{"ticket":"T-9"}',
      });
      assert.equal(res.status, 202);
      const paged = await waitFor(async () => {
        const [run] = await rt.list({ role: 'pager', status: ['succeeded'] });
        return run;
      }, 'the pager run');
      assert.deepEqual(paged.input, { id: 'T-9', urgent: true });
      const turn = (await rt.get(paged.id))!.steps.find((x) => x.kind === 'model_turn');
      assert.equal(String(turn!.data.worker).split('/')[1], String(b.child.pid), 'B ran it');

      // POSTed to A, which does not serve pager: recorded at once (a run id in the answer), run by B;
      // a redelivery with the same key records nothing new.
      const post = () =>
        fetch(`${a.url}/events/ticket.triaged`, {
          method: 'POST',
          headers: { ...authFor(a.url), 'content-type': 'application/json', 'idempotency-key': 'page-2' },
          body: '{"id":"T-10","urgent":false}',
        }).then(async (x) => ({
          status: x.status,
          body: (await x.json()) as { runs: { role: string; runId: string }[] },
        }));
      const first = await post();
      assert.equal(first.status, 202);
      const runId = first.body.runs.find((x) => x.role === 'pager')?.runId;
      assert.ok(runId, JSON.stringify(first.body));
      assert.equal((await post()).body.runs[0]!.runId, runId);
      await waitFor(
        async () => ((await rt.get(runId))?.run.status === 'succeeded' ? true : undefined),
        'run 2',
      );
      assert.equal((await rt.list({ role: 'pager' })).length, 2);
      assert.equal(pager.ledger().length, 2);
      // Input that breaks the role's input schema is refused where it is emitted, naming the role.
      const bad = await fetch(`${a.url}/events/ticket.triaged`, {
        method: 'POST',
        headers: { ...authFor(a.url), 'content-type': 'application/json' },
        body: '{"id":"T-11"}',
      });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /pager/);
    } finally {
      await rt.close();
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
      await Promise.all([a.done, b.done]);
      triage.cleanup();
      pager.cleanup();
    }
  });
});

describe('cron overlap: queue', () => {
  it('runs queued ticks of the role one at a time', async () => {
    const r = writeTestRole({
      name: 'nightly',
      autonomy: 'full',
      tools: ['ledger.append'],
      turns: [{ call: 'ledger.append', args: { entry: 'x' }, delayMs: 100 }, { final: { ok: true } }],
      extra: { triggers: [{ cron: { schedule: '0 3 * * *', overlap: 'queue' } }] },
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    const abort = new AbortController();
    try {
      const role = await loadRoleFile(r.file);
      const handle = rt.work({ roles: [role], concurrency: 4, pollMs: 10, signal: abort.signal });
      for (let i = 0; i < 3; i++) await rt.deliver(role, {}, { trigger: { kind: 'cron' } });
      let peak = 0;
      await waitFor(async () => {
        peak = Math.max(peak, handle.active());
        return (await rt.list({ role: 'nightly', status: ['succeeded'] })).length === 3 ? true : undefined;
      }, 'three runs');
      // Sampled while polling: the peak seen is at most the real one, so the bound is what is checked.
      assert.ok(peak <= 1, `${peak} runs at once`);
      abort.abort();
      await handle.done;
    } finally {
      abort.abort();
      await rt.close();
      r.cleanup();
    }
  });
});

describe('serve settings', () => {
  it('take flags over NIGHTSHIFT_* variables over the config file, and name the source of a bad value', () => {
    const config = { port: 9000, concurrency: 3, workers: 2, pollMs: 50 };
    const s = resolveServeSettings(
      { port: '8000' },
      { NIGHTSHIFT_PORT: '7000', NIGHTSHIFT_CONCURRENCY: '6' },
      config,
      'nightshift.config.yaml',
    );
    assert.equal(s.port, 8000);
    assert.equal(s.concurrency, 6);
    assert.equal(s.workers, 2);
    assert.equal(s.pollMs, 50);
    assert.equal(s.leaseMs, 30_000);
    // The public URL as an origin, from the flag over the variable over the file; a bad one names its source.
    assert.equal(resolveServeSettings({}, {}, {}, undefined).publicOrigin, undefined);
    assert.equal(
      resolveServeSettings({}, {}, { publicUrl: 'https://agents.example.com/base/' }, 'c.yaml').publicOrigin,
      'https://agents.example.com',
    );
    assert.equal(
      resolveServeSettings(
        { publicUrl: 'http://a.test:8080' },
        { NIGHTSHIFT_PUBLIC_URL: 'https://b.test' },
        {},
        undefined,
      ).publicOrigin,
      'http://a.test:8080',
    );
    assert.throws(
      () => resolveServeSettings({}, { NIGHTSHIFT_PUBLIC_URL: 'ftp://x.test' }, {}, undefined),
      /NIGHTSHIFT_PUBLIC_URL must be an http\(s\) URL/,
    );
    assert.throws(
      () => resolveServeSettings({}, { NIGHTSHIFT_HEADERS_TIMEOUT_MS: '90000' }, {}, undefined),
      /headers timeout \(90000 ms, NIGHTSHIFT_HEADERS_TIMEOUT_MS\) must not be longer than the request timeout \(60000 ms, the default\)/,
    );
    assert.throws(
      () => resolveServeSettings({}, { NIGHTSHIFT_WORKERS: 'two' }, {}, undefined),
      /NIGHTSHIFT_WORKERS must be a whole number from 1 to 64 \(digits only\), got 'two'/,
    );
    assert.throws(
      () => resolveServeSettings({ concurrency: '0' }, {}, {}, undefined),
      /--concurrency must be a whole number from 1 to 10000 \(digits only\), got '0'/,
    );
    // Past what the config file allows: a port that does not exist, a timer Node would run every 1 ms.
    assert.throws(
      () => resolveServeSettings({ port: '99999' }, {}, {}, undefined),
      /--port must be a whole number from 0 to 65535 \(digits only\), got '99999'/,
    );
    assert.throws(
      () => resolveServeSettings({}, { NIGHTSHIFT_POLL_MS: '1e10' }, {}, undefined),
      /NIGHTSHIFT_POLL_MS must be a whole number from 1 to 2147483647 \(digits only\), got '1e10'/,
    );
    assert.throws(
      () => resolveServeSettings({ workers: '1000' }, {}, {}, undefined),
      /--workers must be a whole number from 1 to 64 \(digits only\), got '1000'/,
    );
    // Digits only, as notify's --lease-ms: JavaScript's reading of `1e4`, `0x10`, ` 100`, `1.0` is refused.
    for (const raw of ['1e4', '0x100', ' 1000', '1000.0', '', '+500', '99999999999999999999999'])
      assert.throws(
        () => resolveServeSettings({ leaseMs: raw }, {}, {}, undefined),
        /--lease-ms must be a whole number from 100 to 2147483647 \(digits only\), got '/,
        raw,
      );
  });

  it('an empty --host is refused; an empty NIGHTSHIFT_HOST counts as unset', () => {
    for (const host of ['', '  '])
      assert.throws(
        () => resolveServeSettings({ host }, {}, {}, undefined),
        /--host needs an address or host name/,
        JSON.stringify(host),
      );
    assert.equal(resolveServeSettings({}, { NIGHTSHIFT_HOST: '' }, {}, undefined).host, '127.0.0.1');
    assert.equal(resolveServeSettings({}, { NIGHTSHIFT_HOST: '0.0.0.0' }, {}, undefined).host, '0.0.0.0');
  });

  it('a request timeout set alone, shorter than the headers default, takes the headers timeout down with it', () => {
    const alone = resolveServeSettings({}, {}, { requestTimeoutMs: 10_000 }, 'c.yaml');
    assert.equal(alone.requestTimeoutMs, 10_000);
    assert.equal(alone.headersTimeoutMs, 10_000);
    const env = resolveServeSettings({}, { NIGHTSHIFT_REQUEST_TIMEOUT_MS: '5000' }, {}, undefined);
    assert.equal(env.headersTimeoutMs, 5_000);
    // Both set and consistent: kept as set.
    const both = resolveServeSettings(
      {},
      {},
      { requestTimeoutMs: 10_000, headersTimeoutMs: 4_000 },
      'c.yaml',
    );
    assert.equal(both.headersTimeoutMs, 4_000);
    // Both set, the headers' longer: refused, naming both.
    assert.throws(
      () => resolveServeSettings({}, {}, { requestTimeoutMs: 10_000, headersTimeoutMs: 15_000 }, 'c.yaml'),
      /headers timeout \(15000 ms, serve\.headersTimeoutMs in c\.yaml\) must not be longer than the request timeout \(10000 ms, serve\.requestTimeoutMs in c\.yaml\)/,
    );
  });

  it('reads serve: from nightshift.config.yaml; --workers 2 starts a second worker that stops with the first', async () => {
    const r = writeTestRole({
      name: 'burst',
      autonomy: 'full',
      tools: ['ledger.append'],
      turns: [{ call: 'ledger.append', args: { entry: 'x' } }, { final: { ok: true } }],
      extra: { triggers: [{ event: 'go' }] },
    });
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({ dataDir: './data', serve: { port: 0, workers: 2, pollMs: 20 } }),
    );
    // A token in the store serve will open (the config's ./data), made before serve starts.
    const token = await createTestToken([], { cwd: r.dir });
    assert.ok(token, 'a test token was created');
    const { child, done } = startCli(['serve', 'role.yaml'], { cwd: r.dir });
    let stdout = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    try {
      let err = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr!.on('data', (d) => {
          err += d;
          const m = /at (http:\/\/\S+) with 2 worker processes/.exec(err);
          if (m) resolve(m[1]!);
        });
        done.then((x) => reject(new Error(`serve exited: ${x.code} ${x.stderr}`)));
      });
      // The forked worker logs when it is up (its stdout is the parent's).
      const started = await waitFor(async () => {
        const line = stdout.split('\n').find((l) => l.includes('"msg":"worker started"'));
        return line ? (JSON.parse(line) as { pid: number }) : undefined;
      }, 'the second worker');
      assert.notEqual(started.pid, child.pid);
      const out = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          fetch(`${url}/events/go`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ i }),
          }).then((x) => x.status),
        ),
      );
      assert.ok(out.every((s) => s === 202));
      await waitFor(async () => (r.ledger().length === 40 ? true : undefined), 'forty runs');
      child.kill('SIGTERM');
      const exit = await done;
      assert.equal(exit.code, 0);
      assert.throws(() => process.kill(started.pid, 0), /ESRCH/, 'the second worker stopped too');
    } finally {
      child.kill('SIGKILL');
      r.cleanup();
    }
  });
});
