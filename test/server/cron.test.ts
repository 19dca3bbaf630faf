// Cron with three workers sharing one store: each tick becomes exactly one run, on the embedded SQLite
// store and on Postgres (skipped, saying so, without one).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { json, runCli, startCli } from '../support/cli.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { writeTestRole } from '../support/roles.js';

async function threeWorkersFor(ms: number, env: NodeJS.ProcessEnv, dataDirArgs: string[], dir: string) {
  const workers = [0, 1, 2].map(() =>
    startCli(['serve', dir, '--port', '0', '--poll-ms', '20', ...dataDirArgs], { env }),
  );
  // The clock starts once all three are serving (start-up takes a while on a loaded machine).
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          let err = '';
          w.child.stderr!.on('data', (d) => {
            err += d;
            if (/serving \d+ role/.test(err)) resolve();
          });
          w.done.then((r) => reject(new Error(`serve exited early: ${r.stderr}`)));
        }),
    ),
  );
  await sleep(ms);
  for (const w of workers) w.child.kill('SIGTERM');
  const exits = await Promise.all(workers.map((w) => w.done));
  for (const e of exits) assert.equal(e.code, 0, e.stderr);
}

function cronRole() {
  const r = writeTestRole({
    name: 'ticker',
    autonomy: 'full',
    tools: ['fs.list'],
    ledgerTools: false,
    turns: [{ final: { summary: 'tick' } }],
    extra: { triggers: [{ cron: { schedule: '* * * * * *', overlap: 'allow' } }] },
  });
  return r;
}

async function ticksOf(args: string[], env: NodeJS.ProcessEnv = {}) {
  const runs = json<{ runId: string; status: string }[]>(
    await runCli(['runs', '--json', '--limit', '1000', ...args], { env }),
  );
  const ticks: string[] = [];
  for (const run of runs) {
    const show = json<{ steps: { kind: string; data: { trigger?: { tick?: string } } }[] }>(
      await runCli(['show', run.runId, '--json', ...args], { env }),
    );
    ticks.push(show.steps[0]!.data.trigger!.tick!);
  }
  return { runs, ticks };
}

describe('cron across three workers', () => {
  it('fires once per tick on the embedded store', async () => {
    const r = cronRole();
    try {
      await threeWorkersFor(3500, {}, ['--data-dir', r.dataDir], r.dir);
      const { runs, ticks } = await ticksOf(['--data-dir', r.dataDir]);
      assert.ok(runs.length >= 2, `only ${runs.length} ticks in 3.5 s`);
      assert.equal(new Set(ticks).size, ticks.length, `a tick ran twice: ${ticks.join(', ')}`);
      assert.ok(
        runs.every((x) => x.status === 'succeeded' || x.status === 'queued' || x.status === 'running'),
      );
    } finally {
      r.cleanup();
    }
  });

  it('fires once per tick on Postgres', async (t) => {
    const skip = await postgresUnavailable();
    if (skip) {
      t.skip(skip);
      return;
    }
    const r = cronRole();
    const schema = freshSchema();
    const env = { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema };
    try {
      await threeWorkersFor(3500, env, [], r.dir);
      const { runs, ticks } = await ticksOf([], env);
      assert.ok(runs.length >= 2, `only ${runs.length} ticks in 3.5 s`);
      assert.equal(new Set(ticks).size, ticks.length, `a tick ran twice: ${ticks.join(', ')}`);
    } finally {
      await dropSchema(schema);
      r.cleanup();
    }
  });
});
