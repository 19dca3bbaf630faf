// Decisions on runs that `nightshift serve` drives: the CLI commits the decision, puts the run back on the
// workers' queue and returns at once (exit 0, status queued); the serve worker runs the rest, the CLI runs
// no tool. A serve killed with SIGKILL right after a held result was committed loses nothing and runs
// nothing twice. Real processes on loopback, on SQLite and on Postgres.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { RunSnapshot, Store } from '../../src/store/types.js';
import { type CliResult, json, runCli, type Served, startCli, startServe } from '../support/cli.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { type TestRole, testRoles } from '../support/roles.js';
import { postRetrying, waitFor } from '../support/wait.js';

const role = testRoles();
const pgSkip = await postgresUnavailable();
const schemas: string[] = [];
after(async () => {
  for (const s of schemas) await dropSchema(s);
});
const done = { final: { summary: 'done' } };

type Summary = { runId: string; status: string; escalations: { id: string; source: string }[] };

/** Where the processes of one test keep their runs: the role's data dir, or a fresh Postgres schema. */
interface Place {
  /** Flags for serve and the CLI. */
  flags: string[];
  env: NodeJS.ProcessEnv;
  open(): Store;
}

function placeFor(kind: 'sqlite' | 'postgres', r: TestRole): Place {
  if (kind === 'sqlite') {
    return { flags: ['--data-dir', r.dataDir], env: {}, open: () => openSqliteStore({ dataDir: r.dataDir }) };
  }
  const schema = freshSchema();
  schemas.push(schema);
  return {
    flags: [],
    env: { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema },
    open: () => openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
  };
}

function serve(r: TestRole, place: Place): Promise<Served> {
  return startServe([r.dir, '--port', '0', '--poll-ms', '50', '--lease-ms', '3000', ...place.flags], {
    env: place.env,
  });
}

function cli(args: string[], place: Place): { pid: number; done: Promise<CliResult> } {
  const started = startCli([...args, '--json', ...place.flags], { env: place.env });
  return { pid: started.child.pid!, done: started.done };
}

async function post(url: string, event: string, body: unknown): Promise<void> {
  const status = await postRetrying(`${url}/events/${event}`, { body: JSON.stringify(body) });
  assert.equal(status, 202);
}

/** Polls the store until `check` accepts the only run's snapshot. */
async function waitForRun(
  store: Store,
  what: string,
  check: (s: RunSnapshot) => boolean,
): Promise<RunSnapshot> {
  return waitFor(
    async () => {
      const [run] = await store.listRuns({});
      const snap = run && (await store.loadRun(run.id));
      return snap && check(snap) ? snap : undefined;
    },
    what,
    60_000,
  );
}

/** The pid a held ledger call wrote when it started: which process ran the tool. */
const pidThatRan = (r: TestRole, hold: string) =>
  Number(readFileSync(join(r.workspace, `reached-${hold}`), 'utf8'));

/** Stops a serve: its held calls are released first, and it is killed if it does not stop in time. */
async function stop(s: Served, r: TestRole): Promise<void> {
  for (const hold of ['approved', 'here']) writeFileSync(join(r.workspace, `release-${hold}`), '');
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
  const killer = setTimeout(() => s.child.kill('SIGKILL'), 15_000);
  await s.done;
  clearTimeout(killer);
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`hand-back to serve's workers (${kind})`, {
    skip: kind === 'postgres' ? pgSkip : undefined,
  }, () => {
    it('approve returns at once with the run queued; the serve worker runs the approved call', async () => {
      const r = role({
        name: 'drafter',
        autonomy: 'draft',
        tools: ['ledger.append'],
        turns: [{ call: 'ledger.append', args: { entry: 'refund 40', hold: 'approved' } }, done],
        extra: { triggers: [{ event: 'ticket' }] },
      });
      const place = placeFor(kind, r);
      const store = place.open();
      await store.init();
      const daemon = await serve(r, place);
      try {
        await post(daemon.url, 'ticket', { id: 'T-1' });
        const paused = await waitForRun(store, 'the draft', (s) => s.run.status === 'awaiting_approval');
        const approvalId = paused.approvals[0]!.id;

        // The held tool waits for a release file that does not exist yet: a CLI that ran it would not exit.
        const approve = cli(['approve', approvalId, '--as', 'alice'], place);
        const out = await approve.done;
        assert.equal(out.code, 0, out.stderr);
        const s = json<Summary>(out);
        assert.equal(s.status, 'queued');

        await waitFor(
          async () => (existsSync(join(r.workspace, 'reached-approved')) ? true : undefined),
          'the call',
        );
        assert.equal(pidThatRan(r, 'approved'), daemon.child.pid, 'the serve worker ran the call');
        assert.notEqual(pidThatRan(r, 'approved'), approve.pid);
        writeFileSync(join(r.workspace, 'release-approved'), '');
        const finished = await waitForRun(store, 'the run to finish', (x) => x.run.status === 'succeeded');
        assert.deepEqual(r.ledger(), ['refund 40']);
        assert.equal(finished.run.attempt, 1, 'a hand-back is not a takeover');
        const resumed = finished.steps.filter((x) => x.kind === 'run_resumed');
        assert.ok(
          resumed.length > 0 && resumed.every((x) => String(x.data.owner).includes(`/${daemon.child.pid}/`)),
        );
      } finally {
        await stop(daemon, r);
        await store.close();
      }
    });

    it('a held result survives SIGKILL of the serve; answered from the CLI, the next serve finishes the run', async () => {
      const r = role({
        name: 'syncer',
        autonomy: 'full',
        tools: ['ledger.append'],
        escalation: [
          {
            category: 'security',
            when: { result: { tool: 'ledger.append', path: 'appended', contains: 'data loss' } },
          },
        ],
        turns: [
          {
            calls: [
              { tool: 'ledger.append', args: { entry: 'sync: data loss on shard 3' } },
              { tool: 'ledger.append', args: { entry: 'second' } },
            ],
          },
          done,
        ],
        extra: { triggers: [{ event: 'sync' }] },
      });
      const place = placeFor(kind, r);
      const store = place.open();
      await store.init();
      const first = await serve(r, place);
      let second: Served | undefined;
      try {
        await post(first.url, 'sync', {});
        const held = await waitForRun(store, 'the held result', (s) => s.escalations.length > 0);
        first.child.kill('SIGKILL');
        assert.equal((await first.done).signal, 'SIGKILL');

        // What the commit left: the result, the escalation holding it, the run paused and unleased.
        const after = (await store.loadRun(held.run.id))!;
        assert.equal(after.run.status, 'escalated');
        assert.equal(after.run.leaseOwner, null);
        const call = after.toolCalls.find((c) => c.index === 0)!;
        assert.equal(call.status, 'succeeded');
        assert.deepEqual(call.result, { appended: 'sync: data loss on shard 3' });
        assert.deepEqual(after.escalations[0]!.context.result, call.result);
        assert.equal(after.escalations[0]!.source, 'result_rule');

        second = await serve(r, place);
        const answer = cli(
          ['answer', after.escalations[0]!.id, 'shard 3 is being rebuilt; go on', '--as', 'ops'],
          place,
        );
        const out = await answer.done;
        assert.equal(out.code, 0, out.stderr);
        assert.equal(json<Summary>(out).status, 'queued');
        const finished = await waitForRun(store, 'the run to finish', (x) => x.run.status === 'succeeded');
        assert.deepEqual(r.ledger(), ['sync: data loss on shard 3', 'second'], 'nothing ran twice');
        const owners = finished.steps
          .filter((x) => x.kind === 'run_resumed')
          .map((x) => String(x.data.owner));
        assert.ok(
          owners.some((o) => o.includes(`/${second!.child.pid}/`)),
          owners.join(', '),
        );
        assert.ok(!owners.some((o) => o.includes(`/${answer.pid}/`)), 'the CLI drove nothing');
      } finally {
        if (second) await stop(second, r);
        await stop(first, r);
        await store.close();
      }
    });
  });
}

describe('choosing who drives the run on', () => {
  it('--here drives a serve run in the CLI; a foreground run is driven by the CLI by default; --here --queue is refused', async () => {
    const r = role({
      name: 'drafter',
      autonomy: 'draft',
      tools: ['ledger.append'],
      turns: [{ call: 'ledger.append', args: { entry: 'refund 40', hold: 'here' } }, done],
      extra: { triggers: [{ event: 'ticket' }] },
    });
    const place = placeFor('sqlite', r);
    const store = place.open();
    await store.init();
    const daemon = await serve(r, place);
    try {
      await post(daemon.url, 'ticket', { id: 'T-2' });
      const paused = await waitForRun(store, 'the draft', (s) => s.run.status === 'awaiting_approval');
      const id = paused.approvals[0]!.id;
      const both = await runCli(['approve', id, '--here', '--queue', ...place.flags]);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /--here and --queue exclude each other/);
      assert.equal((await store.getRun(paused.run.id))!.status, 'awaiting_approval', 'nothing changed');

      const approve = cli(['approve', id, '--here'], place);
      await waitFor(
        async () => (existsSync(join(r.workspace, 'reached-here')) ? true : undefined),
        'the call',
      );
      assert.equal(pidThatRan(r, 'here'), approve.pid, 'the CLI ran the call');
      writeFileSync(join(r.workspace, 'release-here'), '');
      const out = await approve.done;
      assert.equal(out.code, 0, out.stderr);
      assert.equal(json<Summary>(out).status, 'succeeded');
    } finally {
      await stop(daemon, r);
      await store.close();
    }
  });
});
