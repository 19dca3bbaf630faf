// The Postgres claim's candidates with a backlog: what one claim of 16 runs costs as the queue grows, as the
// store asks for it (the function claim_candidates, migration 23: an ordered walk of runs_claim) against the
// same statement left to the planner (what the store sent before: a bitmap of every live run, then a sort).
// A fresh schema made by the real migrations holds 1,500 finished runs, 64 leased ones (a worker's slots,
// lease still good) and then the backlog, with no ANALYZE, as a new deployment has; each claim runs in its
// own transaction, rolled back, so every claim sees the same queue. Alternated A, B, A, B; ms per claim
// including BEGIN and ROLLBACK (three round trips on loopback).
//
//   node dist/bench/claim-backlog.js [--backlogs 10,100,2000,20000] [--claims 300]
//
// Needs Postgres as for `npm test` (NIGHTSHIFT_TEST_DATABASE_URL).
import type pg from 'pg';
import { claimQueue } from '../test/support/claim-queue.js';
import { dropSchema } from '../test/support/postgres.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const NOW = 1_000_000;
const backlogs = arg('backlogs', '10,100,2000,20000').split(',').map(Number);
const claims = Number(arg('claims', '300'));

// The statement as the store sent it before migration 23 (src/store/postgres/queue.ts at 2c1ad54..bac7c96).
const PLANNER_CHOOSES = `SELECT id FROM runs
  WHERE (role || '') = ANY($1) AND status IN ('queued', 'running') AND NOT (id = ANY($4::text[]))
    AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < $2)
    AND (not_before IS NULL OR not_before <= $2)
    AND (parent_run_id IS NULL OR NOT EXISTS (SELECT 1 FROM runs AS parent
      WHERE parent.id = runs.parent_run_id AND parent.status IN ('queued', 'running')))
  ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED`;
const ORDERED_WALK = 'SELECT run_id AS id FROM claim_candidates($1, $2, $3, $4::text[])';

async function perClaim(c: pg.Client, backlog: number, name: string, text: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < claims; i++) {
    await c.query('BEGIN');
    const got = await c.query({ name, text, values: [['desk'], NOW, 16, []] });
    await c.query('ROLLBACK');
    const want = Math.min(16, backlog);
    if (got.rows.length !== want)
      throw new Error(`${name}: ${got.rows.length} runs claimed, expected ${want}`);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6 / claims;
}

for (const backlog of backlogs) {
  const { schema, client: c } = await claimQueue({ finished: 1500, leased: 64, queued: backlog, now: NOW });
  try {
    const a: number[] = [];
    const b: number[] = [];
    for (let round = 0; round < 2; round++) {
      a.push(await perClaim(c, backlog, 'planner', PLANNER_CHOOSES));
      b.push(await perClaim(c, backlog, 'ordered', ORDERED_WALK));
    }
    const f = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(', ');
    console.log(
      JSON.stringify({ backlog, claims, plannerChoosesMsPerClaim: f(a), orderedWalkMsPerClaim: f(b) }),
    );
  } finally {
    await c.end();
    await dropSchema(schema);
  }
}
