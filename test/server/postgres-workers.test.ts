// Scale-out on Postgres with real processes: three `nightshift serve` workers share one database. A burst
// of 1,000 events runs once each, spread over the workers; a worker killed with SIGKILL mid-run has its run
// finished by another, with no tool side effect repeated. Skipped, saying so, without Postgres.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { authFor, startServe } from '../support/cli.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { postRetrying, waitFor, waitForCount } from '../support/wait.js';

const JSON_TYPE = { 'content-type': 'application/json' };

const skip = await postgresUnavailable();

const worker = (dir: string, env: NodeJS.ProcessEnv, o: { pollMs?: number; concurrency?: number } = {}) =>
  startServe(
    [
      dir,
      '--port',
      '0',
      '--poll-ms',
      String(o.pollMs ?? 25),
      '--lease-ms',
      '1500',
      '--concurrency',
      String(o.concurrency ?? 8),
    ],
    { env },
  );

function role(turns: unknown[]): TestRole {
  return writeTestRole({
    name: 'pg-bot',
    autonomy: 'full',
    tools: ['ledger.append_once'],
    turns,
    extra: { triggers: [{ event: 'job' }] },
  });
}

/** Waits until n runs have succeeded (giving up only when none more finish for a minute); returns the runs. */
async function waitAll(schema: string, n: number) {
  const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
  try {
    await waitForCount(
      async () => (await store.countRuns(['succeeded'])).succeeded ?? 0,
      n,
      `${n} runs to succeed`,
    );
    return await store.listRuns({ limit: 5000 });
  } finally {
    await store.close();
  }
}

/** Polls until `file` holds a pid (a run has reached a held tool call; it may be seen still empty). */
const reachedFile = (file: string, what: string) =>
  waitFor(async () => (existsSync(file) ? readFileSync(file, 'utf8') || undefined : undefined), what);

describe('three workers on Postgres', { skip }, () => {
  it('runs a burst of 1,000 events exactly once each, across the workers', async () => {
    const r = role([{ call: 'ledger.append_once', args: { entry: 'done' } }, { final: { summary: 'ok' } }]);
    const schema = freshSchema();
    const env = { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema };
    const workers: Awaited<ReturnType<typeof worker>>[] = [];
    try {
      // Create the schema once before the workers race to migrate it (they would serialise anyway).
      const rt = await createRuntime({
        databaseUrl: TEST_DATABASE_URL,
        env: { NIGHTSHIFT_DATABASE_SCHEMA: schema },
      });
      await rt.close();
      for (let i = 0; i < 3; i++) workers.push(await worker(r.dir, env));
      // All at once; one refused at the socket by a flooded machine is resent with its key.
      const sent = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          postRetrying(`${workers[i % 3]!.url}/events/job`, {
            headers: { 'idempotency-key': `e-${i}` },
            body: JSON.stringify({ i }),
          }),
        ),
      );
      assert.ok(sent.every((s) => s === 202));
      const runs = await waitAll(schema, 1000);
      assert.equal(runs.length, 1000);
      const lines = r.ledger();
      assert.equal(lines.length, 1000);
      assert.equal(new Set(lines).size, 1000);
      // Work was shared: more than one worker (lease owner pid) ran steps.
      const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
      const owners = new Set<string>();
      for (const run of runs.slice(0, 200)) {
        const snap = await store.loadRun(run.id);
        const turn = snap!.steps.find((s) => s.kind === 'model_turn');
        if (turn) owners.add(String(turn.data.worker).split('/')[1]!);
      }
      await store.close();
      assert.ok(owners.size >= 2, `only ${owners.size} worker(s) ran anything`);
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.done));
      await dropSchema(schema);
      r.cleanup();
    }
  });

  it('wakes the right workers without polling: runs queued elsewhere, and runs a busy worker cannot take', async () => {
    // Both workers poll once an hour, so every start below comes from a NOTIFY. A is busy (concurrency 1,
    // its run held inside the tool) when two more events reach it: it holds their NOTIFY back only
    // until it is clear it cannot claim them, then B runs them. A run queued by a process with no worker
    // (a library user's deliver) wakes the workers at once.
    const r = role([
      { call: 'ledger.append_once', args: { entry: 'held', hold: 'a' } },
      { final: { summary: 'ok' } },
    ]);
    const schema = freshSchema();
    const env = { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema };
    const workers: Awaited<ReturnType<typeof worker>>[] = [];
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    const rt = await createRuntime({ store });
    try {
      const a = await worker(r.dir, env, { pollMs: 3_600_000, concurrency: 1 });
      workers.push(a);
      await fetch(`${a.url}/events/job`, {
        method: 'POST',
        headers: { ...authFor(a.url), ...JSON_TYPE },
        body: '{}',
      });
      const reached = join(r.workspace, 'reached-a');
      assert.equal(Number(await reachedFile(reached, 'A in the tool')), a.child.pid);
      const b = await worker(r.dir, env, { pollMs: 3_600_000 });
      workers.push(b);
      for (let i = 0; i < 2; i++)
        await fetch(`${a.url}/events/job`, {
          method: 'POST',
          headers: { ...authFor(a.url), ...JSON_TYPE },
          body: '{}',
        });
      // A cannot take them (its one slot is held), so B must be woken: B's run reaches the hold too.
      await waitFor(
        async () => (readFileSync(reached, 'utf8') === String(b.child.pid) ? true : undefined),
        'B to start a run (B never woke)',
      );
      writeFileSync(join(r.workspace, 'release-a'), '');
      const queuedHere = await rt.deliver(await loadRoleFile(r.file), {}, { trigger: { kind: 'manual' } });
      assert.equal(queuedHere.status, 'queued');
      const runs = await waitAll(schema, 4);
      assert.equal(runs.length, 4);
    } finally {
      await rt.close();
      await store.close();
      for (const w of workers) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.done));
      await dropSchema(schema);
      r.cleanup();
    }
  });

  it('a worker killed with SIGKILL in the middle of a burst: every run finishes once, no effect twice', async () => {
    const r = role([
      { call: 'ledger.append_once', args: { entry: 'first' } },
      { call: 'ledger.append_once', args: { entry: 'second' } },
      { final: { summary: 'ok' } },
    ]);
    const schema = freshSchema();
    const env = { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema };
    const workers: Awaited<ReturnType<typeof worker>>[] = [];
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    try {
      await (
        await createRuntime({ databaseUrl: TEST_DATABASE_URL, env: { NIGHTSHIFT_DATABASE_SCHEMA: schema } })
      ).close();
      for (let i = 0; i < 3; i++) workers.push(await worker(r.dir, env));
      const n = 300;
      const victim = workers[0]!;
      const victimPid = `/${victim.child.pid}/`;
      // The burst goes to workers 1 and 2 (any worker claims any queued run, so worker 0 gets its share
      // from the database); worker 0 is killed while it is running some of them, watched for while the
      // burst is still arriving rather than after, when a fast machine may have finished it.
      const sending = Promise.all(
        Array.from({ length: n }, (_, i) =>
          postRetrying(`${workers[1 + (i % 2)]!.url}/events/job`, {
            headers: { 'idempotency-key': `k-${i}` },
            body: JSON.stringify({ i }),
          }),
        ),
      );
      await waitFor(
        async () => {
          const running = await store.listRuns({ status: ['running'], limit: 500 });
          return running.some((x) => x.leaseOwner?.includes(victimPid)) ? true : undefined;
        },
        'worker 0 to be running some of the burst',
        60_000,
      );
      const before = await store.countRuns(['succeeded']);
      victim.child.kill('SIGKILL');
      await victim.done;
      const sent = await sending;
      assert.ok(sent.every((x) => x === 202));
      assert.ok(before.succeeded! < n, 'the kill came before the burst was over');
      const runs = await waitAll(schema, n);
      assert.equal(runs.length, n);
      // Each run's two effects happened once each: one ledger line per (run, call), none repeated.
      const lines = r.ledger();
      assert.equal(lines.length, 2 * n, `${lines.length} ledger lines for ${n} runs`);
      assert.equal(new Set(lines.map((l) => l.split('#')[1])).size, 2 * n);
      const taken = runs.filter((x) => x.attempt > 1);
      process.stdout.write(`# ${taken.length} run(s) taken over from the killed worker\n`);
    } finally {
      await store.close();
      for (const w of workers) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.done));
      await dropSchema(schema);
      r.cleanup();
    }
  });

  it('a worker killed with SIGKILL mid-run: another finishes the run, the side effect happens once', async () => {
    const r = role([
      { call: 'ledger.append_once', args: { entry: 'once', hold: 'h' } },
      { final: { summary: 'ok' } },
    ]);
    const schema = freshSchema();
    const env = { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema };
    const workers: Awaited<ReturnType<typeof worker>>[] = [];
    try {
      const rt = await createRuntime({
        databaseUrl: TEST_DATABASE_URL,
        env: { ...process.env, NIGHTSHIFT_DATABASE_SCHEMA: schema },
      });
      await rt.close();
      for (let i = 0; i < 3; i++) workers.push(await worker(r.dir, env));
      await fetch(`${workers[0]!.url}/events/job`, {
        method: 'POST',
        headers: { ...authFor(workers[0]!.url), ...JSON_TYPE },
        body: '{}',
      });
      // Whichever worker took it is now inside the tool: find it by the pid the tool wrote.
      const pid = Number(await reachedFile(join(r.workspace, 'reached-h'), 'a worker in the tool'));
      const victim = workers.find((w) => w.child.pid === pid);
      assert.ok(victim, `the tool ran in pid ${pid}, not in one of the workers`);
      victim.child.kill('SIGKILL');
      await victim.done;
      writeFileSync(join(r.workspace, 'release-h'), '');
      const runs = await waitAll(schema, 1);
      assert.equal(runs.length, 1);
      assert.equal(r.ledger().length, 1, `ledger: ${r.ledger().join(' | ')}`);
      assert.ok(readdirSync(r.workspace).includes('ledger.txt'));
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.done));
      await dropSchema(schema);
      r.cleanup();
    }
  });
});
