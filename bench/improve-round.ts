// The cost of one improvement round (`nightshift improve`, src/improve/) on ops-monitor's example suite
// (3 cases, one held out) at --repeat 3, with the example's scripted proposer: wall time of the whole
// round (active eval, proposer run in the project store, candidate validated, stored and evaluated,
// compared, recorded) against its floor, the two bare runSuite calls any round must make, interleaved
// in one sitting, and the proposer's run alone. Model cost is 0 with the scripted model; the proposer's
// prompt is measured from what the model received (the script's `record:`), as bytes and ≈ tokens at
// 4 bytes a token.
//
//   npm run build && node dist/bench/improve-round.js [--reps 5]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { runSuite } from '../src/evals/run-suite.js';
import { loadSuite } from '../src/evals/suite-file.js';
import { improve } from '../src/improve/improve.js';
import { proposerInput, proposerRole } from '../src/improve/proposal.js';
import { loadRoleFile } from '../src/roles/load.js';
import { createRuntime } from '../src/runtime.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const REPS = Number(arg('reps', '5'));
const REPEAT = 3;

const dir = mkdtempSync(join(tmpdir(), 'nightshift-bench-improve-'));
try {
  const roles = join(import.meta.dirname, '..', '..', 'examples', 'roles');
  const roleFile = join(roles, 'ops-monitor.yaml');
  const suite = loadSuite(join(roles, 'ops-monitor.evals.yaml'));
  // The example proposer, plus `record:` so the prompt it was shown can be measured.
  const script = parse(readFileSync(join(roles, 'evals', 'ops-monitor.proposer.script.yaml'), 'utf8'));
  const proposerFile = join(dir, 'proposer.script.yaml');
  writeFileSync(proposerFile, JSON.stringify({ ...script, record: './proposer.requests.jsonl' }));
  const loadRole = (file: string, text?: string) => loadRoleFile(file, { text });

  const round = async (i: number) => {
    const data = join(dir, `data-${i}`);
    mkdirSync(data);
    const runtime = await createRuntime({ dataDir: data });
    try {
      const started = performance.now();
      const r = await improve({
        roleFile,
        suite,
        proposer: `script:${proposerFile}`,
        runtime,
        loadRole,
        by: 'bench',
        repeat: REPEAT,
        tmpRoot: dir,
      });
      return { ms: performance.now() - started, r };
    } finally {
      await runtime.close();
    }
  };
  const floor = async () => {
    const role = await loadRoleFile(roleFile);
    const started = performance.now();
    await runSuite(role, suite, { repeat: REPEAT, tmpRoot: dir });
    await runSuite(role, suite, { repeat: REPEAT, tmpRoot: dir });
    return performance.now() - started;
  };

  // The proposer's run alone, in a project store as improve runs it: its share of a round.
  const proposerOnly = async (i: number) => {
    const data = join(dir, `proposer-${i}`);
    mkdirSync(data);
    const runtime = await createRuntime({ dataDir: data });
    try {
      const role = proposerRole(`script:${proposerFile}`, dir, 1);
      const input = proposerInput(parse(readFileSync(roleFile, 'utf8')), suite, []);
      const started = performance.now();
      await runtime.run(role, input, { actor: 'bench' });
      return performance.now() - started;
    } finally {
      await runtime.close();
    }
  };

  await round(-1); // untimed warm-up: module loading, the first SQLite files
  const rounds: number[] = [];
  const floors: number[] = [];
  const proposers: number[] = [];
  let last: Awaited<ReturnType<typeof round>>['r'] | undefined;
  for (let i = 0; i < REPS; i++) {
    const { ms, r } = await round(i);
    rounds.push(ms);
    last = r;
    floors.push(await floor());
    proposers.push(await proposerOnly(i));
  }
  const requests = readFileSync(join(dir, 'proposer.requests.jsonl'), 'utf8').trim().split('\n');
  const promptBytes = Buffer.byteLength(requests.at(-1)!, 'utf8');
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
  console.log(
    `one improvement round, ops-monitor suite (${suite.cases.length} cases × repeat ${REPEAT}), scripted models, ${REPS} reps interleaved, node ${process.version}`,
  );
  console.log('| what | ms (min–max) |');
  console.log('|---|---|');
  console.log(
    `| improve, 1 round (2 × ${suite.cases.length * REPEAT} case runs + proposer + records) | ${range(rounds)} |`,
  );
  console.log(`| floor: 2 × runSuite alone | ${range(floors)} |`);
  console.log(`| the proposer's run alone | ${range(proposers)} |`);
  const [r] = last!.rounds;
  console.log(
    `outcome ${r!.outcome} (${r!.reason}); cost ${last!.costUsd} USD; proposer tokens reported ${last!.proposerTokens.input}+${last!.proposerTokens.output}; proposer prompt ${promptBytes} bytes ≈ ${Math.round(promptBytes / 4)} tokens`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
