// `catchUp: true` under `overlap: skip`, from outside: a run paused for a person before a tick does not
// block it (live, only a run queued or running does), so a tick missed while serve was down is run when
// serve starts — though the person approved the run, and it finished, after the tick. Before, the
// catch-up counted that run as under way at the tick (it had changed since) and the tick was lost. On the
// embedded store and on Postgres (skipped, saying so, without one).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { json, runCli, startServe } from '../support/cli.js';
import { TASK_INPUT, writeRoleTree } from '../support/delegation.js';
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

/**
 * An orchestrator on the placeholder schedule whose one turn delegates to `drafter` (its change set waits
 * for a person) and to `quick` (which finishes at once), in that order unless `waitingLast`: the join
 * records `child_waiting` and `tool_finished` in the calls' order, and the orchestrator pauses (exit 3).
 */
async function pausedOrchestrator(env: NodeJS.ProcessEnv, waitingLast = false) {
  const delegations = [
    { tool: 'delegate.drafter', args: { task: 'a' } },
    { tool: 'delegate.quick', args: { task: 'b' } },
  ];
  const t = writeRoleTree([
    {
      name: 'desk',
      autonomy: 'full',
      specialists: ['drafter', 'quick'],
      extra: {
        triggers: [{ cron: { schedule: PLACEHOLDER, timezone: 'UTC', catchUp: true, overlap: 'skip' } }],
      },
      turns: [
        {
          calls: waitingLast ? delegations.reverse() : delegations,
        },
        { final: { done: true } },
      ],
    },
    {
      name: 'drafter',
      autonomy: 'draft',
      tools: ['fs.write'],
      input: TASK_INPUT,
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, { final: { ok: true } }],
    },
    { name: 'quick', autonomy: 'full', input: TASK_INPUT, turns: [{ final: { ok: true } }] },
  ]);
  const storeArgs = env.NIGHTSHIFT_DATABASE_URL ? [] : ['--data-dir', t.dataDir];
  const cli = (args: string[]) => runCli([...args, ...storeArgs], { env });
  const ran = await cli(['run', t.file('desk'), '--json']);
  assert.equal(ran.code, 3, ran.stderr);
  const deskId = json<{ runId: string }>(ran).runId;
  const shown = json<{ steps: { kind: string }[]; children: { runId: string; role: string }[] }>(
    await cli(['show', deskId, '--json']),
  );
  const kinds = shown.steps.map((x) => x.kind);
  const last = waitingLast ? 'child_waiting' : 'tool_finished';
  assert.equal(kinds.at(-1), last, `the join's last step: ${kinds.join(', ')}`);
  assert.ok(kinds.includes('child_waiting'), kinds.join(', '));
  const drafterRun = shown.children.find((c) => c.role === 'drafter')!.runId;
  /** Sets the daily schedule to tick two whole seconds after `after`, and waits for the tick to pass. */
  const tickAfter = async (after: number) => {
    const tick = new Date((Math.floor(after / 1000) + 2) * 1000);
    const daily = `${tick.getUTCSeconds()} ${tick.getUTCMinutes()} ${tick.getUTCHours()} * * *`;
    writeFileSync(t.file('desk'), readFileSync(t.file('desk'), 'utf8').replace(PLACEHOLDER, daily));
    await waitFor(async () => (Date.now() > tick.getTime() ? true : undefined), 'the tick to pass');
    return tick;
  };
  /** Starts serve and returns what its catch-up said of `tick`. */
  const catchUp = async (tick: Date) => {
    const s = await startServe([t.dir, '--port', '0', '--poll-ms', '50', ...storeArgs], { env });
    try {
      const said = await waitFor(
        async () => /"msg":"cron tick(?: not caught up[^"]*)?"/.exec(s.stdout())?.[0],
        'the catch-up',
        60_000,
      );
      if (said === '"msg":"cron tick"') assert.ok(s.stdout().includes(`"tick":"${tick.toISOString()}"`));
      return said;
    } finally {
      s.child.kill('SIGTERM');
      await s.done;
    }
  };
  return { cli, deskId, drafterRun, tickAfter, catchUp };
}

/** Paused for a person at the tick, though the join's last step was another child's `tool_finished`. */
async function tickWhileWaitingForOneOfTwo(env: NodeJS.ProcessEnv) {
  const o = await pausedOrchestrator(env);
  const inbox = json<{ approvals: { id: string; requestedAt: number }[] }>(await o.cli(['inbox', '--json']));
  const tick = await o.tickAfter(Date.now());
  // Approved after the tick, serve down: the drafter goes on, then the orchestrator, which finishes.
  const approved = await o.cli(['approve', inbox.approvals[0]!.id]);
  assert.equal(approved.code, 0, approved.stderr);
  assert.equal(await o.catchUp(tick), '"msg":"cron tick"', 'the tick the waiting orchestrator left free ran');
}

/** Queued again at the tick: its child was cancelled before it, which woke it (a commit with no step). */
async function tickAfterTheChildEnded(env: NodeJS.ProcessEnv) {
  // The waiting child's step last: the log alone would say it is still paused.
  const o = await pausedOrchestrator(env, true);
  const cancelled = await o.cli(['cancel', o.drafterRun]);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  const desk = json<{ status: string }>(await o.cli(['show', o.deskId, '--json']));
  assert.equal(desk.status, 'queued', 'the orchestrator went back on the queue');
  const tick = await o.tickAfter(Date.now());
  // Continued after the tick, serve down: it finishes, so only the tick's past can hold the tick back.
  const resumed = await o.cli(['resume', o.deskId]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const said = await o.catchUp(tick);
  assert.match(said, /not caught up/, 'the orchestrator was queued at the tick: a live worker skips it');
}

describe('cron catch-up of an orchestrator waiting for its children (overlap: skip)', () => {
  it('runs a tick it was paused at, though another child of the turn had finished (embedded store)', async () => {
    await tickWhileWaitingForOneOfTwo({});
  });
  it('does not run a tick it was queued at, its waited-for child ended (embedded store)', async () => {
    await tickAfterTheChildEnded({});
  });
  it('both, on Postgres', async (t) => {
    const skip = await postgresUnavailable();
    if (skip) {
      t.skip(skip);
      return;
    }
    for (const scenario of [tickWhileWaitingForOneOfTwo, tickAfterTheChildEnded]) {
      const schema = freshSchema();
      try {
        await scenario({ NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema });
      } finally {
        await dropSchema(schema);
      }
    }
  });
});

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
