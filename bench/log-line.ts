// What one log line costs the runtime's logger (telemetry/logger.ts) with and without the redaction fast
// path (telemetry/redaction-fast-path.ts), and what a bearer token's hash costs computed against
// remembered (auth/token-hashes.ts). "pino redaction" is main's logger before the fast path: the same
// pino options and the same secret scrubbing of each line, without the fast path. Lines go to a sink that
// drops them, so only the logger's own CPU is measured. Both loggers run in one process, alternated.
//
//   npm run build && node dist/bench/log-line.js [--n 200000] [--reps 5]
import { pino } from 'pino';
import { hashSecret, newSecret } from '../src/auth/secret.js';
import { TokenHashes } from '../src/auth/token-hashes.js';
import { CENSOR, createLogger, LogSecrets, REDACTED_PATHS } from '../src/telemetry/logger.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const N = Number(arg('n', '200000'));
const REPS = Number(arg('reps', '5'));

const secrets = new LogSecrets(['whsec-bench-role-secret', 'sk-ant-bench-api-key-0000']);
let bytes = 0;
const sink = {
  write: (line: string) => {
    bytes += line.length;
  },
};
const withFastPath = createLogger({ name: 'nightshift', secrets, destination: sink });
const plainRedaction = pino(
  { name: 'nightshift', redact: { paths: REDACTED_PATHS, censor: CENSOR } },
  { write: (line: string) => sink.write(secrets.scrub(line)) },
);

// The lines a burst writes (routes.ts's accepted event) and a few other shapes the daemon logs.
const runs = ['run_01jf0000000000000000000001'];
type Log = typeof withFastPath;
const lines: Record<string, (log: Log) => void> = {
  'event accepted': (log) => log.info({ event: 'order.created', by: 'service:ci', runs }, 'event accepted'),
  'nested fields': (log) =>
    log.info(
      { run: { id: runs[0], role: 'ops', turns: 3 }, usage: { input: 1200, output: 300 } },
      'run done',
    ),
  'a censored header': (log) =>
    log.warn({ req: { method: 'POST', headers: { authorization: 'Bearer x', host: 'h' } } }, 'refused'),
};

function time(fn: () => void, n: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start) / n;
}

for (const [name, line] of Object.entries(lines)) {
  const fast: number[] = [];
  const plain: number[] = [];
  time(() => line(withFastPath), N / 10);
  time(() => line(plainRedaction), N / 10);
  for (let r = 0; r < REPS; r++) {
    plain.push(time(() => line(plainRedaction), N));
    fast.push(time(() => line(withFastPath), N));
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
  console.log(
    `${name.padEnd(18)} pino redaction ${med(plain).toFixed(0)} ns/line (${range(plain)})` +
      `  fast path ${med(fast).toFixed(0)} ns/line (${range(fast)})  ratio ${(med(fast) / med(plain)).toFixed(2)}`,
  );
}

const secret = newSecret('token');
const hashes = new TokenHashes();
hashes.remember(secret, hashSecret(secret));
const computed: number[] = [];
const remembered: number[] = [];
for (let r = 0; r < REPS; r++) {
  computed.push(time(() => hashSecret(secret), N));
  remembered.push(time(() => hashes.hash(secret), N));
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `token hash         sha256 ${med(computed).toFixed(0)} ns  remembered ${med(remembered).toFixed(0)} ns (medians of ${REPS})`,
);
if (bytes === 0) throw new Error('no line was written');
