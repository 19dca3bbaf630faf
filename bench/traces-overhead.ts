// What exporting traces costs: the durable-runs bench (bench/durable-runs.ts) with spans sent over
// OTLP/HTTP to a local receiver vs traces off, alternated in one sitting so both see the same machine.
// The receiver (test/support/otlp-receiver.ts) runs in this process and decodes every export, so the
// figure includes a receiver competing for the same cores; it also counts the spans that arrived.
//
// The scripted model and the synchronous SQLite commits keep the bench's event loop busy: the exporter's
// HTTP requests hardly get a turn until the runs are done. The span queue is made big enough to hold them
// all (OTEL_BSP_MAX_QUEUE_SIZE), so none is dropped; `runs/s` is then the cost on the commit path
// (building and queueing spans), and the child's wall time (start, warm-up, runs, and the flush at close)
// includes sending every span. The machine may be shared: the child's CPU time (user + system, read at
// its exit) is the steadiest figure of the three.
//
//   npm run build && node dist/bench/traces-overhead.js --reps 3 --n 1000
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startOtlpReceiver } from '../test/support/otlp-receiver.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface ChildResult {
  runsPerSec: number;
  /** The child process's whole life, spans sent included. */
  wallMs: number;
  /** The child's CPU time over its whole life (user + system). */
  cpuMs: number;
}

/** Preloaded in the child: prints its CPU time on the last line of stderr as it exits. */
const CPU_AT_EXIT = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('cpu '+(u.user+u.system)/1000+'\\n')})`;

function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  const started = performance.now();
  const bench = fileURLToPath(new URL('./durable-runs.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', CPU_AT_EXIT, bench, '--child', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`child failed: ${err}`));
      else
        resolve({
          ...JSON.parse(out.trim().split('\n').at(-1)!),
          wallMs: performance.now() - started,
          cpuMs: Number(/cpu ([\d.]+)/.exec(err)?.[1] ?? Number.NaN),
        });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

async function main(): Promise<void> {
  const reps = Number(arg('reps', '3'));
  const n = arg('n', '1000');
  const receiver = await startOtlpReceiver();
  const rows: string[] = [];
  try {
    for (const concurrency of ['1', '50']) {
      const off: ChildResult[] = [];
      const on: ChildResult[] = [];
      for (let rep = 0; rep < reps; rep++) {
        const args = ['--n', n, '--concurrency', concurrency];
        off.push(await runChild(args, {}));
        const before = receiver.spans.length;
        on.push(
          await runChild(args, {
            OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
            OTEL_BSP_MAX_QUEUE_SIZE: '1000000',
          }),
        );
        const spans = receiver.spans.length - before;
        process.stderr.write(
          `conc ${concurrency} rep ${rep + 1}: off ${off.at(-1)!.runsPerSec.toFixed(0)} runs/s, on ${on.at(-1)!.runsPerSec.toFixed(0)} runs/s, ${spans} spans received\n`,
        );
      }
      const rps = (xs: ChildResult[]) => median(xs.map((x) => x.runsPerSec));
      const wall = (xs: ChildResult[]) => median(xs.map((x) => x.wallMs));
      const cpu = (xs: ChildResult[]) => median(xs.map((x) => x.cpuMs));
      rows.push(
        `| ${concurrency} | ${rps(off).toFixed(0)} | ${rps(on).toFixed(0)} | ${(rps(on) / rps(off)).toFixed(2)} | ${wall(off).toFixed(0)} | ${wall(on).toFixed(0)} | ${(wall(off) / wall(on)).toFixed(2)} | ${cpu(off).toFixed(0)} | ${cpu(on).toFixed(0)} | ${(cpu(off) / cpu(on)).toFixed(2)} |`,
      );
    }
  } finally {
    await receiver.close();
  }
  process.stdout.write(
    [
      `durable runs with traces exported to a local OTLP/HTTP receiver vs off, n=${n}, median of ${reps}`,
      '| concurrency | runs/s off | runs/s on | on/off | wall ms off | wall ms on | off/on | CPU ms off | CPU ms on | off/on |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
