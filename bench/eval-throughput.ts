// Eval throughput: cases per second with the scripted model, at concurrency 1, 4 and 16. Each case runs
// as `nightshift eval` runs it: its own temp store and workspace copy, a fresh runtime, the real engine
// and policy; each case is ops-monitor's scripted run (a read, a denied write, an escalation).
// Nothing is stored in a project store (results storage is one insert per suite, not per case).
//
//   npm run build && node dist/bench/eval-throughput.js [--cases 64] [--concurrency 1,4,16]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runSuite } from '../src/evals/run-suite.js';
import { loadSuite } from '../src/evals/suite-file.js';
import { loadRoleFile } from '../src/roles/load.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const CASES = Number(arg('cases', '64'));
const LEVELS = arg('concurrency', '1,4,16').split(',').map(Number);

const dir = mkdtempSync(join(tmpdir(), 'nightshift-bench-eval-'));
try {
  const examples = join(import.meta.dirname, '..', '..', 'examples', 'roles');
  const role = await loadRoleFile(join(examples, 'ops-monitor.yaml'));
  const cases = Array.from(
    { length: CASES },
    (_, i) => `  - name: case-${i}
    input: { service: checkout }
    expect: { status: escalated, policy: { denied: [fs.write], escalate: high_impact } }
`,
  ).join('');
  const suite = loadSuite(
    (() => {
      const file = join(dir, 'bench.evals.yaml');
      writeFileSync(file, `cases:\n${cases}`);
      return file;
    })(),
  );
  // One untimed warm-up: module loading and the first SQLite file are not what is measured.
  await runSuite(role, { ...suite, cases: suite.cases.slice(0, 2) }, { tmpRoot: dir });
  console.log(`eval throughput, ${CASES} cases of ops-monitor (scripted model), node ${process.version}`);
  console.log('| concurrency | cases/s | ms per case (wall / cases) | all passed |');
  console.log('|---|---|---|---|');
  for (const concurrency of LEVELS) {
    const started = performance.now();
    const result = await runSuite(role, suite, { concurrency, tmpRoot: dir });
    const ms = performance.now() - started;
    console.log(
      `| ${concurrency} | ${((CASES * 1000) / ms).toFixed(1)} | ${(ms / CASES).toFixed(1)} | ${result.ok} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
