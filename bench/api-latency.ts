// How fast the HTTP API answers the two reads a console polls: the inbox and the runs list (newest
// first; filtered by role and by status; the second page through a cursor), on a big store. The store is
// filled by bench/stats.ts's generator (--runs runs over 30 days; pending approvals and escalations in
// the last two days), then a real daemon on loopback answers real HTTP requests with a real token:
// sequential requests, p50 and p99 of each after a warm-up.
//
//   npm run build && node dist/bench/api-latency.js [--runs 1000000] [--dir /tmp/nightshift-bench-stats]
//     [--requests 300]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { issueToken } from '../src/auth/index.js';
import { createRuntime } from '../src/runtime.js';
import { startDaemon } from '../src/server/daemon.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const RUNS = Number(arg('runs', '1000000'));
const DIR = arg('dir', '/tmp/nightshift-bench-stats');
const REQUESTS = Number(arg('requests', '300'));
const path = join(DIR, `stats-${RUNS}.db`);

// The same store bench/stats.ts fills and keeps (it reuses one of the right size).
if (!existsSync(path)) {
  process.stderr.write(`filling ${path} through bench/stats.ts\n`);
  const stats = fileURLToPath(new URL('./stats.js', import.meta.url));
  const r = spawnSync(process.execPath, [stats, '--store', 'sqlite', '--runs', String(RUNS), '--dir', DIR], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`bench/stats.ts failed to fill ${path}`);
}

const store = openSqliteStore({ path });
const rt = await createRuntime({ store });
const { secret } = await issueToken(rt.store, undefined, {
  kind: 'service',
  name: 'bench',
  scopes: ['runs:read'],
  expiresAt: null,
});
const daemon = await startDaemon({
  runtime: rt,
  roles: [],
  host: '127.0.0.1',
  port: 0,
  concurrency: 1,
  env: {},
  log: pino({ level: 'silent' }),
});
const headers = { authorization: `Bearer ${secret}` };

async function get(path: string): Promise<{ ms: number; body: Record<string, unknown> }> {
  const t = performance.now();
  const res = await fetch(`${daemon.url}${path}`, { headers });
  const body = (await res.json()) as Record<string, unknown>;
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return { ms, body };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function measure(label: string, path: () => string): Promise<void> {
  for (let i = 0; i < 20; i++) await get(path());
  const ms: number[] = [];
  let items = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const r = await get(path());
    ms.push(r.ms);
    items = ['runs', 'approvals', 'escalations'].reduce(
      (n, k) => n + (Array.isArray(r.body[k]) ? (r.body[k] as unknown[]).length : 0),
      0,
    );
  }
  ms.sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 100) / 100;
  process.stdout.write(
    `${JSON.stringify({ runs: RUNS, case: label, items, requests: REQUESTS, p50Ms: round(pct(ms, 0.5)), p99Ms: round(pct(ms, 0.99)) })}\n`,
  );
}

const second = (await get('/api/v1/runs?limit=50')).body.next as string;
const pending = (await get('/api/v1/inbox?limit=100')).body.next as string | null;
await measure('inbox, first page (100 of each kind)', () => '/api/v1/inbox?limit=100');
if (pending) await measure('inbox, second page', () => `/api/v1/inbox?limit=100&cursor=${pending}`);
await measure('runs, newest 50', () => '/api/v1/runs?limit=50');
await measure('runs, second page', () => `/api/v1/runs?limit=50&cursor=${second}`);
await measure('runs of one role', () => '/api/v1/runs?role=triage&limit=50');
await measure('runs failed', () => '/api/v1/runs?status=failed&limit=50');
await measure(
  'runs of one role, failed, last 7 days',
  () =>
    `/api/v1/runs?role=triage&status=failed&since=${new Date(Date.UTC(2026, 10, 23)).toISOString()}&limit=50`,
);
await daemon.close(100);
await rt.close();
await store.close();
