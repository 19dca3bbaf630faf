// A worker frozen past its lease (SIGSTOP: a long GC pause, a VM stall) must not wake up and perform a
// non-idempotent call that someone else has performed since. Real processes on one store (an SQLite
// file, and Postgres: there a renewal's refusal arrives too late to stop the call on its own): worker A
// starts a slow charge and is frozen before the charge reaches the provider; worker B takes the run over
// and escalates the unknown outcome; a person sees no charge at the provider and lets the call run once;
// the run finishes. Then A is woken: it must start nothing and send nothing, and each charge exists once.
// The provider (a loopback HTTP server) fences by token, as docs/tools.md asks receivers to.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { authFor, json, runCli, startServe } from '../support/cli.js';
import { type FrozenStore, freezeOutsideTransaction } from '../support/freeze.js';
import { fixtures } from '../support/paths.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

interface Charge {
  key: string;
  token: number;
  amount: number;
  pid: number;
  accepted: boolean;
}

/**
 * A charge API that keeps, per run, the highest fencing token it has seen and refuses a lower one. It does
 * not deduplicate by idempotency key (the provider of the incident did not either), so the fencing token
 * and the worker's own lease checks are all that stand between a stale worker and a second charge.
 */
async function startProvider(): Promise<{ url: string; charges: Charge[]; server: Server }> {
  const charges: Charge[] = [];
  const highest = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      const key = String(req.headers['idempotency-key']);
      const token = Number(req.headers['fencing-token']);
      const run = key.split(':')[0]!;
      const { amount, pid } = JSON.parse(body) as { amount: number; pid: number };
      const stale = Number.isInteger(token) && token < (highest.get(run) ?? 0);
      if (!stale && Number.isInteger(token)) highest.set(run, token);
      charges.push({ key, token, amount, pid, accepted: !stale });
      res.writeHead(stale ? 409 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(stale ? { error: 'stale fencing token' } : { charged: amount }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/charges`, charges, server };
}

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

interface Backend {
  /** CLI arguments and environment that point a process at the store. */
  args: string[];
  env: NodeJS.ProcessEnv;
  store: Store;
  /** Where to look for a transaction a frozen worker could be holding. */
  frozen: FrozenStore;
  cleanup(): Promise<void>;
}

const sqlite = async (dataDir: string): Promise<Backend> => {
  const store = openSqliteStore({ dataDir });
  return {
    args: ['--data-dir', dataDir],
    env: {},
    store,
    frozen: { sqliteFile: join(dataDir, 'nightshift.db') },
    cleanup: () => store.close(),
  };
};

const postgres = async (): Promise<Backend> => {
  const schema = freshSchema();
  const open = () => openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
  // Migrated by a runtime that opens (and so closes) its own store.
  await (
    await createRuntime({ databaseUrl: TEST_DATABASE_URL, env: { NIGHTSHIFT_DATABASE_SCHEMA: schema } })
  ).close();
  const store = open();
  return {
    args: [],
    env: { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema },
    store,
    frozen: { postgresUrl: TEST_DATABASE_URL },
    async cleanup() {
      await store.close();
      await dropSchema(schema);
    },
  };
};

const noPostgres = await postgresUnavailable();

describe('a worker frozen past its lease (SIGSTOP / SIGCONT)', () => {
  it('frozen between claiming a call and starting it, wakes up and does not start it (SQLite)', () =>
    frozenAfterClaim((dataDir) => sqlite(dataDir)));
  it(
    'frozen between claiming a call and starting it, wakes up and does not start it (Postgres)',
    { skip: noPostgres },
    () => frozenAfterClaim(() => postgres()),
  );
  it('wakes up, starts nothing and sends nothing; each charge happens once (SQLite)', () =>
    frozenWorker((dataDir) => sqlite(dataDir)));
  it(
    'wakes up, starts nothing and sends nothing; each charge happens once (Postgres)',
    { skip: noPostgres },
    () => frozenWorker(() => postgres()),
  );
});

async function frozenWorker(open: (dataDir: string) => Promise<Backend>): Promise<void> {
  const provider = await startProvider();
  const r = writeTestRole({
    name: 'biller',
    autonomy: 'full',
    tools: ['charges.create'],
    ledgerTools: false,
    turns: [
      {
        calls: [
          // Slow: the provider takes 3 s to answer, so A is frozen before its charge is sent.
          { tool: 'charges.create', args: { url: provider.url, amount: 10, waitMs: 3000 } },
          { tool: 'charges.create', args: { url: provider.url, amount: 20 } },
        ],
      },
      { final: { billed: true } },
    ],
    extra: { toolModules: [fixtures('tools', 'charges.ts')], triggers: [{ event: 'bill' }] },
  });
  const backend = await open(r.dataDir);
  const { store, env } = backend;
  try {
    const serve = async () => {
      const s = await startServe(
        [r.dir, '--port', '0', '--poll-ms', '25', '--lease-ms', '1500', ...backend.args],
        { env },
      );
      children.push(s.child);
      return s;
    };
    const a = await serve();
    const aPid = a.child.pid!;
    const posted = await fetch(`${a.url}/events/bill`, {
      method: 'POST',
      headers: { ...authFor(a.url), 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(posted.status, 202);
    await waitFor(
      async () => (existsSync(join(r.workspace, `reached-10-${aPid}`)) ? true : undefined),
      'A to start the first charge',
    );
    // A freezes in the middle of the call, before the charge reaches the provider.
    await freezeOutsideTransaction(a.child, backend.frozen);
    await store.init();

    await serve();
    const escalation = await waitFor(async () => {
      const [e] = await store.listEscalations({ status: 'pending' });
      return e;
    }, "B to take the run over and escalate the call's unknown outcome");
    assert.equal(escalation.source, 'unknown_outcome');
    assert.equal(provider.charges.length, 0, 'the frozen worker had not charged');

    // The person looks at the provider, sees no charge, and lets the call run once.
    const answered = await runCli(
      [
        'answer',
        escalation.id,
        'no charge reached the provider; charge it',
        '--allow-call',
        ...backend.args,
        '--json',
      ],
      { env },
    );
    assert.notEqual(json(answered).status, undefined, answered.stderr);
    const runId = escalation.runId;
    const finished = await waitFor(async () => {
      const run = await store.getRun(runId);
      return run?.status === 'succeeded' ? run : undefined;
    }, 'the run to finish');

    a.child.kill('SIGCONT');
    await waitFor(
      async () => (existsSync(join(r.workspace, `ended-10-${aPid}`)) ? true : undefined),
      "A's stale call to end",
    );
    const fromA = provider.charges.filter((c) => c.pid === aPid);
    assert.deepEqual(fromA, [], 'the stale worker sent nothing');
    assert.deepEqual(
      provider.charges.filter((c) => c.accepted).map((c) => c.amount),
      [10, 20],
      'each charge happened once',
    );
    // Everything that ran carries a newer fencing token than the frozen worker's.
    const snapshot = (await store.loadRun(runId))!;
    assert.ok(
      provider.charges.every((c) => c.token > 1),
      JSON.stringify(provider.charges),
    );
    assert.deepEqual(
      snapshot.toolCalls.map((c) => c.status),
      ['succeeded', 'succeeded'],
    );
    // A's wake-up wrote nothing: it still answers HTTP, and the run is as the others left it.
    assert.equal((await fetch(`${a.url}/healthz`)).status, 200);
    const later = (await store.getRun(runId))!;
    assert.deepEqual([later.status, later.seq], ['succeeded', finished.seq]);
  } finally {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await backend.cleanup();
    provider.server.close();
    r.cleanup();
  }
}

const serveArgs = (dir: string, backend: Backend) => [
  dir,
  '--port',
  '0',
  '--poll-ms',
  '25',
  '--lease-ms',
  '1500',
  ...backend.args,
];

/**
 * The narrowest window: A committed the charge as started and froze before calling the provider (the
 * fixture's `pauseIn` blocks the process there, and the test then stops it). Woken after the run was
 * finished by others, A goes straight on towards the call: only its own lease check can stop it.
 */
async function frozenAfterClaim(open: (dataDir: string) => Promise<Backend>): Promise<void> {
  const provider = await startProvider();
  const r = writeTestRole({
    name: 'biller',
    autonomy: 'full',
    tools: ['charges.create'],
    ledgerTools: false,
    turns: [{ call: 'charges.create', args: { url: provider.url, amount: 30, pauseIn: '.' } }, { final: {} }],
    extra: { toolModules: [fixtures('tools', 'charges.ts')], triggers: [{ event: 'bill' }] },
  });
  // The script is written with the workspace path now known.
  const pauseIn = r.workspace;
  const script = join(r.dir, 'script.yaml');
  writeFileSync(script, readFileSync(script, 'utf8').replace('pauseIn: .', `pauseIn: ${pauseIn}`));
  const backend = await open(r.dataDir);
  const { store, env } = backend;
  try {
    const a = await startServe(serveArgs(r.dir, backend), { env });
    children.push(a.child);
    const aPid = a.child.pid!;
    const posted = await fetch(`${a.url}/events/bill`, {
      method: 'POST',
      headers: { ...authFor(a.url), 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(posted.status, 202);
    await waitFor(
      async () => (existsSync(join(pauseIn, `paused-${aPid}`)) ? true : undefined),
      'A to freeze after its claim',
    );
    await freezeOutsideTransaction(a.child, backend.frozen);
    await store.init();
    const [run] = await store.listRuns({ role: 'biller' });
    const claimed = (await store.loadRun(run!.id))!;
    assert.deepEqual(
      claimed.toolCalls.map((c) => c.status),
      ['started'],
      'A committed the claim before it froze',
    );

    const b = await startServe(serveArgs(r.dir, backend), { env });
    children.push(b.child);
    const escalation = await waitFor(async () => {
      const [e] = await store.listEscalations({ status: 'pending' });
      return e;
    }, "B to take the run over and escalate the call's unknown outcome");
    assert.equal(escalation.source, 'unknown_outcome');
    assert.equal(provider.charges.length, 0);
    const answered = await runCli(
      [
        'answer',
        escalation.id,
        'no charge at the provider; charge it',
        '--allow-call',
        ...backend.args,
        '--json',
      ],
      { env },
    );
    assert.notEqual(json(answered).status, undefined, answered.stderr);
    const finished = await waitFor(async () => {
      const x = await store.getRun(run!.id);
      return x?.status === 'succeeded' ? x : undefined;
    }, 'the run to finish');
    assert.deepEqual(
      provider.charges.map((c) => [c.amount, c.accepted]),
      [[30, true]],
    );

    writeFileSync(join(pauseIn, 'resume'), '');
    a.child.kill('SIGCONT');
    await waitFor(
      async () => (existsSync(join(pauseIn, `unpaused-${aPid}`)) ? true : undefined),
      'A to wake',
    );
    // Once A answers HTTP again, it has gone past the point where it would have started the tool (that
    // part runs without a pause after the parse, and the tool marks its start synchronously).
    assert.equal((await fetch(`${a.url}/healthz`)).status, 200);
    assert.equal(
      existsSync(join(r.workspace, `reached-30-${aPid}`)),
      false,
      'the stale worker did not start the call',
    );
    assert.deepEqual(
      provider.charges.map((c) => [c.amount, c.accepted]),
      [[30, true]],
      'the charge happened once',
    );
    const later = (await store.getRun(run!.id))!;
    assert.deepEqual([later.status, later.seq], ['succeeded', finished.seq]);
  } finally {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await backend.cleanup();
    provider.server.close();
    r.cleanup();
  }
}
