// Durable runs with the scripted model, on the peers' task: three tool calls (lookup → update → notify),
// then a final output. Every step is committed to SQLite (WAL, synchronous=NORMAL) before the next, and
// the policy decides every call. Each configuration runs in a fresh child process.
//
//   npm run bench                       # all configurations, 3 repetitions
//   node dist/bench/durable-runs.js --child --n 2000 --concurrency 50
//   node dist/bench/durable-runs.js --metrics-overhead   # each configuration without and with the
//                                       # Prometheus metrics observer, interleaved, and their ratio
//   node dist/bench/durable-runs.js --child --metrics ...  # one measurement with the metrics observer
//   node dist/bench/durable-runs.js --child --unsynced ... # every commit at NORMAL (the synced claim's
//                                       # comparison); --jitter: the lookup takes 0–2 ms (runs drift apart)
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineRole } from '../src/roles/define.js';
import { createRuntime } from '../src/runtime.js';
import { createServeMetrics } from '../src/telemetry/metrics/index.js';
import { defineTool } from '../src/tools/define.js';
import { tempDir } from '../test/support/tmp.js';
import { TASK_SCRIPT_YAML } from './wire-task.js';

const counters = { lookup: 0, update: 0, notify: 0 };
const jitter = process.argv.includes('--jitter');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function child(): Promise<void> {
  const n = Number(arg('n', '2000'));
  const concurrency = Number(arg('concurrency', '1'));
  const warmup = 100;
  const tmp = tempDir('nightshift-bench-');
  const script = join(tmp.path, 'script.yaml');
  writeFileSync(script, TASK_SCRIPT_YAML);
  const tools = [
    defineTool({
      name: 'crm.lookup',
      description: 'Look up a customer record',
      input: z.object({ customerId: z.string() }),
      effect: 'read',
      idempotent: true,
      run: async ({ customerId }) => {
        counters.lookup++;
        // --jitter: the lookup takes 0–2 ms, so concurrent runs drift apart and reach their claims in
        // different ticks, as runs with real tools and models do (without it they move in lockstep).
        if (jitter) await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
        return { customerId, name: 'Ada', tier: 'silver' };
      },
    }),
    defineTool({
      name: 'crm.update',
      description: 'Update one field of a customer record',
      input: z.object({ customerId: z.string(), field: z.string(), value: z.string() }),
      effect: 'write',
      idempotent: true,
      run: ({ customerId, field, value }) => {
        counters.update++;
        return { ok: true, customerId, field, value };
      },
    }),
    defineTool({
      name: 'chat.notify',
      description: 'Send a message to a channel',
      input: z.object({ channel: z.string(), message: z.string() }),
      effect: 'external',
      run: ({ channel }) => {
        counters.notify++;
        return { delivered: true, channel };
      },
    }),
  ];
  const role = defineRole(
    {
      name: 'bench-upgrader',
      description: 'Upgrades a customer and tells ops',
      autonomy: 'full',
      model: `script:${script}`,
      instructions: 'Customer cust-42 paid the invoice: upgrade them to gold and tell #ops.',
      tools,
      output: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } },
    },
    { dir: tmp.path },
  );
  // As `serve` has them: the commit observer on every batch (the scrape-time gauges cost nothing here).
  const metrics = process.argv.includes('--metrics') ? createServeMetrics({ roles: [role] }) : undefined;
  const runtime = await createRuntime({
    dataDir: join(tmp.path, 'data'),
    ...(metrics ? { observers: [metrics.observer] } : {}),
  });
  // --unsynced: the comparison for the synced claim (decision 001): every commit at NORMAL, as before
  // issue 6. A benchmark-only wrapper around this runtime's store; the runtime has no such switch.
  if (process.argv.includes('--unsynced')) {
    const commit = runtime.store.commit.bind(runtime.store);
    // The batch is the engine's own (built for this commit): the flag is dropped on it, not on a copy, so
    // the wrapper adds no object per commit that the floor (floor-same-commits.ts, whose records have no
    // flag) does not make either.
    runtime.store.commit = (batch) => {
      delete batch.durable;
      return commit(batch);
    };
  }
  const input = { customerId: 'cust-42' };

  const once = async () => {
    const r = await runtime.run(role, input);
    if (r.status !== 'succeeded' || (r.output as { tier?: string }).tier !== 'gold') {
      throw new Error(`run ${r.runId} ended ${r.status}: ${JSON.stringify(r.error)}`);
    }
  };
  const batch = async (count: number) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        await once();
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  };

  await batch(warmup);
  const before = { ...counters };
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await batch(n);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // CPU time (user + system) per run: what a run costs the process, less swayed by a busy machine.
  const cpu = process.cpuUsage(cpu0);
  const cpuMsPerRun = (cpu.user + cpu.system) / 1000 / n;

  // Verify: every run executed its three tools and persisted every step.
  if (
    counters.lookup - before.lookup !== n ||
    counters.update - before.update !== n ||
    counters.notify - before.notify !== n
  ) {
    throw new Error(`tool counts wrong: ${JSON.stringify(counters)} (before ${JSON.stringify(before)})`);
  }
  const runs = await runtime.store.listRuns({ limit: 1 });
  const snap = await runtime.store.loadRun(runs[0]!.id);
  const stepsPerRun = snap!.steps.length;
  const decisions = snap!.steps.filter((s) => s.kind === 'decision').length;
  if (metrics) {
    // The observer saw every run: the scrape counts them all.
    const text = (await metrics.render()).body;
    const finished = /nightshift_runs_finished_total\{[^}]*\} (\d+)/.exec(text)?.[1];
    if (Number(finished) !== n + warmup)
      throw new Error(`metrics counted ${finished} runs, not ${n + warmup}`);
  }
  // How the claims were synced (SQLite): commits that carried one, and the fsyncs of the WAL that made
  // them durable (fewer fsyncs than claims: concurrent runs' claims shared them).
  const stats = runtime.store as { commitStats?: { synced: number }; walSyncStats?: { fsyncs: number } };
  const perRun = (x: number | undefined) => (x === undefined ? undefined : x / (n + warmup));
  const syncedCommitsPerRun = perRun(stats.commitStats?.synced);
  const fsyncsPerRun = perRun(stats.walSyncStats?.fsyncs);
  await runtime.close();
  tmp.cleanup();
  const rss = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `${JSON.stringify({ n, concurrency, ms, runsPerSec: (n / ms) * 1000, msPerRun: ms / n, stepsPerRun, decisionsPerRun: decisions, msPerStep: ms / n / stepsPerRun, cpuMsPerRun, syncedCommitsPerRun, fsyncsPerRun, peakRssMb: Math.round(rss) })}\n`,
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

function measure(n: string, c: number, extra: string[]): Record<string, number> {
  const self = fileURLToPath(import.meta.url);
  const out = spawnSync(process.execPath, [self, '--child', '--n', n, '--concurrency', String(c), ...extra], {
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(`child failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!);
}

/** Without and with the metrics observer, interleaved in one sitting: runs/s and the ratio. */
function metricsOverhead(): void {
  const reps = Number(arg('reps', '5'));
  const n = arg('n', '2000');
  const lines = [
    `durable runs without / with the Prometheus metrics observer, n=${n}, median (min–max) of ${reps}, interleaved`,
    '| concurrency | runs/s without | runs/s with | runs/s with / without | CPU ms/run without | CPU ms/run with | CPU with / without |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const c of [1, 50]) {
    const off: number[] = [];
    const on: number[] = [];
    const cpuOff: number[] = [];
    const cpuOn: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const a = measure(n, c, []);
      const b = measure(n, c, ['--metrics']);
      off.push(a.runsPerSec!);
      on.push(b.runsPerSec!);
      cpuOff.push(a.cpuMsPerRun!);
      cpuOn.push(b.cpuMsPerRun!);
      process.stderr.write(
        `rep ${rep + 1} conc ${c}: ${off.at(-1)!.toFixed(0)} / ${on.at(-1)!.toFixed(0)} runs/s\n`,
      );
    }
    const span = (xs: number[]) =>
      `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
    const ratio = median(on.map((x, i) => x / off[i]!));
    const cpuRatio = median(cpuOn.map((x, i) => x / cpuOff[i]!));
    const cpuSpan = (xs: number[]) =>
      `${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)})`;
    lines.push(
      `| ${c} | ${span(off)} | ${span(on)} | ${ratio.toFixed(3)} | ${cpuSpan(cpuOff)} | ${cpuSpan(cpuOn)} | ${cpuRatio.toFixed(3)} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function parent(): void {
  const reps = Number(arg('reps', '3'));
  const n = arg('n', '2000');
  const configs = [1, 50];
  const results = new Map<number, Record<string, number>[]>();
  for (let rep = 0; rep < reps; rep++) {
    for (const c of configs) {
      const row = measure(n, c, []);
      results.set(c, [...(results.get(c) ?? []), row]);
      process.stderr.write(
        `rep ${rep + 1} conc ${c}: ${row.runsPerSec!.toFixed(0)} runs/s, peak ${row.peakRssMb} MB\n`,
      );
    }
  }
  const lines = [
    `durable runs, scripted model, 3 tool calls + final output, SQLite WAL/NORMAL, n=${n}, median (min–max) of ${reps}`,
    '| concurrency | runs/s | ms/run | steps/run | µs/step | peak RSS MB |',
    '|---|---|---|---|---|---|',
  ];
  for (const c of configs) {
    const rows = results.get(c)!;
    const rps = rows.map((r) => r.runsPerSec!);
    lines.push(
      `| ${c} | ${median(rps).toFixed(0)} (${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}) | ${median(rows.map((r) => r.msPerRun!)).toFixed(3)} | ${rows[0]!.stepsPerRun} | ${(median(rows.map((r) => r.msPerStep!)) * 1000).toFixed(1)} | ${median(rows.map((r) => r.peakRssMb!))} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv.includes('--child')) {
  child().catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  });
} else if (process.argv.includes('--metrics-overhead')) {
  metricsOverhead();
} else {
  parent();
}
