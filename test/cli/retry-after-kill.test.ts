// Job mode: `nightshift run --idempotency-key K` is safe to retry (docs/cli.md). A scheduler that SIGKILLs
// the command mid-run (a timeout, an evicted pod, a node drained) and runs it again with the same key gets
// the same run continued from its last committed step, not a second run and not the first left `running`
// for ever: a finished call is not repeated, an idempotent call in flight runs again under its key (once),
// and a non-idempotent one in flight (here a real sandboxed command) pauses for a person. Real CLI
// processes, a real SQLite file, a real child process killed with its CLI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliPath, json, runCli, startCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();

type Summary = {
  runId: string;
  status: string;
  output: unknown;
  escalations: { id: string; category: string; status: string }[];
};

/** Processes whose command line names this folder (the sandboxed command runs there). */
function processesIn(folder: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(folder)) found.push(Number(entry));
    } catch {}
  }
  return found;
}

describe('run --idempotency-key retried after a SIGKILL', () => {
  it('during an idempotent tool call: the retry continues the run, the call happens once, exit 0', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append_once'],
      turns: [
        { call: 'ledger.append_once', args: { entry: 'e1', hold: 'h1' } },
        { final: { summary: 'done' } },
      ],
    });
    const args = ['run', r.file, '--json', '--idempotency-key', 'job-1', '--data-dir', r.dataDir];
    const first = startCli(args);
    await waitFor(async () => (existsSync(join(r.workspace, 'reached-h1')) ? true : undefined), 'the tool');
    first.child.kill('SIGKILL');
    await first.done;
    writeFileSync(join(r.workspace, 'release-h1'), '');

    const retried = await runCli(args);
    assert.equal(retried.code, 0, `${retried.stdout}\n${retried.stderr}`);
    const summary = json<Summary>(retried);
    assert.equal(summary.status, 'succeeded');
    assert.deepEqual(summary.output, { summary: 'done' });
    assert.equal(r.ledger().length, 1, 'the call happened once');
    const runs = json<Summary[]>(await runCli(['runs', '--json', '--data-dir', r.dataDir]));
    assert.deepEqual(
      runs.map((x) => x.runId),
      [summary.runId],
      'one run for the key',
    );
    // And a third try just reports it.
    const again = await runCli(args);
    assert.equal(again.code, 0);
    assert.equal(json<Summary>(again).runId, summary.runId);
    assert.equal(r.ledger().length, 1);
  });

  it('killed under a parent that has not reaped it yet (a zombie): the retry continues the run, exit 0', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append_once'],
      turns: [
        { call: 'ledger.append_once', args: { entry: 'e1', hold: 'h1' } },
        { final: { summary: 'done' } },
      ],
    });
    const args = ['run', r.file, '--json', '--idempotency-key', 'job-z', '--data-dir', r.dataDir];
    // The first CLI's parent is a shell that becomes `sleep`, which never collects its children: the
    // killed CLI stays a zombie (state Z) while the retry runs, as under a scheduler that reaps late.
    const parent = spawn(
      '/bin/sh',
      ['-c', '"$0" "$@" >/dev/null 2>&1 & echo $! && exec sleep 60', process.execPath, cliPath, ...args],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NIGHTSHIFT_ACTOR: 'tester' } },
    );
    try {
      let out = '';
      parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const pid = await waitFor(async () => (out.includes('\n') ? Number(out.trim()) : undefined), 'the pid');
      await waitFor(async () => (existsSync(join(r.workspace, 'reached-h1')) ? true : undefined), 'the tool');
      process.kill(pid, 'SIGKILL');
      const state = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)?.charAt(0);
      await waitFor(async () => (state() === 'Z' ? true : undefined), 'the killed CLI to be a zombie');
      writeFileSync(join(r.workspace, 'release-h1'), '');

      const retried = await runCli(args);
      assert.equal(retried.code, 0, `${retried.stdout}\n${retried.stderr}`);
      const summary = json<Summary>(retried);
      assert.equal(summary.status, 'succeeded', 'a zombie drives nothing: not reported as running');
      assert.equal(r.ledger().length, 1, 'the call happened once');
      assert.equal(state(), 'Z', 'the first CLI was still unreaped during the retry');
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('during a sandboxed command: the outcome of the call is unknown; the retry pauses for a person (exit 3)', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['shell.exec'],
      ledgerTools: false,
      turns: [
        { call: 'shell.exec', args: { command: 'sleep', args: ['60'] } },
        { final: { summary: 'done' } },
      ],
      extra: { scope: { commands: ['sleep'] }, limits: { execSeconds: 120 } },
    });
    const args = ['run', r.file, '--json', '--idempotency-key', 'job-2', '--data-dir', r.dataDir];
    const first = startCli(args);
    await waitFor(async () => (processesIn(r.workspace).length > 0 ? true : undefined), 'the command to run');
    first.child.kill('SIGKILL');
    await first.done;
    // The sandbox ends with the process that started it, even killed right as the command starts (before
    // bubblewrap arms its parent-death signal): its lifeline closed (docs/tools.md).
    await waitFor(
      async () => (processesIn(r.workspace).length === 0 ? true : undefined),
      'the sandboxed command to end with the killed CLI',
      5_000,
    );

    const retried = await runCli(args);
    assert.equal(retried.code, 3, `${retried.stdout}\n${retried.stderr}`);
    const summary = json<Summary>(retried);
    assert.equal(summary.status, 'escalated', 'not left running: nothing else drives it');
    assert.deepEqual(
      summary.escalations.map((e) => [e.category, e.status]),
      [['unknown_outcome', 'pending']],
    );
    const runs = json<Summary[]>(await runCli(['runs', '--json', '--data-dir', r.dataDir]));
    assert.equal(runs.length, 1, 'one run for the key');
  });

  it('after the role file changed: the retry continues the run with the version it was recorded with', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append_once'],
      turns: [
        { call: 'ledger.append_once', args: { entry: 'e1', hold: 'h1' } },
        { final: { summary: 'done' } },
      ],
    });
    const args = ['run', r.file, '--json', '--idempotency-key', 'job-v', '--data-dir', r.dataDir];
    const first = startCli(args);
    await waitFor(async () => (existsSync(join(r.workspace, 'reached-h1')) ? true : undefined), 'the tool');
    first.child.kill('SIGKILL');
    await first.done;
    writeFileSync(join(r.workspace, 'release-h1'), '');
    // A new version of the role: its output must have an `x`, which this run's final answer has not.
    const edited = readFileSync(r.file, 'utf8') + "output:\n  type: object\n  required: ['x']\n";
    writeFileSync(r.file, edited);

    const retried = await runCli(args);
    assert.equal(retried.code, 0, `${retried.stdout}\n${retried.stderr}`);
    const summary = json<Summary>(retried);
    assert.equal(summary.status, 'succeeded', 'driven by the version it was recorded with');
    assert.deepEqual(summary.output, { summary: 'done' });
    assert.equal(r.ledger().length, 1, 'the call happened once');
  });
});
