// Goal 4's floor with nightshift's own commits: a bare loop that makes exactly the store writes a
// sequential durable-runs run makes (the same SQLite store, the same records, the same transactions),
// with no engine, policy, ledger, audit hashing or model in between. The records are taken from a real
// run of the durable-runs task (every Store call it makes, through the store API), then replayed run
// after run with a fresh run id and fresh times; so the floor writes what nightshift writes, and what is
// left between nightshift and this floor is the engine's own CPU.
//
//   node dist/bench/floor-same-commits.js --child [--n 1500] [--synced] [--reads] [--count]   # one JSON line
//   node dist/bench/floor-same-commits.js [--reps 3] [--n 1500] [--synced] [--peer-bench DIR]
//        # alternates nightshift (durable-runs --child --concurrency 1, --unsynced unless --synced), this
//        # floor and, given a peer-bench checkout with node_modules, its baseline loop; a table with ratios
//
// --synced keeps the claim's fsync (the non-idempotent call's commit is synced, as nightshift does by
// default); without it every commit is at NORMAL, as durable-runs --unsynced. --reads also replays the
// store reads the run made (the active version's read), which are not commits.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIdSource } from '../src/clock.js';
import { createRuntime } from '../src/runtime.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { SqliteStore } from '../src/store/sqlite/store.js';
import { tempDir } from '../test/support/tmp.js';
import { scriptedTaskRole } from './wire-task.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

/** The Store calls a run makes: the writes (each one transaction) and, with --reads, the reads. */
const WRITES = new Set(['createRun', 'commit']);
const READS = new Set(['activePromotion']);

interface Call {
  method: string;
  args: unknown[];
}

/**
 * Runs the durable-runs task in a runtime and records every Store API call of one run after `warm` runs
 * (the methods a run called; a method not in WRITES or READS fails the recording, so a new kind of write
 * cannot be left out of the floor unnoticed).
 */
async function record(dir: string, warm: number): Promise<{ calls: Call[]; runId: string; at: number }> {
  const role = scriptedTaskRole(dir);
  const runtime = await createRuntime({ dataDir: join(dir, 'recorded') });
  const store = runtime.store as unknown as Record<string, (...args: unknown[]) => unknown>;
  const calls: Call[] = [];
  let recording = false;
  // The Store API methods (the prototype's own functions but the internal read/write paths).
  const proto = Object.getPrototypeOf(store) as object;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (name === 'constructor' || name === 'read' || name === 'write' || typeof d?.value !== 'function')
      continue;
    const original = store[name]!.bind(store);
    store[name] = (...args: unknown[]) => {
      if (recording) calls.push({ method: name, args: structuredClone(args) });
      return original(...args);
    };
  }
  const once = async () => {
    const r = await runtime.run(role, { customerId: 'cust-42' });
    if (r.status !== 'succeeded') throw new Error(`run ${r.runId} ended ${r.status}`);
    return r.runId;
  };
  for (let i = 0; i < warm; i++) await once();
  recording = true;
  const runId = await once();
  recording = false;
  await runtime.close();
  const unknown = calls.filter((c) => !WRITES.has(c.method) && !READS.has(c.method));
  if (unknown.length > 0)
    throw new Error(`the run called ${unknown.map((c) => c.method).join(', ')}: not replayed`);
  const created = calls.find((c) => c.method === 'createRun');
  if (!created) throw new Error('no createRun recorded');
  return { calls, runId, at: (created.args[0] as { createdAt: number }).createdAt };
}

/** One run's calls with a fresh run id and its times moved by `shift` ms (built before the clock starts). */
function builder(rec: { calls: Call[]; runId: string; at: number }, keep: Set<string>, synced: boolean) {
  const calls = rec.calls.filter((c) => keep.has(c.method));
  const text = JSON.stringify(calls);
  // Every time in the records is within a minute of the run's creation (leaseUntil: 30 s after).
  const near = (n: number) => n >= rec.at - 60_000 && n <= rec.at + 120_000;
  return (runId: string, shift: number): Call[] => {
    const moved = text
      .split(rec.runId)
      .join(runId)
      .replace(/\b\d{13}\b/g, (m) => (near(Number(m)) ? String(Number(m) + shift) : m));
    const out = JSON.parse(moved) as Call[];
    if (!synced) {
      for (const c of out) if (c.method === 'commit') delete (c.args[0] as { durable?: boolean }).durable;
    }
    return out;
  };
}

async function child(): Promise<void> {
  const n = Number(arg('n', '1500'));
  const warmup = 100;
  const synced = flag('synced');
  const keep = new Set([...WRITES, ...(flag('reads') ? READS : [])]);
  const tmp = tempDir('nightshift-floor-');
  try {
    const rec = await record(tmp.path, 20);
    const build = builder(rec, keep, synced);
    const store = openSqliteStore({
      dataDir: join(tmp.path, 'floor'),
      backgroundCheckpoints: false,
    }) as SqliteStore;
    await store.init();
    // Fresh ids as the engine makes them, one millisecond apart (ids sort by creation, as real runs' do).
    const base = Date.now();
    let tick = base;
    const ids = createIdSource({ now: () => tick });
    const runs: (Call[] | undefined)[] = [];
    const runIds: string[] = [];
    for (let i = 0; i < warmup + n; i++) {
      tick = base + i;
      const id = ids.next('run');
      runIds.push(id);
      runs.push(build(id, base + i - rec.at));
    }
    const api = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const replay = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        for (const c of runs[i]!) await api[c.method]!.apply(store, c.args);
        runs[i] = undefined;
      }
    };
    await replay(0, warmup);
    // --count: SQL statements executed per run (better-sqlite3's Statement methods wrapped; costs CPU,
    // so not with timings that matter).
    let statements = 0;
    if (flag('count')) {
      const proto = Object.getPrototypeOf(store.db.prepare('SELECT 1')) as Record<
        string,
        (...args: unknown[]) => unknown
      >;
      for (const m of ['run', 'get', 'all', 'iterate']) {
        const f = proto[m]!;
        proto[m] = function (this: unknown, ...a: unknown[]) {
          statements++;
          return f.apply(this, a);
        };
      }
    }
    const tx0 = store.commitStats.transactions;
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    await replay(warmup, warmup + n);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    const transactionsPerRun = (store.commitStats.transactions - tx0) / n;
    // Verify from the store: the last run is there whole, as nightshift's was.
    const snap = await store.loadRun(runIds.at(-1)!);
    if (snap?.run.status !== 'succeeded' || snap.steps.length !== 15 || snap.toolCalls.length !== 3) {
      throw new Error(`replayed run incomplete: ${snap?.run.status}, ${snap?.steps.length} steps`);
    }
    const fsyncs = store.walSyncStats.fsyncs;
    await store.close();
    process.stdout.write(
      `${JSON.stringify({
        n,
        ms,
        runsPerSec: (n / ms) * 1000,
        cpuMsPerRun: (cpu.user + cpu.system) / 1000 / n,
        callsPerRun: rec.calls.filter((c) => keep.has(c.method)).map((c) => c.method),
        transactionsPerRun,
        ...(flag('count') ? { statementsPerRun: statements / n } : {}),
        stepsPerRun: snap.steps.length,
        fsyncsPerRun: fsyncs / (n + warmup),
      })}\n`,
    );
  } finally {
    tmp.cleanup();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

function spawnJson(cmd: string[], cwd?: string): Record<string, number> & { cpuUs?: number } {
  const out = spawnSync(process.execPath, cmd, { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
  if (out.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${out.stderr}`);
  const cpu = /CPU_US (\d+)/.exec(out.stderr)?.[1];
  return { ...JSON.parse(out.stdout.trim().split('\n').at(-1)!), ...(cpu ? { cpuUs: Number(cpu) } : {}) };
}

// The peer harness reports no CPU time: the process's total is printed at exit (a preload), and a run
// with --n 0 (the same import, setup and warm-up) is subtracted, so CPU per run = (T(n) - T(0)) / n.
const EXIT_CPU =
  'data:text/javascript,process.on("exit",()=>{const c=process.cpuUsage();process.stderr.write("CPU_US "+(c.user+c.system)+"\\n")})';

/** peer-bench's baseline loop (the floor the issue's figure was measured against): runs/s and CPU ms per run. */
function peerFloor(dir: string, n: string): { runsPerSec: number; cpuMsPerRun: number } {
  const cmd = (count: string) => [
    '--import',
    EXIT_CPU,
    '--expose-gc',
    'agent/harness.mjs',
    '--fw',
    'baseline',
    '--persist',
    'sqlite-normal',
    '--n',
    count,
    '--concurrency',
    '1',
  ];
  const full = spawnJson(cmd(n), dir);
  const empty = spawnJson(cmd('0'), dir);
  return { runsPerSec: full.runsPerSec!, cpuMsPerRun: (full.cpuUs! - empty.cpuUs!) / 1000 / Number(n) };
}

function parent(): void {
  const reps = Number(arg('reps', '3'));
  const n = arg('n', '1500');
  const synced = flag('synced');
  const peer = arg('peer-bench', '');
  const here = fileURLToPath(import.meta.url);
  const durableRuns = join(here, '..', 'durable-runs.js');
  const rows: {
    load: number;
    ns: Record<string, number>;
    floor: Record<string, number>;
    peer?: { runsPerSec: number; cpuMsPerRun: number };
  }[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const load = loadavg()[0]!;
    const ns = spawnJson([
      durableRuns,
      '--child',
      '--n',
      n,
      '--concurrency',
      '1',
      ...(synced ? [] : ['--unsynced']),
    ]);
    const floor = spawnJson([here, '--child', '--n', n, ...(synced ? ['--synced'] : [])]);
    const peerRow = peer ? peerFloor(peer, n) : undefined;
    rows.push({ load, ns, floor, ...(peerRow ? { peer: peerRow } : {}) });
    process.stderr.write(
      `rep ${rep + 1} (load ${load.toFixed(1)}): nightshift ${ns.runsPerSec!.toFixed(0)} runs/s ${ns.cpuMsPerRun!.toFixed(3)} CPU ms, floor ${floor.runsPerSec!.toFixed(0)} runs/s ${floor.cpuMsPerRun!.toFixed(3)} CPU ms${peerRow ? `, peer-bench baseline ${peerRow.runsPerSec.toFixed(0)} runs/s ${peerRow.cpuMsPerRun.toFixed(3)} CPU ms` : ''}\n`,
    );
  }
  const lines = [
    `sequential durable-runs task, n=${n}, ${synced ? 'claim synced' : 'unsynced (every commit at NORMAL)'}, ${reps} alternated repetitions`,
    '| rep | load avg (1 min) | nightshift runs/s | CPU ms/run | same-commits floor runs/s | CPU ms/run | nightshift / floor, runs/s | CPU floor / nightshift | peer-bench baseline runs/s | CPU ms/run | nightshift / peer floor, runs/s | CPU peer floor / nightshift |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  rows.forEach((r, i) => {
    lines.push(
      `| ${i + 1} | ${r.load.toFixed(1)} | ${r.ns.runsPerSec!.toFixed(0)} | ${r.ns.cpuMsPerRun!.toFixed(3)} | ${r.floor.runsPerSec!.toFixed(0)} | ${r.floor.cpuMsPerRun!.toFixed(3)} | ${(r.ns.runsPerSec! / r.floor.runsPerSec!).toFixed(2)} | ${(r.floor.cpuMsPerRun! / r.ns.cpuMsPerRun!).toFixed(2)} | ${r.peer?.runsPerSec.toFixed(0) ?? '-'} | ${r.peer?.cpuMsPerRun.toFixed(3) ?? '-'} | ${r.peer ? (r.ns.runsPerSec! / r.peer.runsPerSec).toFixed(2) : '-'} | ${r.peer ? (r.peer.cpuMsPerRun / r.ns.cpuMsPerRun!).toFixed(2) : '-'} |`,
    );
  });
  const ratio = rows.map((r) => r.ns.runsPerSec! / r.floor.runsPerSec!);
  lines.push(
    `nightshift / same-commits floor (runs/s): median ${median(ratio).toFixed(2)} (${Math.min(...ratio).toFixed(2)}–${Math.max(...ratio).toFixed(2)}); floor transactions per run ${rows[0]!.floor.transactionsPerRun}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (flag('child')) {
  child().catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  });
} else {
  parent();
}
