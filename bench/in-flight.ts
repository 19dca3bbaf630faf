// Many runs in flight on one worker process, against a model that takes 2 s per turn. The fake Responses
// server runs in its own child process (its CPU and memory are not the worker's) and streams each answer
// over `--turn-ms` (SSE events, or the JSON body, in five pieces spread over the time). A worker child
// keeps N runs of the peers' task in flight (4 model turns: lookup → update → notify → final): as one run
// ends the next starts. The N slots start spread over one run-length (the warm-up), then `--window`
// run-lengths are measured.
// Reported: runs/s against the ideal (N / run duration, the run duration being 4 × turn-ms), peak RSS
// and RSS per in-flight run, event-loop delay p99 (perf_hooks.monitorEventLoopDelay), the store commit
// latency p99 (nightshift only: from the runtime's commit observer, queueing for group commit included),
// and the fake's own event-loop delay p99 (if the fake lags, every loop is slowed alike).
//
//   npm run build && node dist/bench/in-flight.js --n 1000,5000,10000 --reps 3
//   node dist/bench/in-flight.js --n 1000 --loops task:nightshift --reps 1   # one configuration
//   node dist/bench/in-flight.js --n 5000 --drain-s 60   # wait at most 60 s for the runs after the window
//   node dist/bench/in-flight.js --n 1000 --loops task:nightshift --reps 1 --heap-snapshot /tmp/snap
//   BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' node dist/bench/in-flight.js ...
//   node dist/bench/in-flight.js --n 1000 --heap-growing-percent 0   # V8's own heap growth for every loop
//
// Heap growth: the nightshift worker runs with what `nightshift serve` sets (V8's --heap-growing-percent,
// serve's default, decision 043), the peers with V8's own policy; `--heap-growing-percent P` sets P for
// every loop (0: V8's own). Each row's `peakSplitKb` splits the RSS per run where it peaked (new space,
// the rest of the heap, ArrayBuffers, other external, outside V8, anonymous and file-backed pages).
//
// Sockets: every in-flight run holds one keep-alive connection to the fake, so each process needs
// N + a few file descriptors (`ulimit -n`, checked here). Node's fetch (undici's global Agent, used by the
// AI SDK and the openai client) and nightshift's node:http agent (since decision 040) set no connection
// limit per origin.
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { SERVE_DEFAULTS } from '../src/config/serve-settings.js';
import { applyHeapGrowth } from '../src/server/heap-growth.js';
import type { RunStatus } from '../src/store/types.js';
import type { FakeReply, FakeRequest } from '../test/support/fake-llm.js';
import { startFakeOpenAIResponses } from '../test/support/fake-openai-responses.js';
import {
  counters,
  impl,
  KEY,
  nightshiftTask,
  PLAN,
  PROMPT,
  scripted,
  TASK_CONFIGS,
  type TaskConfig,
  type TaskSubject,
  taskSubject,
} from './wire-task.js';

const TURNS_PER_RUN = 4;

/** The loops measured; `task:raw-fetch` is the floor: the wire alone, no agent loop (opt in with --loops). */
type Loop = TaskConfig | 'task:raw-fetch' | 'task:raw-http';

/** node:http with a keep-alive agent (one socket per request in flight, as undici's pool has). */
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
function httpPost(url: string, headers: Record<string, string>, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent: httpAgent }, (res) => {
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The floor of an in-flight run: the four turns as bare streamed POSTs of a Responses request of the same
 * shape (system prompt, the tool calls and results so far, three function tools), each answer read whole,
 * and the tools "run" (counted) in between. `task:raw-http` does the same over node:http instead of fetch. What a run costs above this is the loop's; what this costs is
 * fetch's (undici's sockets, streams and buffers) and V8's heap policy over them.
 */
function rawFetchTask(url: string, transport: 'fetch' | 'http'): TaskSubject {
  const tool = (name: string, props: string[]) => ({
    type: 'function',
    name,
    description: `the ${name} tool`,
    parameters: {
      type: 'object',
      properties: Object.fromEntries(props.map((p) => [p, { type: 'string' }])),
      required: props,
      additionalProperties: false,
    },
    strict: true,
  });
  const tools = [
    tool('crm_lookup', ['customerId']),
    tool('crm_update', ['customerId', 'field', 'value']),
    tool('chat_notify', ['channel', 'message']),
  ];
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };
  return {
    once: async () => {
      const input: unknown[] = [
        { role: 'system', content: PROMPT },
        { role: 'user', content: 'Input:\n{\n  "customerId": "cust-42"\n}' },
      ];
      for (let turn = 0; turn < TURNS_PER_RUN; turn++) {
        const body = JSON.stringify({ model: 'gpt-4.1-mini', input, tools, stream: true });
        const text =
          transport === 'fetch'
            ? await (await fetch(`${url}/responses`, { method: 'POST', headers, body })).text()
            : await httpPost(`${url}/responses`, headers, body);
        const step = PLAN[turn];
        if (!step) {
          if (!text.includes('response.completed')) throw new Error('raw fetch: no final answer');
          return;
        }
        if (!text.includes('function_call')) throw new Error(`raw fetch: turn ${turn} called no tool`);
        const out = (impl as Record<string, (a: never) => unknown>)[step.tool]!(step.args as never);
        const callId = `call_${turn}`;
        input.push(
          {
            type: 'function_call',
            call_id: callId,
            name: `x_${step.tool}`,
            arguments: JSON.stringify(step.args),
          },
          { type: 'function_call_output', call_id: callId, output: JSON.stringify(out) },
        );
      }
    },
    close: async () => {},
  };
}

/** The kB fields of /proc/self/status (Linux; empty elsewhere), in bytes. */
function readProcStatus(): Record<string, number> {
  try {
    const out: Record<string, number> = {};
    for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const m = /^(\w+):\s+(\d+) kB/.exec(line);
      if (m) out[m[1]!] = Number(m[2]) * 1024;
    }
    return out;
  } catch {
    return {};
  }
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

// ── the fake provider (its own process) ──

async function fakeChild(turnMs: number): Promise<void> {
  const fake = await startFakeOpenAIResponses();
  const paced = (req: FakeRequest): FakeReply => ({ ...(scripted(req) as FakeReply), spreadMs: turnMs });
  // Every request gets the scripted answer: the queue is topped up, and what was received forgotten.
  const topUp = () => {
    fake.requests.length = 0;
    if (fake.remaining() < 20_000) fake.enqueue(...Array.from({ length: 20_000 }, () => paced));
  };
  topUp();
  setInterval(topUp, 100);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on('message', (m: string) => {
    if (m === 'reset') delay.reset();
    if (m === 'report') process.send!({ fakeDelayP99Ms: round(delay.percentile(99) / 1e6) });
  });
  process.send!({ url: fake.url });
}

// ── the worker (its own process) ──

interface WorkerRow {
  loop: Loop;
  n: number;
  runsPerSec: number;
  idealRunsPerSec: number;
  ofIdeal: number;
  runP50Ms: number;
  runP99Ms: number;
  baseRssMb: number;
  peakRssMb: number;
  windowRssMb: number;
  rssPerRunKb: number;
  /** Peak heapUsed in the window over the baseline: garbage not yet collected included. */
  heapPerRunKb: number;
  /** Peak heap reserved by V8 (heapTotal) over the baseline: what of the RSS is the JS heap. */
  heapTotalPerRunKb: number;
  /** Peak memory outside the JS heap that V8 knows of (buffers), over the baseline. */
  externalPerRunKb: number;
  /** heapUsed after a full GC with every run still in flight: what an in-flight run keeps alive. */
  liveHeapPerRunKb: number;
  /**
   * The RSS per run split, at the sample where RSS peaked (each over the same baseline, per run): V8's
   * young generation (new space: reserved semi-spaces), the rest of the JS heap reserved (old, code, map,
   * large-object spaces), ArrayBuffers (buffers held by JS), and what is left: memory that neither V8 nor
   * JS accounts for (malloc'd by libuv, node:http's parser, SQLite, OpenSSL; glibc arenas and their
   * fragmentation). RssAnon/RssFile from /proc/self/status: file-backed pages (code, mapped files) are not
   * per-run memory.
   */
  /** V8's heap growth the worker ran with (0: V8's own policy). */
  heapGrowingPercent: number;
  peakSplitKb: {
    newSpace: number;
    otherHeap: number;
    arrayBuffers: number;
    externalNonAb: number;
    outsideV8: number;
    rssAnon: number;
    rssFile: number;
  };
  delayP99Ms: number;
  delayMaxMs: number;
  commitP99Ms: number | undefined;
  commitsPerSec: number | undefined;
  /** Lease renewal statements (store calls) per second in the window, and the leases they renewed. */
  renewalsPerSec: number | undefined;
  renewedLeasesPerSec: number | undefined;
  cpuPct: number;
  /** Worker CPU (user + system) per run finished in the window: what decides how many runs a core hosts. */
  cpuMsPerRun: number;
  /** The same over every run (warm-up, ramp and drain included): defined even when few end in the window. */
  cpuMsPerRunAll: number;
  runs: number;
  /** Slots whose run had not ended --drain-s after the window (those runs were not verified). */
  unverified: number;
}

/**
 * Counts the lease renewals the worker sends while `measuring()`: one statement per `renewLease` call, and
 * per `renewLeases` call (the batched renewal, where the store has it) however many leases it carries.
 * Patched on the instance, as the commit tap does (the stores are class instances).
 */
function countRenewals(
  store: object,
  measuring: () => boolean,
  into: { statements: number; leases: number },
): void {
  const s = store as Record<string, unknown>;
  const single = s.renewLease as ((...a: unknown[]) => Promise<unknown>) | undefined;
  if (single) {
    const f = single.bind(store);
    s.renewLease = (...a: unknown[]) => {
      if (measuring()) {
        into.statements++;
        into.leases++;
      }
      return f(...a);
    };
  }
  const batched = s.renewLeases as ((items: unknown[]) => Promise<unknown>) | undefined;
  if (batched) {
    const f = batched.bind(store);
    s.renewLeases = (items: unknown[]) => {
      if (measuring() && items.length > 0) {
        into.statements++;
        into.leases += items.length;
      }
      return f(items);
    };
  }
}

async function workerChild(
  loop: Loop,
  n: number,
  url: string,
  turnMs: number,
  window: number,
  drainS: number,
  heapSnapshotDir: string | undefined,
  heapGrowingPercent: number | undefined,
) {
  // V8's heap growth: what `nightshift serve` sets (its default) for nightshift, V8's own policy for the
  // peers, unless --heap-growing-percent gives one for every loop (0: V8's own for all).
  const growth = heapGrowingPercent ?? (loop === 'task:nightshift' ? SERVE_DEFAULTS.heapGrowingPercent : 0);
  applyHeapGrowth(growth);
  const commitMs: number[] = [];
  const renewals = { statements: 0, leases: 0 };
  let measuring = false;
  let nightshift: Awaited<ReturnType<typeof nightshiftTask>> | undefined;
  let subject: TaskSubject;
  if (loop === 'task:nightshift') {
    nightshift = await nightshiftTask(url, {
      observers: [{ committed: (c) => measuring && commitMs.push(c.commitMs) }],
    });
    subject = nightshift;
    countRenewals(nightshift.runtime.store, () => measuring, renewals);
  } else if (loop === 'task:raw-fetch') subject = rawFetchTask(url, 'fetch');
  else if (loop === 'task:raw-http') subject = rawFetchTask(url, 'http');
  else subject = await taskSubject(loop, url);
  const runMs = TURNS_PER_RUN * turnMs;
  // One run first, so the loop's code is loaded and the baseline below holds it.
  await subject.once();
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage();
  const delay = monitorEventLoopDelay({ resolution: 10 });

  let stopping = false;
  let started = 1;
  let failed: unknown;
  let inWindow = 0;
  const durations: number[] = [];
  const slot = async (i: number) => {
    // Starts spread over one run-length, as independent runs would be (all at once, their turns would
    // end together, every 2 s, forever: a herd no real workload has).
    await new Promise((r) => setTimeout(r, (i * runMs) / n));
    while (!stopping && failed === undefined) {
      started++;
      const t0 = performance.now();
      try {
        await subject.once();
      } catch (err) {
        failed ??= err;
        return;
      }
      if (measuring) {
        inWindow++;
        durations.push(performance.now() - t0);
      }
    }
  };
  const split = () => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(
      getHeapSpaceStatistics().map((x) => [x.space_name, x.space_size]),
    ) as Record<string, number>;
    const status = readProcStatus();
    const newSpace = spaces.new_space ?? 0;
    return {
      rss: m.rss,
      newSpace,
      otherHeap: m.heapTotal - newSpace,
      arrayBuffers: m.arrayBuffers,
      externalNonAb: m.external - m.arrayBuffers,
      outsideV8: m.rss - m.heapTotal - m.external,
      rssAnon: status.RssAnon ?? 0,
      rssFile: status.RssFile ?? 0,
    };
  };
  const baseSplit = split();
  let peakSplit = baseSplit;
  let windowRss = 0;
  let windowHeap = 0;
  let windowHeapTotal = 0;
  let windowExternal = 0;
  const sampler = setInterval(() => {
    if (!measuring) return;
    const m = process.memoryUsage();
    if (m.rss > windowRss) peakSplit = split();
    windowRss = Math.max(windowRss, m.rss);
    windowHeap = Math.max(windowHeap, m.heapUsed);
    windowHeapTotal = Math.max(windowHeapTotal, m.heapTotal);
    windowExternal = Math.max(windowExternal, m.external);
  }, 250);
  const cpuStart = process.cpuUsage();
  const slots = Array.from({ length: n }, (_, i) => slot(i));
  // Warm-up: one run-length, so every slot has started and the first wave of connections is open.
  await new Promise((r) => setTimeout(r, runMs));
  measuring = true;
  delay.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (heapSnapshotDir) {
    // Halfway through the window every slot is waiting on a turn: what the heap holds then is what an
    // in-flight run costs. (Writing the snapshot stops the loop for seconds: only for looking, not figures.)
    await new Promise((r) => setTimeout(r, (window * runMs) / 2));
    const { writeHeapSnapshot } = await import('node:v8');
    process.stderr.write(
      `heap snapshot: ${writeHeapSnapshot(join(heapSnapshotDir, `in-flight-${loop.slice(5)}-${n}.heapsnapshot`))}\n`,
    );
    await new Promise((r) => setTimeout(r, (window * runMs) / 2));
  } else await new Promise((r) => setTimeout(r, window * runMs));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  measuring = false;
  delay.disable();
  stopping = true;
  clearInterval(sampler);
  // What the runs in flight keep alive (the window's heapUsed also counts garbage not yet collected): a
  // full collection while they are all still waiting on a turn, after the window so its pause is not in it.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const liveHeap = process.memoryUsage().heapUsed;
  // The runs in flight are waited for (at most --drain-s seconds: on a starved machine the figures above
  // are still worth having, but then the row says the runs were not all verified).
  let finished = 0;
  const drained = await Promise.race([
    Promise.all(slots.map((p) => p.then(() => finished++))).then(() => true),
    new Promise<false>((r) => setTimeout(() => r(false), drainS * 1000).unref()),
  ]);
  if (failed !== undefined) throw failed;
  const cpuAll = process.cpuUsage(cpuStart);

  // Verify: every run started ran its three tools; for nightshift, every run succeeded in the store with
  // three allowed policy decisions and three tool results committed (50 runs read back).
  for (const k of ['lookup', 'update', 'notify'] as const) {
    if (drained && counters[k] !== started)
      throw new Error(`tool ${k} ran ${counters[k]} times for ${started} runs`);
  }
  if (nightshift && drained) {
    const store = nightshift.runtime.store;
    const statuses: RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
    const counts = await store.countRuns(statuses);
    if (counts.succeeded !== started) throw new Error(`store: ${JSON.stringify(counts)} of ${started} runs`);
    const sample = await store.listRuns({ limit: 50 });
    for (const r of sample) {
      const snap = (await store.loadRun(r.id))!;
      const decisions = snap.steps.filter(
        (s) => s.kind === 'decision' && (s.data as { decision?: string }).decision === 'allow',
      ).length;
      const results = snap.steps.filter(
        (s) => s.kind === 'tool_finished' && (s.data as { ok?: boolean }).ok === true,
      ).length;
      if (decisions !== 3 || results !== 3)
        throw new Error(`run ${r.id}: ${decisions} decisions and ${results} tool results, not 3 and 3`);
    }
  }
  if (drained) await subject.close();
  const runsPerSec = inWindow / seconds;
  const idealRunsPerSec = n / (runMs / 1000);
  const row: WorkerRow = {
    loop,
    n,
    runsPerSec: round(runsPerSec),
    idealRunsPerSec: round(idealRunsPerSec),
    ofIdeal: round(runsPerSec / idealRunsPerSec, 3),
    runP50Ms: Math.round(percentile(durations, 50)),
    runP99Ms: Math.round(percentile(durations, 99)),
    baseRssMb: Math.round(base.rss / 2 ** 20),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    windowRssMb: Math.round(windowRss / 2 ** 20),
    rssPerRunKb: round((windowRss - base.rss) / n / 1024),
    heapPerRunKb: round((windowHeap - base.heapUsed) / n / 1024),
    heapTotalPerRunKb: round((windowHeapTotal - base.heapTotal) / n / 1024),
    externalPerRunKb: round((windowExternal - base.external) / n / 1024),
    liveHeapPerRunKb: round((liveHeap - base.heapUsed) / n / 1024),
    heapGrowingPercent: growth,
    peakSplitKb: {
      newSpace: round((peakSplit.newSpace - baseSplit.newSpace) / n / 1024),
      otherHeap: round((peakSplit.otherHeap - baseSplit.otherHeap) / n / 1024),
      arrayBuffers: round((peakSplit.arrayBuffers - baseSplit.arrayBuffers) / n / 1024),
      externalNonAb: round((peakSplit.externalNonAb - baseSplit.externalNonAb) / n / 1024),
      outsideV8: round((peakSplit.outsideV8 - baseSplit.outsideV8) / n / 1024),
      rssAnon: round((peakSplit.rssAnon - baseSplit.rssAnon) / n / 1024),
      rssFile: round((peakSplit.rssFile - baseSplit.rssFile) / n / 1024),
    },
    delayP99Ms: round(delay.percentile(99) / 1e6),
    delayMaxMs: round(delay.max / 1e6),
    commitP99Ms: nightshift ? round(percentile(commitMs, 99), 2) : undefined,
    commitsPerSec: nightshift ? Math.round(commitMs.length / seconds) : undefined,
    renewalsPerSec: nightshift ? round(renewals.statements / seconds, 2) : undefined,
    renewedLeasesPerSec: nightshift ? round(renewals.leases / seconds, 1) : undefined,
    cpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100),
    cpuMsPerRun: round((cpu.user + cpu.system) / 1000 / inWindow, 2),
    cpuMsPerRunAll: round((cpuAll.user + cpuAll.system) / 1000 / (started - 1), 2),
    runs: started,
    unverified: drained ? 0 : n - finished,
  };
  return row;
}

// ── the parent: the fake in one child, each measurement in a fresh worker child, interleaved ──

function once<T>(child: ChildProcess, pick: (m: unknown) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      const v = pick(m);
      if (v === undefined) return;
      child.off('message', onMessage);
      resolve(v);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
}

async function measure(self: string, loop: Loop, n: number, url: string, rest: string[]) {
  const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = fork(self, ['--worker', loop, '--n', String(n), '--url', url, ...rest], {
    // --expose-gc: the baseline and the live heap are measured after a full collection (every loop alike).
    execArgv: ['--max-old-space-size=4096', '--expose-gc', ...nodeArgs],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return once(child, (m) => (m as { row?: WorkerRow }).row);
}

async function parent(): Promise<void> {
  const ns = arg('n', '1000,5000,10000').split(',').map(Number);
  const loops = arg('loops', TASK_CONFIGS.join(',')).split(',') as Loop[];
  const reps = Number(arg('reps', '3'));
  const turnMs = arg('turn-ms', '2000');
  const window = arg('window', '2');
  const drainS = arg('drain-s', '600');
  // --heap-snapshot <dir>: each worker writes a heap snapshot halfway through its window (its figures
  // are then not comparable: the snapshot stops the loop).
  const heapSnapshot = arg('heap-snapshot', '');
  // --heap-growing-percent <p>: V8's heap growth for every loop's worker (default: serve's for nightshift,
  // V8's own for the peers; 0: V8's own for all).
  const heapGrowth = arg('heap-growing-percent', '');
  const self = fileURLToPath(import.meta.url);
  const fds = Number(
    (await import('node:child_process')).execSync('ulimit -n', { shell: '/bin/sh' }).toString(),
  );
  if (fds < Math.max(...ns) + 200)
    throw new Error(`ulimit -n is ${fds}: each process needs one descriptor per in-flight run and some`);
  const fake = fork(self, ['--fake', '--turn-ms', turnMs], {
    execArgv: ['--max-old-space-size=4096'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await once(fake, (m) => (m as { url?: string }).url);
  const rows: (WorkerRow & { fakeDelayP99Ms: number })[] = [];
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const n of ns) {
        for (const loop of loops) {
          fake.send('reset');
          const row = await measure(self, loop, n, url, [
            '--turn-ms',
            turnMs,
            '--window',
            window,
            '--drain-s',
            drainS,
            ...(heapSnapshot ? ['--heap-snapshot', heapSnapshot] : []),
            ...(heapGrowth ? ['--heap-growing-percent', heapGrowth] : []),
          ]);
          fake.send('report');
          const f = await once(fake, (m) => (m as { fakeDelayP99Ms?: number }).fakeDelayP99Ms);
          rows.push({ ...row, fakeDelayP99Ms: f });
          process.stderr.write(`rep ${rep + 1}: ${JSON.stringify(rows.at(-1))}\n`);
        }
      }
    }
  } finally {
    fake.kill();
  }
  const range = (xs: number[], digits = 0) =>
    `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
  const lines = [
    `turn ${turnMs} ms, ${TURNS_PER_RUN} turns per run, window ${window} run-lengths, min–max of ${reps}`,
    '| loop | N | runs/s | × ideal | run p99 s | peak RSS MB | KB RSS / run | loop delay p99 ms | commit p99 ms | renewal statements / s (leases / s) | CPU ms / run (all runs) | worker CPU % | fake delay p99 ms | unverified |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const n of ns) {
    for (const loop of loops) {
      const r = rows.filter((x) => x.n === n && x.loop === loop);
      const commits = r.map((x) => x.commitP99Ms).filter((x): x is number => x !== undefined);
      const renewed = r.filter((x) => x.renewalsPerSec !== undefined);
      const renewalCell = renewed.length
        ? `${range(
            renewed.map((x) => x.renewalsPerSec!),
            1,
          )} (${range(renewed.map((x) => x.renewedLeasesPerSec!))})`
        : '–';
      lines.push(
        `| ${loop.slice(5)} | ${n} | ${range(r.map((x) => x.runsPerSec))} | ${range(
          r.map((x) => x.ofIdeal),
          2,
        )} | ${range(
          r.map((x) => x.runP99Ms / 1000),
          1,
        )} | ${range(r.map((x) => x.peakRssMb))} | ${range(r.map((x) => x.rssPerRunKb))} | ${range(
          r.map((x) => x.delayP99Ms),
        )} | ${commits.length ? range(commits, 1) : '–'} | ${renewalCell} | ${range(
          r.map((x) => x.cpuMsPerRunAll),
          1,
        )} | ${range(r.map((x) => x.cpuPct))} | ${range(r.map((x) => x.fakeDelayP99Ms))} | ${range(
          r.map((x) => x.unverified),
        )} |`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

const fail = (err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
};
// A child whose parent is gone (killed, timed out) goes too, rather than serve or run on forever.
if (process.send) process.on('disconnect', () => process.exit(1));
if (process.argv.includes('--fake')) {
  fakeChild(Number(arg('turn-ms', '2000'))).catch(fail);
} else if (process.argv.includes('--worker')) {
  workerChild(
    arg('worker', '') as Loop,
    Number(arg('n', '1000')),
    arg('url', ''),
    Number(arg('turn-ms', '2000')),
    Number(arg('window', '2')),
    Number(arg('drain-s', '600')),
    process.argv.includes('--heap-snapshot') ? arg('heap-snapshot', '') : undefined,
    process.argv.includes('--heap-growing-percent') ? Number(arg('heap-growing-percent', '0')) : undefined,
  ).then((row) => process.send!({ row }, () => process.exit(0)), fail);
} else {
  parent().catch(fail);
}
