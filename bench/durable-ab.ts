// Two builds of nightshift in ONE process, sequential durable runs of the durable-runs task interleaved in
// small batches (A, B, B, A, ...), CPU time per run measured per batch. On a shared machine the load
// swings between separate processes by ±30 % (bench/README.md); batches a few hundred milliseconds apart
// see the same load, so the per-pair ratio B / A resolves a few per cent where separate runs do not. Each
// build has its own runtime and SQLite file; the ratio's bias is measured by an A/A run (the same build
// twice: ≈ 0.96–1.0 on 2026-11-30), and both orders should be run.
//
//   node dist/bench/durable-ab.js <dirA> <dirB> [--rounds 20] [--per 100] [--synced]
//
// A and B are checkouts built with `npx tsc -p tsconfig.json` (e.g. `git archive <commit> | tar -x -C
// /tmp/base`, node_modules linked, then built). Every run is checked to have succeeded.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

type Batch = (n: number) => Promise<void>;

/** A runtime of the build in `dir` running the durable-runs task, `n` runs one after another. */
async function subject(dir: string, synced: boolean): Promise<Batch> {
  const root = resolve(dir, 'dist');
  const { createRuntime } = await import(join(root, 'src/runtime.js'));
  const { defineRole } = await import(join(root, 'src/roles/define.js'));
  const { taskTools, TASK_SCRIPT_YAML, PROMPT } = await import(join(root, 'bench/wire-task.js'));
  const tmp = mkdtempSync(join(tmpdir(), 'nightshift-durable-ab-'));
  const script = join(tmp, 'script.yaml');
  writeFileSync(script, TASK_SCRIPT_YAML);
  const role = defineRole(
    {
      name: 'bench-upgrader',
      description: 'Upgrades a customer and tells ops',
      autonomy: 'full',
      model: `script:${script}`,
      instructions: PROMPT,
      tools: taskTools(),
      output: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } },
    },
    { dir: tmp },
  );
  const runtime = await createRuntime({ dataDir: join(tmp, 'data') });
  if (!synced) {
    // As durable-runs --unsynced: every commit at NORMAL (a benchmark-only wrapper).
    const commit = runtime.store.commit.bind(runtime.store);
    // On the engine's own batch, not a copy (as durable-runs --unsynced).
    runtime.store.commit = (batch: Record<string, unknown>) => {
      delete batch.durable;
      return commit(batch);
    };
  }
  return async (n) => {
    for (let i = 0; i < n; i++) {
      const r = await runtime.run(role, { customerId: 'cust-42' });
      if (r.status !== 'succeeded') throw new Error(`${dir}: run ${r.runId} ended ${r.status}`);
    }
  };
}

const [dirA, dirB] = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
if (!dirA || !dirB)
  throw new Error('usage: durable-ab.js <dirA> <dirB> [--rounds 20] [--per 100] [--synced]');
const rounds = Number(arg('rounds', '20'));
const per = Number(arg('per', '100'));
const synced = process.argv.includes('--synced');
const a = await subject(dirA, synced);
const b = await subject(dirB, synced);
await a(200);
await b(200);
const cpu = { a: [] as number[], b: [] as number[] };
for (let r = 0; r < rounds; r++) {
  const order: ['a' | 'b', Batch][] =
    r % 2 === 0
      ? [
          ['a', a],
          ['b', b],
        ]
      : [
          ['b', b],
          ['a', a],
        ];
  for (const [k, run] of order) {
    const c0 = process.cpuUsage();
    await run(per);
    const c = process.cpuUsage(c0);
    cpu[k].push((c.user + c.system) / 1000 / per);
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const summary = (xs: number[]) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
const ratios = cpu.a.map((x, i) => cpu.b[i]! / x);
console.log(
  JSON.stringify({
    a: dirA,
    b: dirB,
    rounds,
    per,
    synced,
    cpuMsPerRunA: summary(cpu.a),
    cpuMsPerRunB: summary(cpu.b),
    ratioBOverA: summary(ratios),
  }),
);
