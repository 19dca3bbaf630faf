// A run that throws unexpectedly in a worker fails once with a clear error; it is never left `running`
// for the next worker (or the same one, after its lease) to take over and trip over again. Real
// `nightshift serve` processes on an SQLite file.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { RunRecord } from '../../src/store/types.js';
import { authFor, startServe } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

const serve = async (paths: string[], dataDir: string, env: NodeJS.ProcessEnv = {}) => {
  const s = await startServe(
    [...paths, '--port', '0', '--poll-ms', '25', '--lease-ms', '1000', '--data-dir', dataDir],
    { env },
  );
  children.push(s.child);
  return s;
};

const post = (url: string, event: string) =>
  fetch(`${url}/events/${event}`, {
    method: 'POST',
    headers: { ...authFor(url), 'content-type': 'application/json' },
    body: '{}',
  }).then((r) => r.status);

const finished = (store: ReturnType<typeof openSqliteStore>, role: string) =>
  waitFor(async () => {
    const [run] = await store.listRuns({ role });
    return run && ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
  }, `the run of ${role} to finish`);

describe('unexpected errors in a worker', () => {
  it('runs two roles whose output schemas share an $id: both succeed, once', async () => {
    const schema = (field: string) => ({
      $id: 'https://example.com/schemas/answer.json',
      type: 'object',
      required: [field],
      properties: { [field]: { type: 'string' } },
    });
    const role = (name: string, field: string) =>
      writeTestRole({
        name,
        autonomy: 'observe',
        tools: [],
        ledgerTools: false,
        turns: [{ final: { [field]: 'done' } }],
        output: schema(field),
        extra: { triggers: [{ event: name }] },
      });
    const alpha = role('alpha', 'a');
    const beta = role('beta', 'b');
    const store = openSqliteStore({ dataDir: alpha.dataDir });
    try {
      const s = await serve([alpha.file, beta.file], alpha.dataDir);
      await store.init();
      assert.equal(await post(s.url, 'alpha'), 202);
      const first = await finished(store, 'alpha');
      assert.equal(await post(s.url, 'beta'), 202);
      const second = await finished(store, 'beta');
      for (const run of [first, second]) {
        assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
        assert.equal(run.attempt, 1);
      }
      assert.deepEqual(second.output, { b: 'done' });
    } finally {
      await store.close();
      alpha.cleanup();
      beta.cleanup();
    }
  });

  it('fails a run whose finish throws (a listener of its emit event cannot be prepared) once, saying what and where', async () => {
    // `notifier` emits `done` when it succeeds; `listener` listens to it, on a model whose API key this
    // worker does not have: delivering the event throws inside the run's last step.
    const notifier = writeTestRole({
      name: 'notifier',
      autonomy: 'observe',
      tools: [],
      ledgerTools: false,
      turns: [{ final: { ok: true } }],
      extra: { triggers: [{ event: 'go' }], emit: ['done'] },
    });
    const listener = writeTestRole({
      name: 'listener',
      autonomy: 'observe',
      tools: [],
      ledgerTools: false,
      turns: [{ final: {} }],
      extra: { triggers: [{ event: 'done' }], model: 'anthropic:claude-sonnet-4-5' },
    });
    const store = openSqliteStore({ dataDir: notifier.dataDir });
    try {
      const s = await serve([notifier.file, listener.file], notifier.dataDir, { ANTHROPIC_API_KEY: '' });
      await store.init();
      assert.equal(await post(s.url, 'go'), 202);
      const run: RunRecord = await finished(store, 'notifier');
      assert.equal(run.status, 'failed');
      assert.equal(run.error?.code, 'MODEL_CONFIG');
      assert.match(run.error!.message, /ANTHROPIC_API_KEY/);
      assert.match(run.error!.message, /while delivering the role's emit events/);
      assert.equal(run.attempt, 1, 'failed once, not taken over and retried');
      const steps = (await store.loadRun(run.id))!.steps.map((x) => x.kind);
      assert.equal(steps.filter((k) => k === 'run_finished').length, 1);
      assert.equal(steps.filter((k) => k === 'run_resumed').length, 0);
      // It stays failed: no worker picks it up again after its lease would have run out.
      const again = await store.getRun(run.id);
      assert.deepEqual([again?.status, again?.seq, again?.leaseOwner], ['failed', run.seq, null]);
    } finally {
      await store.close();
      notifier.cleanup();
      listener.cleanup();
    }
  });

  it('fails a queued run whose role version cannot be prepared on this worker once, instead of taking it over again and again', async () => {
    const r = writeTestRole({
      name: 'deployed',
      autonomy: 'observe',
      tools: [],
      ledgerTools: false,
      turns: [{ final: {} }],
      extra: { triggers: [{ event: 'go' }] },
    });
    // Queued under the first version, whose model script a deploy then removed (the role moved to another).
    const rt = await createRuntime({ dataDir: r.dataDir });
    const queued = await rt.enqueue(await loadRoleFile(r.file), {});
    await rt.close();
    copyFileSync(join(r.dir, 'script.yaml'), join(r.dir, 'script2.yaml'));
    writeFileSync(
      r.file,
      readFileSync(r.file, 'utf8').replace('script:./script.yaml', 'script:./script2.yaml'),
    );
    rmSync(join(r.dir, 'script.yaml'));
    const store = openSqliteStore({ dataDir: r.dataDir });
    try {
      await serve([r.file], r.dataDir);
      await store.init();
      const run = await waitFor(async () => {
        const x = await store.getRun(queued.runId);
        return x?.status === 'failed' ? x : undefined;
      }, 'the run to fail');
      assert.equal(run.error?.code, 'MODEL_CONFIG');
      assert.match(run.error!.message, /script\.yaml/);
      assert.match(run.error!.message, /while starting run/);
      assert.equal(run.attempt, 1, 'failed once, not taken over and retried');
      assert.equal(run.leaseOwner, null);
    } finally {
      await store.close();
      r.cleanup();
    }
  });
});
