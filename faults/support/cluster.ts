// The system under test, as a user deploys it: real `nightshift serve` processes over one store (an
// embedded SQLite file, or a fresh schema of the real Postgres, optionally reached through a TCP proxy
// the scenario can cut), a role whose tools charge the payments server, and an observer's own
// connection to the store (never through the proxy) to wait on run states.
import { mkdirSync } from 'node:fs';
import { createRuntime } from '../../src/runtime.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import type { Store } from '../../src/store/types.js';
import { authFor, type CliResult, runCli, type Served, startServe } from '../../test/support/cli.js';
import { fixtures } from '../../test/support/paths.js';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../../test/support/postgres.js';
import { type TestRole, writeTestRole } from '../../test/support/roles.js';
import type { Payments } from './payments.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface ClusterOptions {
  kind: StoreKind;
  payments: Payments;
  autonomy?: 'draft' | 'full';
  tools?: string[];
  /** The scripted model's turns; every run of the role follows them. */
  turns: unknown[];
  leaseMs?: number;
  pollMs?: number;
  concurrency?: number;
  /** Postgres: the port of a proxy to Postgres the workers connect through (the observer does not). */
  proxyPort?: number;
  /** SQLite: the data dir (default: a folder next to the role). */
  dataDir?: string;
  /** More role keys (secrets, webhook triggers); `triggers` here replaces the default event trigger. */
  roleExtra?: Record<string, unknown>;
  /** More environment for the workers (webhook secrets). */
  env?: NodeJS.ProcessEnv;
}

export interface Cluster {
  kind: StoreKind;
  role: TestRole;
  /** The observer's store (direct connection). */
  store: Store;
  workers: Served[];
  leaseMs: number;
  /** Starts one more `nightshift serve` process over the same store (`env`: more environment for it alone). */
  startWorker(env?: NodeJS.ProcessEnv): Promise<Served>;
  /** Kills a worker with a signal and, for SIGKILL, waits until it is gone. */
  kill(worker: Served, signal?: NodeJS.Signals): Promise<void>;
  /** Runs a CLI command (approve, answer, ...) against the same store. */
  cli(args: string[]): Promise<CliResult>;
  close(): Promise<void>;
}

export async function openCluster(o: ClusterOptions): Promise<Cluster> {
  const leaseMs = o.leaseMs ?? 2000;
  const role = writeTestRole({
    name: 'payer',
    autonomy: o.autonomy ?? 'full',
    tools: o.tools ?? ['payments.charge'],
    turns: o.turns,
    ledgerTools: false,
    extra: {
      toolModules: [fixtures('tools', 'payments.ts')],
      triggers: [{ event: 'pay' }],
      ...o.roleExtra,
    },
  });
  const dataDir = o.dataDir ?? role.dataDir;
  const schema = freshSchema();
  const direct = { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema };
  const viaProxy = o.proxyPort
    ? { ...direct, NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL.replace(/:\d+\//, `:${o.proxyPort}/`) }
    : direct;
  const workerEnv: NodeJS.ProcessEnv = { FAULTS_PAYMENTS_URL: o.payments.url, ...o.env };
  let store: Store;
  if (o.kind === 'postgres') {
    Object.assign(workerEnv, viaProxy);
    store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    // Migrate once before the workers start, rather than have them race to.
    await (
      await createRuntime({ databaseUrl: TEST_DATABASE_URL, env: { NIGHTSHIFT_DATABASE_SCHEMA: schema } })
    ).close();
  } else {
    mkdirSync(dataDir, { recursive: true });
    store = openSqliteStore({ dataDir });
  }
  await store.init();
  const storeArgs = o.kind === 'sqlite' ? ['--data-dir', dataDir] : [];
  const cliEnv = o.kind === 'postgres' ? { ...direct, FAULTS_PAYMENTS_URL: o.payments.url } : workerEnv;
  const workers: Served[] = [];
  const cluster: Cluster = {
    kind: o.kind,
    role,
    store,
    workers,
    leaseMs,
    async startWorker(env) {
      const w = await startServe(
        [
          role.dir,
          '--port',
          '0',
          '--poll-ms',
          String(o.pollMs ?? 50),
          '--lease-ms',
          String(leaseMs),
          '--concurrency',
          String(o.concurrency ?? 8),
          ...storeArgs,
        ],
        { env: { ...workerEnv, ...env } },
      );
      workers.push(w);
      return w;
    },
    async kill(worker, signal = 'SIGKILL') {
      worker.child.kill(signal);
      if (signal === 'SIGKILL') {
        await worker.done;
        workers.splice(workers.indexOf(worker), 1);
      }
    },
    cli: (args) => runCli([...args, ...storeArgs], { env: cliEnv }),
    async close() {
      for (const w of workers) {
        w.child.kill('SIGCONT');
        w.child.kill('SIGKILL');
      }
      await Promise.all(workers.map((w) => w.done));
      await store.close().catch(() => {});
      if (o.kind === 'postgres') await dropSchema(schema);
      role.cleanup();
    },
  };
  return cluster;
}

/** The worker whose pid a lease owner (`host/pid/random`) or a payments request names. */
export function workerByPid(cluster: Cluster, pid: number): Served {
  const w = cluster.workers.find((x) => x.child.pid === pid);
  if (!w)
    throw new Error(`pid ${pid} is not one of the workers (${cluster.workers.map((x) => x.child.pid)})`);
  return w;
}

export function pidOfOwner(owner: string | null): number | undefined {
  const pid = Number(owner?.split('/')[1]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** What POST /events answered for one accepted event: a run started, or an item in a continuous inbox. */
interface Accepted {
  runId?: string;
  inboxId?: string;
}

/** Posts one event with `body`: the status and text of the answer, and what it recorded when accepted. */
export async function postEvent(
  url: string,
  key: string,
  body: unknown,
): Promise<Accepted & { status: number; text: string }> {
  const res = await fetch(`${url}/events/pay`, {
    method: 'POST',
    headers: { ...authFor(url), 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  }).catch((err: Error) => ({ status: 0, text: async () => err.message }));
  const text = await res.text();
  const accepted = res.status === 202 ? (JSON.parse(text) as { runs: Accepted[] }).runs[0] : undefined;
  return { ...accepted, status: res.status, text };
}

/** Posts `n` events to a worker; returns what each accepted one (202) recorded. */
async function postEvents(url: string, n: number, prefix: string): Promise<Accepted[]> {
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      fetch(`${url}/events/pay`, {
        method: 'POST',
        headers: { ...authFor(url), 'content-type': 'application/json', 'idempotency-key': `${prefix}-${i}` },
        body: JSON.stringify({ i }),
      }).then(async (res) => (res.status === 202 ? ((await res.json()) as { runs: Accepted[] }) : undefined)),
    ),
  );
  return answers.flatMap((a) => (a ? a.runs : []));
}

/** Posts `n` events to a worker; returns the run ids of the accepted ones (202). */
export async function emitEvents(url: string, n: number, prefix: string): Promise<string[]> {
  return (await postEvents(url, n, prefix)).flatMap((r) => (r.runId ? [r.runId] : []));
}

/** Posts `n` events for a continuous role; returns the inbox item ids of the accepted ones (202). */
export async function emitToInbox(url: string, n: number, prefix: string): Promise<string[]> {
  return (await postEvents(url, n, prefix)).flatMap((r) => (r.inboxId ? [r.inboxId] : []));
}
