// The substrate: event-to-start latency and throughput of `nightshift serve`, with the scripted model, on
// the embedded store (one process) and on Postgres with 1 and 4 workers (real processes on loopback).
//
//   npm run build && node dist/bench/substrate.js [--rate 200] [--seconds 5] [--warmup 1] [--burst 2000]
//     [--only embedded|pg1|pg4] [--accept-only] [--client fetch|http] [--sockets 32] [--warm-burst 0]
//
// Latency: events POSTed at a steady rate, each carrying its send time; "start" is the moment a worker
// claimed the run and recorded `run_resumed`. Throughput: a burst of events, from the first POST until
// every run has succeeded. The role is the issue's task: three tool calls then a final output.
// --warm-burst N: a burst of N sent and run to the end before the measured one, which then measures workers
// that have been through a burst before (their code for large groups and a long queue compiled), as a
// long-lived worker is; without it, the measured burst is the workers' first.
// --accept-only: intake alone. The role's first model turn waits 10 minutes, so each worker holds 16
// runs and runs nothing else; no steady phase, a warm-up burst of 400 accepted first; then the burst's
// accept time and the CPU per POST of the workers, Postgres and this client, with no runs competing.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { issueToken } from '../src/auth/index.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { Store } from '../src/store/types.js';
import { cliPath } from '../test/support/cli.js';
import { tempDir } from '../test/support/tmp.js';
import { clientFromArgv, poster } from './http-post.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const RATE = arg('rate', 200);
const SECONDS = arg('seconds', 5);
const BURST = arg('burst', 2000);
const WARMUP = arg('warmup', 1);
const WARM_BURST = arg('warm-burst', 0);
if (!Number.isInteger(WARM_BURST) || WARM_BURST < 0) throw new Error('--warm-burst: not a whole number >= 0');
const ACCEPT_ONLY = process.argv.includes('--accept-only');
// --accept-only runs nothing to the end, so it has no burst to warm with.
if (ACCEPT_ONLY && WARM_BURST > 0) throw new Error('--warm-burst: not with --accept-only');
const CLIENT = clientFromArgv(process.argv);
const PG = process.env.NIGHTSHIFT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function project(): { dir: string; cleanup: () => void } {
  const tmp = tempDir('nightshift-bench-substrate-');
  mkdirSync(join(tmp.path, 'ws'));
  writeFileSync(
    join(tmp.path, 'script.yaml'),
    `turns:\n${ACCEPT_ONLY ? '  - delayMs: 600000\n    call: fs.list\n    args: { path: . }\n' : ''}${'  - call: fs.list\n    args: { path: . }\n'.repeat(3)}  - final: { ok: true }\n`,
  );
  writeFileSync(
    join(tmp.path, 'role.yaml'),
    'name: bench-bot\ndescription: d\nautonomy: full\nmodel: script:./script.yaml\ninstructions: i\ntools: [fs.list]\nworkspace: ./ws\ntriggers: [{ event: go }]\n',
  );
  return { dir: tmp.path, cleanup: tmp.cleanup };
}

async function startWorkers(
  n: number,
  dir: string,
  env: NodeJS.ProcessEnv,
  dataDir?: string,
): Promise<{ urls: string[]; procs: ChildProcess[] }> {
  const procs: ChildProcess[] = [];
  const urls: string[] = [];
  for (let i = 0; i < n; i++) {
    const args = [
      // e.g. BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the workers.
      ...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      cliPath,
      'serve',
      dir,
      '--port',
      '0',
      '--concurrency',
      '16',
      ...(dataDir ? ['--data-dir', dataDir] : []),
    ];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      // BENCH_WORKER_STDOUT=PREFIX keeps each worker's log (its stdout) in PREFIX.<i>, e.g. to count lines per run.
      stdio: [
        'ignore',
        process.env.BENCH_WORKER_STDOUT ? openSync(`${process.env.BENCH_WORKER_STDOUT}.${i}`, 'w') : 'ignore',
        'pipe',
      ],
    });
    procs.push(child);
    urls.push(
      await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (d) => {
          err += d;
          const m = /at (http:\/\/\S+)/.exec(err);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code, signal) => {
          // A worker that dies mid-measurement closes its clients' sockets ("other side closed"): say why.
          if (!child.killed)
            process.stderr.write(`worker ${child.pid} exited ${code ?? signal}: ${err.slice(-4000)}\n`);
          reject(new Error(`worker exited ${code}: ${err}`));
        });
      }),
    );
  }
  return { urls, procs };
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (Linux; 0 elsewhere or once
 * it is gone). On a shared machine wall time swings 2-3x; CPU per run is what compares builds.
 */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The Postgres backends serving the workers: those connected to our database, minus the asking one. */
async function backendPids(client: pg.Client): Promise<number[]> {
  const r = await client.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return r.rows.map((row: { pid: number }) => row.pid);
}

/**
 * Polls a cheap count of finished runs (not the runs themselves: reading thousands of rows every few ms
 * would load the store). Fails loudly if runs failed or nothing moves for a minute, instead of hanging.
 */
async function waitDone(
  count: () => Promise<{ done: number; failed: number; last: number }>,
  n: number,
): Promise<number> {
  let seen = -1;
  let since = Date.now();
  for (;;) {
    const { done, failed, last } = await count();
    if (failed > 0) throw new Error(`${failed} run(s) failed`);
    if (done >= n) return last;
    if (done !== seen) {
      seen = done;
      since = Date.now();
    } else if (Date.now() - since > 60_000) throw new Error(`stuck at ${done}/${n} finished runs`);
    await sleep(50);
  }
}

/**
 * What became of the events this bench sent: each is posted once (its idempotency key), then sent again
 * with the same key while its connection broke or serve answered 503 (STORE_BUSY / STORE_UNAVAILABLE:
 * "send it again") or 429, as a producer must. `refused` counts the events whose last answer was not 202,
 * by status ("network" when no answer came at all): none of those was counted as accepted.
 */
interface Tally {
  posted: number;
  accepted: number;
  refused: Record<string, number>;
  /** Sends again, by the cause of the one before ("network", "503 STORE_BUSY", "429"...). */
  retried: Record<string, number>;
}

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Worth sending again with the same key: no answer, the store busy or unreachable, too many requests. */
const retryable = (status: number) => status === 503 || status === 429 || status === 502 || status === 504;

function counter(kind: 'sqlite' | 'postgres', store: Store, schema: string) {
  const sql = `SELECT COUNT(*) FILTER (WHERE status = 'succeeded') AS done,
    COUNT(*) FILTER (WHERE status = 'failed') AS failed, MAX(finished_at) AS last FROM runs`;
  // Runs in each status, for the message of a bench that stops early.
  const byStatusSql = 'SELECT status, COUNT(*) AS n FROM runs GROUP BY status ORDER BY status';
  const statuses = (rows: { status: string; n: number | string }[]) =>
    Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  if (kind === 'sqlite') {
    const db = (
      store as unknown as {
        db: {
          prepare(s: string): {
            get(): { done: number; failed: number; last: number };
            all(): { status: string; n: number }[];
          };
        };
      }
    ).db;
    return Object.assign(async () => db.prepare(sql).get(), {
      byStatus: async () => statuses(db.prepare(byStatusSql).all()),
      close: async () => {},
    });
  }
  const client = new pg.Client({ connectionString: PG, options: `-c search_path=${schema}` });
  const ready = client.connect();
  return Object.assign(
    async () => {
      await ready;
      const r = (await client.query(sql)).rows[0] as { done: string; failed: string; last: string };
      return { done: Number(r.done), failed: Number(r.failed), last: Number(r.last) };
    },
    {
      byStatus: async () => {
        await ready;
        return statuses((await client.query(byStatusSql)).rows as { status: string; n: string }[]);
      },
      close: () => client.end(),
    },
  );
}

async function measure(label: string, workers: number, kind: 'sqlite' | 'postgres') {
  const p = project();
  const schema = `ns_bench_${randomBytes(4).toString('hex')}`;
  const env = kind === 'postgres' ? { NIGHTSHIFT_DATABASE_URL: PG, NIGHTSHIFT_DATABASE_SCHEMA: schema } : {};
  const dataDir = kind === 'sqlite' ? join(p.dir, 'data') : undefined;
  const store =
    kind === 'postgres'
      ? openPostgresStore({ connectionString: PG, schema })
      : openSqliteStore({ dataDir: dataDir! });
  await store.init();
  // BENCH_DROP_FK=1 (diagnostic only: what the foreign keys cost) drops the schema's foreign keys before the
  // workers start. Runs are never deleted, and every step, call, approval and escalation is inserted gated on
  // its run's row, so the bench's runs come out the same; the guarantee the keys give is gone.
  if (kind === 'postgres' && process.env.BENCH_DROP_FK) {
    const c = new pg.Client({ connectionString: PG });
    await c.connect();
    const fks = await c.query(
      `SELECT conrelid::regclass::text AS t, conname FROM pg_constraint WHERE contype = 'f' AND connamespace = $1::regnamespace`,
      [schema],
    );
    for (const r of fks.rows) await c.query(`ALTER TABLE ${r.t} DROP CONSTRAINT ${r.conname}`);
    process.stderr.write(`dropped ${fks.rows.length} foreign keys of ${schema}\n`);
    await c.end();
  }
  const count = counter(kind, store, schema);
  // POST /events needs a token with events:send (docs/security-access.md).
  const { secret } = await issueToken(store, undefined, {
    kind: 'service',
    name: 'bench',
    scopes: ['events:send'],
    expiresAt: null,
  });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${secret}` };
  const { urls, procs } = await startWorkers(workers, p.dir, env, dataDir);
  // Each event carries an idempotency key, so one whose connection broke before an answer (on a loaded
  // machine the client may reuse a keep-alive socket the server is closing: "other side closed"), or that
  // serve refused for now (503 STORE_BUSY when every store connection stayed in use past the pool's wait,
  // 503 STORE_UNAVAILABLE, 429), is sent again without ever being recorded twice. Before 2026-12-02 a 503
  // was taken for an acceptance and the bench waited for runs that were never created ("stuck at N/2000").
  const tally: Tally = { posted: 0, accepted: 0, refused: {}, retried: {} };
  // BENCH_SEND_ATTEMPTS=1 sends each event once, as before 2026-12-02, to see the refusals themselves.
  const MAX_ATTEMPTS = Number(process.env.BENCH_SEND_ATTEMPTS ?? 8);
  const client = poster(CLIENT.kind, CLIENT.sockets);
  const send = async (url: string, key: string, body: unknown): Promise<boolean> => {
    tally.posted++;
    for (let attempt = 1; ; attempt++) {
      let cause: string;
      try {
        const res = await client.post(
          `${url}/events/go`,
          { ...headers, 'idempotency-key': key },
          JSON.stringify(body),
        );
        const text = res.text;
        if (res.status === 202) {
          tally.accepted++;
          return true;
        }
        let code = '';
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
        } catch {}
        cause = `${res.status}${code ? ` ${code}` : ''}`;
        if (!retryable(res.status) || attempt >= MAX_ATTEMPTS) {
          bump(tally.refused, cause);
          return false;
        }
      } catch (err) {
        cause = 'network';
        if (attempt >= MAX_ATTEMPTS) {
          bump(tally.refused, `network (${String((err as Error).cause ?? (err as Error).message)})`);
          return false;
        }
      }
      bump(tally.retried, cause);
      // Backs off (100 ms doubling, at most 3.2 s, jittered) so a busy store is not sent the same load again.
      await sleep(Math.min(3200, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random()));
    }
  };
  const retriedCount = () => Object.values(tally.retried).reduce((a, b) => a + b, 0);
  /** Stops the bench unless every event sent so far was accepted: waiting for their runs would never end. */
  const requireAllAccepted = () => {
    if (tally.accepted < tally.posted) throw new Error(`events not accepted after ${MAX_ATTEMPTS} tries`);
  };
  let sampling = false;
  let sampler: Promise<void> | undefined;
  const asker = kind === 'postgres' ? new pg.Client({ connectionString: PG }) : undefined;
  try {
    // Latency at a steady rate, after a warm-up at the same rate that is not counted (each process's first
    // runs pay for JIT compilation, opening its pool's connections and preparing statements).
    const warm = ACCEPT_ONLY ? 0 : Math.round(RATE * WARMUP);
    const total = ACCEPT_ONLY ? 0 : warm + RATE * SECONDS;
    if (ACCEPT_ONLY)
      await Promise.all(
        Array.from({ length: 400 }, (_, i) => send(urls[i % urls.length]!, `warm-${i}`, { sentAt: 0 })),
      );
    const sends: Promise<unknown>[] = [];
    const t0 = Date.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      sends.push(send(urls[i % urls.length]!, `steady-${i}`, { sentAt: Date.now(), warmup: i < warm }));
    }
    await Promise.all(sends);
    requireAllAccepted();
    await waitDone(count, total);
    const latencies: number[] = [];
    for (const run of ACCEPT_ONLY ? [] : await store.listRuns({ limit: total + 10 })) {
      const input = run.input as { sentAt: number; warmup: boolean };
      if (input.warmup) continue;
      const snap = (await store.loadRun(run.id))!;
      const started = snap.steps[1];
      latencies.push(started!.at - input.sentAt);
    }
    if (process.env.BENCH_DUMP) writeFileSync(process.env.BENCH_DUMP, JSON.stringify(latencies));
    // --warm-burst: the steady phase above keeps a few runs in flight per worker; a burst runs large groups,
    // 16 runs per worker and a long queue, whose code V8 then compiles during the burst itself (in one
    // worker, 330 of its 564 optimized compilations fell in the measured burst, 2026-12-05).
    let done = total;
    if (WARM_BURST > 0) {
      await Promise.all(
        Array.from({ length: WARM_BURST }, (_, i) =>
          send(urls[i % urls.length]!, `warm-burst-${i}`, { sentAt: 0 }),
        ),
      );
      requireAllAccepted();
      done += WARM_BURST;
      await waitDone(count, done);
    }
    // Throughput of a burst, and the CPU it cost each kind of process (workers, their Postgres backends).
    // Backends come and go (a pool closes idle connections): they are sampled every 250 ms, each counted
    // from its first sample (0 for one born during the burst) to its last (at most 250 ms of an exiting
    // one's CPU is missed).
    const pgCpu = new Map<number, { first: number; last: number }>();
    await asker?.connect();
    const samplePostgres = async (born: boolean) => {
      if (!asker) return;
      for (const pid of await backendPids(asker)) {
        const now = cpuSeconds(pid);
        const seen = pgCpu.get(pid);
        if (seen) seen.last = Math.max(seen.last, now);
        else pgCpu.set(pid, { first: born ? 0 : now, last: now });
      }
    };
    await samplePostgres(false);
    const workerCpu0 = procs.reduce((t, c) => t + cpuSeconds(c.pid!), 0);
    sampling = true;
    sampler = (async () => {
      while (sampling) {
        await sleep(250);
        await samplePostgres(true);
      }
    })();
    const retriesBefore = retriedCount();
    const postMs: number[] = [];
    const benchCpu0 = process.cpuUsage();
    const burstStart = Date.now();
    // BENCH_MARKS=1 prints the burst's start and end on CLOCK_MONOTONIC (seconds), the clock of
    // `perf record -k CLOCK_MONOTONIC`, so that a whole-bench profile can be cut to the burst (`perf report --time`).
    const mark = (what: string) =>
      process.env.BENCH_MARKS &&
      process.stderr.write(`burst ${what} ${(Number(process.hrtime.bigint()) / 1e9).toFixed(6)}\n`);
    mark('start');
    await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        send(urls[i % urls.length]!, `burst-${i}`, { sentAt: Date.now() }).then((ok) => {
          if (ok) postMs.push(Date.now() - burstStart);
        }),
      ),
    );
    const accepted = Date.now();
    const workerCpuAccepted = procs.reduce((t, c) => t + cpuSeconds(c.pid!), 0);
    const benchCpu = process.cpuUsage(benchCpu0);
    requireAllAccepted();
    const end = ACCEPT_ONLY ? accepted : await waitDone(count, done + BURST);
    mark('end');
    // One run per accepted event, whatever was sent again: a key sent twice never makes a second run.
    const runs = Object.values(await count.byStatus()).reduce((a, b) => a + b, 0);
    if (!ACCEPT_ONLY && runs !== tally.accepted)
      throw new Error(`${runs} runs for ${tally.accepted} accepted events`);
    const workerCpu1 = procs.reduce((t, c) => t + cpuSeconds(c.pid!), 0);
    await samplePostgres(true);
    sampling = false;
    await sampler;
    const postgresCpu = [...pgCpu.values()].reduce((t, b) => t + b.last - b.first, 0);
    const row = {
      label,
      client: CLIENT.kind === 'http' ? `http, ${CLIENT.sockets} sockets per worker` : 'fetch',
      latencyP50Ms: pct(latencies, 50),
      latencyP99Ms: pct(latencies, 99),
      burstRunsPerSec: ACCEPT_ONLY ? 0 : Math.round((BURST / (end - burstStart)) * 1000),
      burstAcceptMs: accepted - burstStart,
      // CPU milliseconds the workers used per POST while the burst was being accepted (they start its
      // runs meanwhile too): what the wall time above costs, less noisy on a shared machine.
      // When the burst's POSTs were answered (ms from its start: half of them, 99 %), and how many were
      // sent again after their connection broke.
      burstAnsweredP50Ms: pct(postMs, 50),
      burstAnsweredP99Ms: pct(postMs, 99),
      burstRetries: retriedCount() - retriesBefore,
      // This process's own CPU per POST while sending them (fetch, JSON, its sampler): with 2 cores and
      // 4 workers, a client near 1 ms per POST bounds the accept time by itself.
      benchCpuMsPerPost: Math.round(((benchCpu.user + benchCpu.system) / 1000 / BURST) * 100) / 100,
      workerCpuMsPerAcceptedPost: Math.round(((workerCpuAccepted - workerCpu0) / BURST) * 1e4) / 10,
      // CPU milliseconds per run of the burst, summed over the workers and over the Postgres backends of
      // this database (the bench's own counting connection included: one small query every 50 ms).
      workerCpuMsPerRun: Math.round(((workerCpu1 - workerCpu0) / BURST) * 1e4) / 10,
      postgresCpuMsPerRun: Math.round((postgresCpu / BURST) * 1e4) / 10,
    };
    process.stdout.write(`${JSON.stringify(row)}\n`);
    return row;
  } catch (err) {
    // Says what became of every event, and of every run, so a stop tells a refused event from a lost run
    // (an accepted event without a run) and from a stalled one (a run left queued or running).
    const runs = await count.byStatus().catch((e: Error) => `unreadable (${e.message})`);
    const total = typeof runs === 'string' ? undefined : Object.values(runs).reduce((a, b) => a + b, 0);
    throw new Error(
      `${label}: ${(err as Error).message}. Events posted ${tally.posted}, accepted (202) ${tally.accepted}, ` +
        `refused ${JSON.stringify(tally.refused)}, sent again ${JSON.stringify(tally.retried)}; ` +
        `runs ${total ?? ''} by status ${JSON.stringify(runs)}` +
        (total !== undefined && total < tally.accepted
          ? ` (FEWER RUNS THAN ACCEPTED EVENTS: lost runs)`
          : ''),
      { cause: (err as Error).cause },
    );
  } finally {
    // Stops the Postgres sampler first, whatever stopped the bench: it polls until told to.
    sampling = false;
    await sampler?.catch(() => {});
    client.close();
    await asker?.end().catch(() => {});
    // Profiled workers must exit on their own to write their profiles; otherwise kill at once.
    const signal = process.env.BENCH_WORKER_NODE_ARGS ? 'SIGTERM' : 'SIGKILL';
    await Promise.all(
      procs.map(
        (c) =>
          new Promise((resolve) => {
            c.once('exit', resolve);
            c.kill(signal);
          }),
      ),
    );
    await count.close();
    await store.close();
    // BENCH_KEEP_SCHEMA=1 keeps the bench's schema (its name on stderr) for pg_stat_user_tables and EXPLAIN.
    if (kind === 'postgres' && process.env.BENCH_KEEP_SCHEMA) process.stderr.write(`kept schema ${schema}\n`);
    else if (kind === 'postgres') {
      const c = new pg.Client({ connectionString: PG });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
    p.cleanup();
  }
}

// --only embedded|pg1|pg4 (repeatable) runs a subset.
const only = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--only' ? [a] : []));
const want = (k: string) => only.length === 0 || only.includes(k);
const rows: Awaited<ReturnType<typeof measure>>[] = [];
try {
  if (want('embedded')) rows.push(await measure('embedded (SQLite, 1 process)', 1, 'sqlite'));
  if (want('pg1') || want('pg4')) {
    const c = new pg.Client({ connectionString: PG, connectionTimeoutMillis: 2000 });
    await c.connect();
    await c.end();
  }
  if (want('pg1')) rows.push(await measure('Postgres, 1 worker', 1, 'postgres'));
  if (want('pg4')) rows.push(await measure('Postgres, 4 workers', 4, 'postgres'));
} catch (err) {
  // The cause says which (a refused connection: a worker died; a timeout: the machine is overloaded).
  const cause = (err as Error).cause;
  process.stderr.write(
    `bench stopped: ${(err as Error).message}${cause ? ` (${String((cause as Error).message ?? cause)})` : ''}\n`,
  );
  process.exitCode = 1;
}
process.stdout.write(
  `\n| setup | event-to-start p50 ms | p99 ms (at ${RATE}/s) | burst of ${BURST}: runs/s |\n|---|---|---|---|\n`,
);
for (const r of rows)
  process.stdout.write(`| ${r.label} | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${r.burstRunsPerSec} |\n`);
// Workers are killed and every client closed by now; anything still holding the loop (a fetch keep-alive
// socket) must not keep a stopped bench alive.
if (process.exitCode) process.exit();
