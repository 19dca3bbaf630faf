// Cron with three workers sharing one store: each tick becomes exactly one run, on the embedded SQLite
// store and on Postgres (skipped, saying so, without one).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, runCli, startCli } from '../support/cli.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

/** Ticks to see recorded while the three workers serve: enough for them to have raced over several. */
const TICKS = 3;

/** Three workers serve the role until TICKS runs are recorded (however long a loaded machine takes). */
async function threeWorkersUntilTicks(env: NodeJS.ProcessEnv, dataDirArgs: string[], dir: string) {
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
  await waitFor(
    async () => ((await recordedRuns(dataDirArgs, env)).length >= TICKS ? true : undefined),
    `${TICKS} ticks recorded`,
    60_000,
  );
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

const recordedRuns = async (args: string[], env: NodeJS.ProcessEnv) =>
  json<{ runId: string; status: string }[]>(
    await runCli(['runs', '--json', '--limit', '1000', ...args], { env }),
  );

async function ticksOf(args: string[], env: NodeJS.ProcessEnv = {}) {
  const runs = await recordedRuns(args, env);
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
      await threeWorkersUntilTicks({}, ['--data-dir', r.dataDir], r.dir);
      const { runs, ticks } = await ticksOf(['--data-dir', r.dataDir]);
      assert.ok(runs.length >= TICKS, `${runs.length} ticks`);
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
      await threeWorkersUntilTicks(env, [], r.dir);
      const { runs, ticks } = await ticksOf([], env);
      assert.ok(runs.length >= TICKS, `${runs.length} ticks`);
      assert.equal(new Set(ticks).size, ticks.length, `a tick ran twice: ${ticks.join(', ')}`);
    } finally {
      await dropSchema(schema);
      r.cleanup();
    }
  });
});

describe('cron with an input', () => {
  it("starts each tick's run with the trigger's input, which the role's input schema requires", async () => {
    // before: a cron trigger had no input, every tick's was {}: a role requiring a field never ran.
    const r = writeTestRole({
      name: 'regional',
      autonomy: 'full',
      tools: ['fs.list'],
      ledgerTools: false,
      turns: [{ final: { summary: 'tick' } }],
      extra: {
        input: { type: 'object', required: ['region'], properties: { region: { type: 'string' } } },
        triggers: [{ cron: { schedule: '* * * * * *', input: { region: 'eu' } } }],
      },
    });
    const args = ['--data-dir', r.dataDir];
    const w = startCli(['serve', r.dir, '--port', '0', '--poll-ms', '20', ...args]);
    try {
      // The store exists once serve has opened it: until then `runs` says so, and the wait goes on.
      await waitFor(
        async () => ((await recordedRuns(args, {}).catch(() => [])).length >= 1 ? true : undefined),
        'a tick recorded',
        60_000,
      );
    } finally {
      w.child.kill('SIGTERM');
    }
    const exit = await w.done;
    assert.equal(exit.code, 0, exit.stderr);
    const [run] = await recordedRuns(args, {});
    const show = json<{ steps: { data: { input?: unknown; trigger?: { kind?: string } } }[] }>(
      await runCli(['show', run!.runId, '--json', ...args]),
    );
    assert.deepEqual(show.steps[0]!.data.input, { region: 'eu' });
    assert.equal(show.steps[0]!.data.trigger!.kind, 'cron');
    r.cleanup();
  });
});
