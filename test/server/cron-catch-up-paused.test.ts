// `catchUp: true` under `overlap: skip`, from outside: a run paused for a person before a tick does not
// block it (live, only a run queued or running does), so a tick missed while serve was down is run when
// serve starts — though the person approved the run, and it finished, after the tick. Before, the
// catch-up counted that run as under way at the tick (it had changed since) and the tick was lost. On the
// embedded store and on Postgres (skipped, saying so, without one).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { json, runCli, startServe } from '../support/cli.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();
const PLACEHOLDER = '0 0 1 1 *';

/** `env` names a Postgres schema, or is empty: the role's own embedded store. */
async function missedTickAfterPause(env: NodeJS.ProcessEnv) {
  const r = role({
    name: 'drafter',
    autonomy: 'draft',
    tools: ['fs.write'],
    ledgerTools: false,
    turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, { final: {} }],
    extra: {
      triggers: [{ cron: { schedule: PLACEHOLDER, timezone: 'UTC', catchUp: true, overlap: 'skip' } }],
    },
  });
  const opts = { env };
  const storeArgs = env.NIGHTSHIFT_DATABASE_URL ? [] : ['--data-dir', r.dataDir];
  // 1. A run of the role pauses for approval; no serve is up.
  const ran = json<{ status: string; pending: string[] }>(
    await runCli(['run', r.file, '--json', ...storeArgs], opts),
  );
  assert.equal(ran.status, 'awaiting_approval');
  const inbox = json<{ approvals: { id: string; requestedAt: number }[] }>(
    await runCli(['inbox', '--json', ...storeArgs], opts),
  );
  const approval = inbox.approvals[0]!;
  // 2. The schedule's tick: daily, two whole seconds after the pause (so its last tick is that one).
  const tick = new Date((Math.floor(approval.requestedAt / 1000) + 2) * 1000);
  const daily = `${tick.getUTCSeconds()} ${tick.getUTCMinutes()} ${tick.getUTCHours()} * * *`;
  writeFileSync(r.file, readFileSync(r.file, 'utf8').replace(PLACEHOLDER, daily));
  await waitFor(async () => (Date.now() > tick.getTime() ? true : undefined), 'the tick to pass');
  // 3. The person approves after the tick, serve still down: the run goes on and finishes.
  assert.equal((await runCli(['approve', approval.id, ...storeArgs], opts)).code, 0);
  // 4. Serve starts: the catch-up either runs the tick or says it was not caught up.
  const s = await startServe([r.dir, '--port', '0', '--poll-ms', '50', ...storeArgs], opts);
  try {
    const said = await waitFor(
      async () => /"msg":"cron tick(?: not caught up[^"]*)?"/.exec(s.stdout())?.[0],
      'the catch-up',
      60_000,
    );
    assert.equal(said, '"msg":"cron tick"', 'the tick missed while serve was down was not caught up');
    assert.ok(s.stdout().includes(`"tick":"${tick.toISOString()}"`), s.stdout());
  } finally {
    s.child.kill('SIGTERM');
    await s.done;
  }
}

describe('cron catch-up after a run paused for a person (overlap: skip)', () => {
  it('runs the tick missed while serve was down, on the embedded store', async () => {
    await missedTickAfterPause({});
  });

  it('runs the tick missed while serve was down, on Postgres', async (t) => {
    const skip = await postgresUnavailable();
    if (skip) {
      t.skip(skip);
      return;
    }
    const schema = freshSchema();
    try {
      await missedTickAfterPause({
        NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL,
        NIGHTSHIFT_DATABASE_SCHEMA: schema,
      });
    } finally {
      await dropSchema(schema);
    }
  });
});
