// The cost of chaining an audit entry on Postgres, alone: entries inserted one transaction each (as a
// run's creation commits its run.created entry) into a schema migrated to the current version, with the
// audit trigger replaced by each variant in turn:
//   none    no trigger: the insert the chain is measured against
//   v9      migration 9's trigger (hash through a non-inlinable SQL function, two or three ids per entry)
//   current the trigger the migrations install now (migration 11)
// Two workloads: `first` (every entry starts its run's chain: run.created) and `append` (entries added to
// 200 existing chains, round robin: denials, drafts, answers). The figure that survives a loaded machine
// is the Postgres backend's CPU time per entry (read from /proc/<backend pid>/stat, so Postgres must run
// on this machine); wall time per entry is printed too. Variants are interleaved over --reps rounds and
// the medians reported.
//
//   npm run build && node dist/bench/audit-append.js [--n 5000] [--reps 5] [--json]
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { AUDIT_CHAIN_SQL } from '../src/store/postgres/audit-chain-migration.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../test/support/postgres.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('n', 5000);
const REPS = arg('reps', 5);
const CHAINS = 200;

/** Migration 9's functions as it created them, to put back over the current ones. */
const V9_SQL = (() => {
  const hash = AUDIT_CHAIN_SQL.slice(
    AUDIT_CHAIN_SQL.indexOf('CREATE FUNCTION audit_entry_hash'),
    AUDIT_CHAIN_SQL.indexOf('DO $f$'),
  );
  const trigger = AUDIT_CHAIN_SQL.slice(
    AUDIT_CHAIN_SQL.indexOf('CREATE FUNCTION audit_chain_append'),
    AUDIT_CHAIN_SQL.indexOf('CREATE TRIGGER'),
  );
  return [hash, trigger].join('\n').replaceAll('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION');
})();

type Variant = 'none' | 'v9' | 'current';
const VARIANTS: Variant[] = ['none', 'v9', 'current'];
type Workload = 'first' | 'append';

/** A schema per variant, migrated by the store, then given the variant's trigger. */
async function prepare(variant: Variant): Promise<string> {
  const schema = freshSchema();
  const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
  await store.init();
  await store.close();
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query(`SET search_path TO ${schema}`);
    if (variant === 'none') await c.query('DROP TRIGGER audit_chain_append ON audit_events');
    if (variant === 'v9') await c.query(V9_SQL);
  } finally {
    await c.end();
  }
  return schema;
}

/** Clock ticks of CPU (user + system) the backend `pid` has used. */
function backendTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
const TICK_MS = 10; // USER_HZ is 100 on Linux

let round = 0;
async function measure(schema: string, workload: Workload): Promise<{ cpuUs: number; wallUs: number }> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query(`SET search_path TO ${schema}`);
    const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const insert = {
      name: 'audit',
      text: 'INSERT INTO audit_events (at, actor, action, run_id, target, data) VALUES ($1, $2, $3, $4, $5, $6)',
    };
    const r = round++;
    const runId = (i: number) => (workload === 'first' ? `run_${r}_${i}` : `chain_${i % CHAINS}`);
    const action = workload === 'first' ? 'run.created' : 'policy.denied';
    // Warm the session's plans (and, for `append`, make the chains exist) before timing.
    for (let i = 0; i < CHAINS; i++)
      await c.query({ ...insert, values: [Date.now(), 'system', action, `${runId(i)}_w`, null, '{}'] });
    if (workload === 'append')
      for (let i = 0; i < CHAINS; i++)
        await c.query({ ...insert, values: [Date.now(), 'system', action, runId(i), null, '{}'] });
    const ticks = backendTicks(pid);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++)
      await c.query({
        ...insert,
        values: [
          Date.now(),
          'policy',
          action,
          runId(i),
          `${runId(i)}:1:0`,
          '{"tool":"fs.write","reason":"x"}',
        ],
      });
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000 / N;
    const cpuUs = ((backendTicks(pid) - ticks) * TICK_MS * 1000) / N;
    return { cpuUs, wallUs };
  } finally {
    await c.end();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const schemas = new Map<Variant, string>();
try {
  for (const v of VARIANTS) schemas.set(v, await prepare(v));
  const results: Record<string, { cpuUs: number[]; wallUs: number[] }> = {};
  for (let rep = 0; rep < REPS; rep++)
    for (const workload of ['first', 'append'] as Workload[])
      for (const v of VARIANTS) {
        const m = await measure(schemas.get(v)!, workload);
        const key = `${workload}/${v}`;
        results[key] ??= { cpuUs: [], wallUs: [] };
        results[key].cpuUs.push(m.cpuUs);
        results[key].wallUs.push(m.wallUs);
      }
  const rows = Object.entries(results).map(([key, r]) => ({
    key,
    cpuUsPerEntry: Math.round(median(r.cpuUs)),
    wallUsPerEntry: Math.round(median(r.wallUs)),
    cpuUsAll: r.cpuUs.map(Math.round),
  }));
  if (process.argv.includes('--json'))
    process.stdout.write(`${JSON.stringify({ n: N, reps: REPS, rows })}\n`);
  else {
    process.stdout.write(`audit append, ${N} entries x ${REPS} rounds, medians (backend CPU, wall):\n`);
    for (const row of rows)
      process.stdout.write(
        `  ${row.key.padEnd(16)} cpu ${String(row.cpuUsPerEntry).padStart(5)} us/entry  wall ${String(row.wallUsPerEntry).padStart(5)} us/entry  (cpu each round: ${row.cpuUsAll.join(', ')})\n`,
      );
  }
} finally {
  for (const s of schemas.values()) await dropSchema(s);
}
