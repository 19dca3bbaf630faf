// How long `nightshift stats` takes on a big store. Fills a store with `--runs` runs (default 1,000,000)
// of 8 roles × 2 versions created over 30 days (in time order), with a realistic mix: ~80% succeeded, 10% failed (4 error
// codes), 3% cancelled, and in the last two days some queued, running, awaiting approval and escalated
// (pickStatus); 3 steps per finished
// run (run_started, a model turn, run_finished), 0–3 tool calls per started run (85% allowed, 8%
// drafted, 5% denied, 2% escalated), an approval per run with a drafted call, an escalation per
// escalated run or call. Rows go in with multi-row INSERTs straight into the tables (not through the
// engine: a million engine runs would take an hour). Then times the report (computeStats: the store's
// grouped queries plus assembling) for all roles over all time, for one role over the last 24 hours, and
// for one role version over the last 7 days, and the console's charts over 24h and 30d (one report
// per bucket, src/stats/series.ts): the first call and the median of 3 more.
//
//   npm run build && node dist/bench/stats.js [--store sqlite|postgres|both] [--runs 1000000]
//     [--dir /tmp/x] (SQLite file's folder; kept, and reused when it holds a store of that size)
//     [--schema nightshift_bench_stats] (Postgres schema; reused likewise) [--fresh] (fill again)
//     [--no-rollup] (the report from the runs alone; by default the first call fills the stats rollup)
//     [--refill] (empty the rollup first: the first call is then the first `stats` after an upgrade,
//     which fills the rollup from the whole history)
//
// Postgres: NIGHTSHIFT_TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { computeStats } from '../src/stats/report.js';
import { computeSeries, type SeriesRange } from '../src/stats/series.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { StatsFilter, Store } from '../src/store/types.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const RUNS = Number(arg('runs', '1000000'));
const WHICH = arg('store', 'both');
const DIR = arg('dir', '/tmp/nightshift-bench-stats');
const SCHEMA = arg('schema', 'nightshift_bench_stats');
const FRESH = process.argv.includes('--fresh');
/** --no-rollup: the report from the runs alone (what `stats` did before the rollup). */
const ROLLUP = !process.argv.includes('--no-rollup');
const REFILL = process.argv.includes('--refill');
/** The rollup's tables, emptied by --refill. */
const ROLLUP_TABLES = ['stats_rollup', 'stats_rollup_values', 'stats_rollup_pending', 'stats_rollup_state'];
const DB_URL = process.env.NIGHTSHIFT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const DAY = 86_400_000;
const END = Date.UTC(2026, 10, 30);
const ROLES = ['triage', 'billing', 'support', 'deploy', 'review', 'research', 'oncall', 'sales'];
const TOOLS = ['fs.read', 'fs.write', 'crm.lookup', 'crm.update', 'chat.notify', 'shell.exec'];
const CODES = ['MODEL_ERROR', 'TOOL_FAILED', 'BUDGET_EXCEEDED', 'OUTPUT_INVALID'];
const CATEGORIES = ['money', 'security', 'privacy', 'ambiguous', 'high_impact'];

/** mulberry32: the same store every time. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Rows = Record<'runs' | 'steps' | 'tool_calls' | 'approvals' | 'escalations', unknown[][]>;
const COLUMNS: Record<keyof Rows, string[]> = {
  runs: 'id role role_version model status input output error seq turns usage active_ms grant_json created_at updated_at finished_at'.split(
    ' ',
  ),
  steps: 'run_id seq kind at data'.split(' '),
  tool_calls:
    'run_id step idx key call_id tool args args_hash decision reason status result is_error started_at finished_at'.split(
      ' ',
    ),
  approvals:
    'id run_id role role_version autonomy status call_keys change_set_hash calls requested_at decided_at decided_by note'.split(
      ' ',
    ),
  escalations:
    'id run_id role category reason missing source call_key context status answer answered_by answered_at allow_call created_at'.split(
      ' ',
    ),
};

/**
 * A run's status. Runs still in progress (queued, running, waiting for a human) are drawn only in the
 * last two days, as in a store where people answer and workers run: a run does not sit queued for a
 * month. Older ones drawn so ended as they would have: approved or answered (succeeded), a queued one
 * cancelled, a running one failed. (Before the stats rollup the mix was the same on every day: 7 % of
 * a month's runs in progress, which the rollup must answer from the runs: decision 020.)
 */
function pickStatus(u: number, recent: boolean): string {
  if (u < 0.8) return 'succeeded';
  if (u < 0.9) return 'failed';
  if (u < 0.93) return 'cancelled';
  if (u < 0.98) return recent ? (u < 0.96 ? 'awaiting_approval' : 'escalated') : 'succeeded';
  if (u < 0.99) return recent ? 'queued' : 'cancelled';
  return recent ? 'running' : 'failed';
}

function pickDecision(u: number): [decision: string, status: string] {
  if (u < 0.85) return ['allow', u < 0.82 ? 'succeeded' : 'failed'];
  if (u < 0.93) return ['draft', 'drafted'];
  if (u < 0.98) return ['deny', 'denied'];
  return ['escalate', 'held'];
}

/** The rows of run `i`, appended to `out`. */
function addRun(i: number, rand: () => number, out: Rows): void {
  const id = `run_${i.toString(36).padStart(8, '0')}`;
  const role = ROLES[Math.floor(rand() * ROLES.length)]!;
  const version = rand() < 0.3 ? 'v1' : 'v2';
  // Runs are created in time order, as in a real store: a --since window is the newest rows.
  const created = END - 30 * DAY + Math.floor((i * 30 * DAY) / RUNS);
  const status = pickStatus(rand(), created >= END - 2 * DAY);
  const started = status !== 'queued';
  const finished = ['succeeded', 'failed', 'cancelled'].includes(status);
  const wait = Math.round(-Math.log(1 - rand()) * 2_000);
  const latency = 300 + Math.floor(rand() * 2_700);
  const active = started ? latency + Math.floor(rand() * 5_000) : 0;
  const inTok = started ? 500 + Math.floor(rand() * 4_500) : 0;
  const outTok = started ? 50 + Math.floor(rand() * 450) : 0;
  const cost = inTok * 3e-6 + outTok * 15e-6;
  const usage = JSON.stringify({
    inputTokens: inTok,
    outputTokens: outTok,
    cachedInputTokens: 0,
    costUsd: cost,
  });
  const finishedAt = finished ? created + wait + active + Math.floor(rand() * 1_000) : null;
  const input = JSON.stringify({ ticket: `T-${i}`, text: 'Customer says the invoice total is wrong.' });
  const error =
    status === 'failed'
      ? JSON.stringify({ code: CODES[Math.floor(rand() * CODES.length)], message: 'it failed' })
      : null;
  const output = status === 'succeeded' ? JSON.stringify({ summary: 'done', ticket: `T-${i}` }) : null;
  out.steps.push([
    id,
    1,
    'run_started',
    created,
    JSON.stringify({
      input: JSON.parse(input),
      model: 'openai:gpt',
      autonomy: 'draft',
      roleVersion: version,
    }),
  ]);
  let seq = 1;
  const calls: unknown[][] = [];
  if (started) {
    const n = Math.floor(rand() * 4);
    const turnAt = created + wait + latency;
    const turnCalls = [];
    for (let k = 0; k < n; k++) {
      const tool = TOOLS[Math.floor(rand() * TOOLS.length)]!;
      const [decision, callStatus] = pickDecision(rand());
      turnCalls.push({ id: `c${k}`, tool, args: { ticket: `T-${i}` } });
      const done = callStatus === 'succeeded' || callStatus === 'failed';
      calls.push([
        id,
        2,
        k,
        `${id}:2:${k}`,
        `c${k}`,
        tool,
        JSON.stringify({ ticket: `T-${i}` }),
        'h',
        decision,
        `${decision} by policy`,
        callStatus,
        done ? '{"ok":true}' : null,
        callStatus === 'failed',
        done ? turnAt : null,
        done ? turnAt + 40 : null,
      ]);
    }
    seq = 2;
    out.steps.push([
      id,
      2,
      'model_turn',
      turnAt,
      JSON.stringify({
        text: '',
        calls: turnCalls,
        usage: JSON.parse(usage),
        model: 'openai:gpt',
        provider: 'openai',
        modelId: 'gpt',
        stopReason: n ? 'tool_calls' : 'end',
        latencyMs: latency,
      }),
    ]);
    out.tool_calls.push(...calls);
    const drafted = calls.filter((c) => c[8] === 'draft');
    if (drafted.length) {
      const pending = status === 'awaiting_approval';
      const approved = rand() < 0.75;
      const requested = turnAt + 10;
      out.approvals.push([
        `apr_${id}`,
        id,
        role,
        version,
        'draft',
        pending ? 'pending' : approved ? 'approved' : 'rejected',
        JSON.stringify(drafted.map((c) => c[3])),
        'csh',
        JSON.stringify(drafted.map((c) => ({ key: c[3], tool: c[5] }))),
        requested,
        pending ? null : requested + Math.floor(rand() * 3_600_000),
        pending ? null : 'ana',
        null,
      ]);
    }
    for (const c of calls.filter((c) => c[8] === 'escalate'))
      out.escalations.push([
        `esc_${c[3]}`,
        id,
        role,
        CATEGORIES[Math.floor(rand() * CATEGORIES.length)],
        'rule matched',
        null,
        'tool_rule',
        c[3],
        '{}',
        'answered',
        'go ahead',
        'ana',
        turnAt + 60_000,
        true,
        turnAt,
      ]);
  }
  if (status === 'escalated')
    out.escalations.push([
      `esc_${id}`,
      id,
      role,
      'ambiguous',
      'not sure',
      null,
      'model',
      null,
      '{}',
      'pending',
      null,
      null,
      null,
      false,
      created + wait + latency,
    ]);
  if (finished) {
    seq += 1;
    out.steps.push([
      id,
      seq,
      'run_finished',
      finishedAt,
      JSON.stringify({
        status,
        output: output ? JSON.parse(output) : null,
        error: error ? JSON.parse(error) : null,
      }),
    ]);
  }
  out.runs.push([
    id,
    role,
    version,
    'openai:gpt',
    status,
    input,
    output,
    error,
    seq,
    started ? 1 : 0,
    usage,
    active,
    '{"steps":0,"costUsd":0,"seconds":0}',
    created,
    finishedAt ?? created + wait,
    finishedAt,
  ]);
}

interface Sink {
  insert(table: keyof Rows, rows: unknown[][]): Promise<void>;
  done(): Promise<void>;
}

function values(rows: unknown[][], cols: number, param: (i: number) => string): string {
  let p = 0;
  return rows.map(() => `(${Array.from({ length: cols }, () => param(++p)).join(', ')})`).join(', ');
}

function sqliteSink(db: Database.Database): Sink {
  const cache = new Map<string, Database.Statement>();
  db.pragma('synchronous = OFF');
  db.exec('BEGIN');
  let pending = 0;
  return {
    async insert(table, rows) {
      const cols = COLUMNS[table];
      for (let at = 0; at < rows.length; at += 200) {
        const chunk = rows.slice(at, at + 200);
        const key = `${table}:${chunk.length}`;
        let s = cache.get(key);
        if (!s) {
          s = db.prepare(
            `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${values(chunk, cols.length, () => '?')}`,
          );
          cache.set(key, s);
        }
        s.run(chunk.flat().map((v) => (typeof v === 'boolean' ? Number(v) : v)));
      }
      pending += rows.length;
      if (pending > 200_000) {
        db.exec('COMMIT; BEGIN');
        pending = 0;
      }
    },
    async done() {
      db.exec('COMMIT');
    },
  };
}

function postgresSink(client: pg.Client): Sink {
  return {
    async insert(table, rows) {
      const cols = COLUMNS[table];
      const per = Math.floor(60_000 / cols.length);
      for (let at = 0; at < rows.length; at += per) {
        const chunk = rows.slice(at, at + per);
        await client.query(
          `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${values(chunk, cols.length, (i) => `$${i}`)}`,
          chunk.flat(),
        );
      }
    },
    async done() {},
  };
}

async function fill(sink: Sink): Promise<number> {
  const t0 = performance.now();
  const rand = prng(13);
  const empty = (): Rows => ({ runs: [], steps: [], tool_calls: [], approvals: [], escalations: [] });
  let rows = empty();
  // Runs first: the other tables reference them.
  const flush = async () => {
    for (const table of ['runs', 'steps', 'tool_calls', 'approvals', 'escalations'] as const)
      await sink.insert(table, rows[table]);
    rows = empty();
  };
  for (let i = 0; i < RUNS; i++) {
    addRun(i, rand, rows);
    if (rows.runs.length === 5_000) {
      await flush();
      if ((i + 1) % 100_000 === 0) process.stderr.write(`  ${i + 1} runs\n`);
    }
  }
  await flush();
  await sink.done();
  return (performance.now() - t0) / 1000;
}

/** The report for `filter`, or with `range` the console's charts (one report per bucket, series.ts). */
async function time(
  store: Store,
  filter: StatsFilter,
  range?: SeriesRange,
): Promise<{ firstMs: number; medianMs: number; runs: number }> {
  const once = async () => {
    const t = performance.now();
    const runs = range
      ? (await computeSeries(store, range, { rollup: ROLLUP })).roles.reduce(
          (n, r) => n + r.points.reduce((m, p) => m + (p?.runs ?? 0), 0),
          0,
        )
      : (await computeStats(store, filter, { rollup: ROLLUP })).groups.reduce((n, g) => n + g.runs.total, 0);
    return { ms: performance.now() - t, runs };
  };
  const first = await once();
  const more = [await once(), await once(), await once()].map((r) => r.ms).sort((a, b) => a - b);
  return { firstMs: Math.round(first.ms), medianMs: Math.round(more[1]!), runs: first.runs };
}

async function measure(name: string, store: Store): Promise<void> {
  const cases: [string, StatsFilter][] = [
    ['all roles, all time', {}],
    ['one role, --since 24h', { role: 'triage', since: END - DAY }],
    ['one role version, --since 7d', { role: 'triage', version: 'v2', since: END - 7 * DAY }],
  ];
  const charts: [string, SeriesRange][] = [
    ['console charts 24h (24 hourly reports)', '24h'],
    ['console charts 30d (30 daily reports)', '30d'],
  ];
  for (const [label, filter, range] of [...cases, ...charts.map(([l, r]) => [l, {}, r] as const)]) {
    const t = await time(store, filter, range);
    process.stdout.write(
      `${JSON.stringify({ store: name, runs: RUNS, rollup: ROLLUP, case: label, runsCovered: t.runs, firstMs: t.firstMs, medianMs: t.medianMs })}\n`,
    );
  }
}

async function sqlite(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  const path = join(DIR, `stats-${RUNS}.db`);
  if (FRESH) for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
  let store = openSqliteStore({ path });
  await store.init();
  await store.close();
  const db = new Database(path);
  const have = (db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
  if (have !== RUNS) {
    if (have !== 0) throw new Error(`${path} holds ${have} runs, not ${RUNS}: pass --fresh`);
    process.stderr.write(`filling SQLite ${path} with ${RUNS} runs\n`);
    const s = await fill(sqliteSink(db));
    process.stderr.write(`  filled in ${s.toFixed(0)} s\n`);
  }
  if (REFILL) for (const table of ROLLUP_TABLES) db.prepare(`DELETE FROM ${table}`).run();
  db.close();
  store = openSqliteStore({ path });
  await store.init();
  await measure('sqlite', store);
  await store.close();
}

async function postgres(): Promise<void> {
  const client = new pg.Client({ connectionString: DB_URL });
  await client.connect();
  if (FRESH) await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  let store = openPostgresStore({ connectionString: DB_URL, schema: SCHEMA });
  await store.init();
  await store.close();
  await client.query(`SET search_path TO ${SCHEMA}; SET synchronous_commit = off`);
  const { rows } = await client.query('SELECT COUNT(*)::int AS n FROM runs');
  const have = rows[0].n as number;
  if (have !== RUNS) {
    if (have !== 0) throw new Error(`schema ${SCHEMA} holds ${have} runs, not ${RUNS}: pass --fresh`);
    process.stderr.write(`filling Postgres schema ${SCHEMA} with ${RUNS} runs\n`);
    const s = await fill(postgresSink(client));
    // What autovacuum would have done by the time anyone asks (VACUUM: one statement per call).
    for (const table of Object.keys(COLUMNS)) await client.query(`VACUUM ANALYZE ${table}`);
    process.stderr.write(`  filled (and vacuumed) in ${s.toFixed(0)} s\n`);
  }
  if (REFILL) for (const table of ROLLUP_TABLES) await client.query(`DELETE FROM ${table}`);
  await client.end();
  store = openPostgresStore({ connectionString: DB_URL, schema: SCHEMA });
  await store.init();
  await measure('postgres', store);
  await store.close();
}

if (WHICH === 'sqlite' || WHICH === 'both') await sqlite();
if (WHICH === 'postgres' || WHICH === 'both') await postgres();
