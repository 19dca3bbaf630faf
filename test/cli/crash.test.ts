// Crash safety: the real CLI is killed with SIGKILL at chosen points, `nightshift resume` continues the
// run, and the side effects are counted from outside (the ledger file). No side effect may repeat.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { json, runCli, startCli } from '../support/cli.js';
import { type TestRole, testRoles } from '../support/roles.js';
import { waitFor as waitUntil } from '../support/wait.js';

const role = testRoles();

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

type Summary = {
  runId: string;
  status: string;
  escalations: { id: string; category: string; status: string }[];
  pending: string[];
  steps: number;
};

async function onlyRun(r: TestRole): Promise<{ runId: string; status: string }> {
  const list = json<{ runId: string; status: string }[]>(
    await runCli(['runs', '--json', '--data-dir', r.dataDir]),
  );
  assert.equal(list.length, 1);
  return list[0]!;
}

const done = { final: { summary: 'done' } };

describe('kill -9 and resume', () => {
  it('during a non-idempotent tool call: resume escalates instead of repeating it', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append'],
      turns: [{ call: 'ledger.append', args: { entry: 'e1', hold: 'h1' } }, done],
    });
    const { child, done: exited } = startCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
    await waitFor(() => existsSync(join(r.workspace, 'reached-h1')), 'the tool to start');
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL');
    writeFileSync(join(r.workspace, 'release-h1'), '');
    assert.deepEqual(r.ledger(), ['e1']);
    const run = await onlyRun(r);
    assert.equal(run.status, 'running');

    const resumed = await runCli(['resume', run.runId, '--json', '--data-dir', r.dataDir]);
    assert.equal(resumed.code, 3, resumed.stderr);
    const s = json<Summary>(resumed);
    assert.equal(s.status, 'escalated');
    assert.equal(s.escalations[0]!.category, 'unknown_outcome');
    assert.deepEqual(r.ledger(), ['e1']);

    const answered = await runCli([
      'answer',
      s.escalations[0]!.id,
      'checked: it went through',
      '--json',
      '--data-dir',
      r.dataDir,
    ]);
    assert.equal(answered.code, 0, answered.stderr);
    assert.equal(json<Summary>(answered).status, 'succeeded');
    assert.deepEqual(r.ledger(), ['e1']);
  });

  it('during an idempotent tool call: resume re-runs it under the same key, and it happens once', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append_once'],
      turns: [{ call: 'ledger.append_once', args: { entry: 'e1', hold: 'h1' } }, done],
    });
    const { child, done: exited } = startCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
    await waitFor(() => existsSync(join(r.workspace, 'reached-h1')), 'the tool to start');
    child.kill('SIGKILL');
    await exited;
    writeFileSync(join(r.workspace, 'release-h1'), '');
    const run = await onlyRun(r);
    const resumed = await runCli(['resume', run.runId, '--json', '--data-dir', r.dataDir]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(json<Summary>(resumed).status, 'succeeded');
    assert.equal(r.ledger().length, 1);
    const show = json<{ toolCalls: { result: { duplicate: boolean } }[] }>(
      await runCli(['show', run.runId, '--json', '--data-dir', r.dataDir]),
    );
    assert.equal(show.toolCalls[0]!.result.duplicate, true);
  });

  it('during a model call: resume asks the model again and repeats no finished tool call', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append'],
      turns: [
        { call: 'ledger.append', args: { entry: 'e1' } },
        { ...done, delayMs: 2000 },
      ],
    });
    const { child, done: exited } = startCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
    // Killed once the tool call's result is committed, that is while the model is asked again (a 2 s
    // answer): watched in the store itself, not guessed with a sleep.
    const store = openSqliteStore({ dataDir: r.dataDir });
    await store.init();
    try {
      await waitUntil(async () => {
        const [run] = await store.listRuns({});
        const snap = run && (await store.loadRun(run.id));
        return snap?.toolCalls[0]?.status === 'succeeded' ? true : undefined;
      }, 'the first tool call to be committed');
    } finally {
      await store.close();
    }
    child.kill('SIGKILL');
    await exited;
    const run = await onlyRun(r);
    assert.equal(run.status, 'running');
    const resumed = await runCli(['resume', run.runId, '--json', '--data-dir', r.dataDir]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const s = json<Summary>(resumed);
    assert.equal(s.status, 'succeeded');
    assert.equal(s.steps, 2);
    assert.deepEqual(r.ledger(), ['e1']);
  });

  it('while an approved call runs: resume does not run it a second time', async () => {
    const r = role({
      autonomy: 'draft',
      tools: ['ledger.append'],
      turns: [{ call: 'ledger.append', args: { entry: 'e1', hold: 'h2' } }, done],
    });
    const first = await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
    assert.equal(first.code, 3, first.stderr);
    const paused = json<Summary>(first);
    const { child, done: exited } = startCli(['approve', paused.pending[0]!, '--data-dir', r.dataDir]);
    await waitFor(() => existsSync(join(r.workspace, 'reached-h2')), 'the approved call to start');
    child.kill('SIGKILL');
    await exited;
    writeFileSync(join(r.workspace, 'release-h2'), '');
    const resumed = json<Summary>(await runCli(['resume', paused.runId, '--json', '--data-dir', r.dataDir]));
    assert.equal(resumed.status, 'escalated');
    assert.deepEqual(r.ledger(), ['e1']);
    // The approval cannot be replayed either.
    const again = await runCli(['approve', paused.pending[0]!, '--data-dir', r.dataDir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /APPROVAL_NOT_PENDING/);
    assert.deepEqual(r.ledger(), ['e1']);
  });

  it('killed at random points again and again: the run completes and every effect happens exactly once', async () => {
    const turns = [1, 2, 3, 4].map((i) => ({
      call: 'ledger.append_once',
      args: { entry: `e${i}` },
      delayMs: 120,
    }));
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append_once', 'fs.list'],
      turns: [...turns, { ...done, delayMs: 120 }],
    });
    // Calibrate on an identical role: how long one uninterrupted run takes here (it varies with load).
    const twin = role({
      autonomy: 'full',
      tools: ['ledger.append_once', 'fs.list'],
      turns: [...turns, { ...done, delayMs: 120 }],
    });
    const t0 = Date.now();
    const calibration = await runCli(['run', twin.file, '--json', '--data-dir', twin.dataDir]);
    assert.equal(calibration.code, 0, calibration.stderr);
    const full = Date.now() - t0;
    let status = '';
    let kills = 0;
    let runId: string | undefined;
    for (let attempt = 0; attempt < 40 && status !== 'succeeded'; attempt++) {
      const args = runId
        ? ['resume', runId, '--json', '--data-dir', r.dataDir]
        : ['run', r.file, '--json', '--data-dir', r.dataDir];
      const { child, done: exited } = startCli(args);
      // The first attempt is killed once its first effect is in the ledger (mid-run, whatever the load);
      // later ones at random points up to a bit past a full run's time.
      if (kills === 0)
        waitFor(() => r.ledger().length > 0, 'a first effect').then(
          () => child.kill('SIGKILL'),
          () => {},
        );
      const timer = setTimeout(() => child.kill('SIGKILL'), Math.floor(full * (0.3 + Math.random() * 0.9)));
      const res = await exited;
      clearTimeout(timer);
      if (res.signal === 'SIGKILL') kills++;
      else {
        assert.equal(res.code, 0, res.stderr);
        status = json<Summary>(res).status;
      }
      if (!runId) {
        // Killed before the store was made (a slow start): `runs` refuses the missing store, and the
        // next attempt is a new `run`.
        const listed = await runCli(['runs', '--json', '--data-dir', r.dataDir]);
        if (listed.code === 2 && /STORE_NOT_FOUND/.test(listed.stderr)) continue;
        runId = json<{ runId: string }[]>(listed)[0]?.runId;
      }
    }
    assert.ok(kills >= 1, 'no attempt was killed');
    assert.equal(status, 'succeeded', `did not finish after ${kills} kills`);
    const entries = r.ledger().map((l) => l.split(' ')[0]);
    assert.deepEqual(entries, ['e1', 'e2', 'e3', 'e4']);
  });
});
