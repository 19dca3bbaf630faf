// The overhead of a delegation against a plain tool call, with the scripted model on SQLite. Two roles of
// the same shape (one call, then the final answer): `plain` calls fs.read; `orchestrator` calls
// delegate.specialist, whose child run (created, driven: one model turn, its output checked, and joined
// into the parent) answers instead. Runs one after the other in one process, after a warm-up.
//
//   npm run build && node --enable-source-maps dist/bench/delegation.js [--n 300]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createRuntime } from '../src/runtime.js';
import { tempDir } from '../test/support/tmp.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

function writeRoles(dir: string): void {
  mkdirSync(join(dir, 'workspace'));
  writeFileSync(join(dir, 'workspace', 'note.txt'), 'hello');
  const base = {
    description: 'bench role',
    autonomy: 'full',
    instructions: 'bench',
    workspace: './workspace',
  };
  const roles: Record<string, [Record<string, unknown>, unknown[]]> = {
    plain: [
      { tools: ['fs.read'] },
      [{ call: 'fs.read', args: { path: 'note.txt' } }, { final: { ok: true } }],
    ],
    orchestrator: [
      { tools: [], specialists: ['./specialist.yaml'] },
      [{ call: 'delegate.specialist', args: { task: 'x' } }, { final: { ok: true } }],
    ],
    specialist: [
      {
        tools: [],
        input: { type: 'object', required: ['task'], properties: { task: { type: 'string' } } },
        output: { type: 'object', required: ['answer'] },
      },
      [{ final: { answer: 'done' } }],
    ],
  };
  for (const [name, [spec, turns]] of Object.entries(roles)) {
    writeFileSync(join(dir, `${name}.script.yaml`), stringify({ turns }));
    writeFileSync(
      join(dir, `${name}.yaml`),
      stringify({ name, ...base, model: `script:./${name}.script.yaml`, ...spec }),
    );
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const n = Number(arg('n', '300'));
  const tmp = tempDir('nightshift-bench-delegation-');
  try {
    writeRoles(tmp.path);
    const rt = await createRuntime({ dataDir: join(tmp.path, 'data') });
    const results: Record<string, number[]> = { plain: [], orchestrator: [] };
    try {
      for (const name of ['plain', 'orchestrator'])
        for (let i = 0; i < 20; i++) await rt.run(join(tmp.path, `${name}.yaml`), {});
      // Interleaved, so drift of a loaded machine falls on both alike.
      for (let i = 0; i < n; i++) {
        for (const name of ['plain', 'orchestrator']) {
          const t0 = performance.now();
          const r = await rt.run(join(tmp.path, `${name}.yaml`), {});
          results[name]!.push(performance.now() - t0);
          if (r.status !== 'succeeded') throw new Error(`${name} ended ${r.status}`);
        }
      }
    } finally {
      await rt.close();
    }
    const row = (name: string) => {
      const s = [...results[name]!].sort((a, b) => a - b);
      const mean = s.reduce((a, b) => a + b, 0) / s.length;
      return { mean, p50: percentile(s, 50), p95: percentile(s, 95) };
    };
    const plain = row('plain');
    const deleg = row('orchestrator');
    const fmt = (x: number) => `${x.toFixed(2)} ms`;
    console.log(`runs per configuration: ${n} (after 20 warm-up runs each), SQLite, scripted model`);
    console.log(
      `plain tool call run:   mean ${fmt(plain.mean)}  p50 ${fmt(plain.p50)}  p95 ${fmt(plain.p95)}`,
    );
    console.log(
      `delegation run:        mean ${fmt(deleg.mean)}  p50 ${fmt(deleg.p50)}  p95 ${fmt(deleg.p95)}`,
    );
    console.log(
      `overhead of one delegation over a plain call: mean ${fmt(deleg.mean - plain.mean)}  p50 ${fmt(deleg.p50 - plain.p50)}`,
    );
  } finally {
    tmp.cleanup();
  }
}

await main();
