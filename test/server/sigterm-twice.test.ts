// SIGTERM twice (a supervisor that repeats it, Ctrl-C pressed twice) during a run: the second signal must
// not kill `serve` with the default action mid-drain. The drain goes on as documented (docs/deployment.md,
// "The queue and crash recovery"): after --grace-ms the run in flight goes back on the queue with its
// lease released, and the process exits 0, instead of dying by the signal with the run left `running`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { authFor, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();

/** Running, stopped or asleep; not gone and not a zombie left for a reaper (its parent has exited). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('serve and SIGTERM twice', () => {
  it('drains as on one SIGTERM: the run is handed back, the process exits 0', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append_once'],
      turns: [{ call: 'ledger.append_once', args: { entry: 'e1', hold: 'h1' } }, { final: { ok: true } }],
      extra: { triggers: [{ event: 'go' }] },
    });
    const served = await startServe([r.dir, '--port', '0', '--data-dir', r.dataDir, '--grace-ms', '1500']);
    const res = await fetch(`${served.url}/events/go`, {
      method: 'POST',
      headers: { ...authFor(served.url), 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 202);
    const runId = ((await res.json()) as { runs: { runId: string }[] }).runs[0]!.runId;
    await waitFor(async () => existsSync(join(r.workspace, 'reached-h1')) || undefined, 'the tool to start');
    served.child.kill('SIGTERM');
    await waitFor(async () => /shutting down/.test(served.stdout()) || undefined, 'the shutdown to begin');
    served.child.kill('SIGTERM');
    const exited = await served.done;
    assert.deepEqual({ code: exited.code, signal: exited.signal }, { code: 0, signal: null }, exited.stderr);
    assert.match(served.stdout(), /already shutting down/);
    const store = openSqliteStore({ dataDir: r.dataDir });
    try {
      await store.init();
      const run = await store.getRun(runId);
      assert.equal(run?.status, 'queued');
      assert.equal(run?.leaseOwner, null);
      assert.equal(run?.attempt, 1);
    } finally {
      await store.close();
    }
  });

  it('a repeat after the grace period and the hand-back ends a stuck drain and its worker processes at once', async () => {
    const r = role({ autonomy: 'full', turns: [{ final: { summary: 'done' } }] });
    const served = await startServe([
      r.dir,
      '--port',
      '0',
      '--data-dir',
      r.dataDir,
      '--workers',
      '2',
      '--grace-ms',
      '300',
    ]);
    const kids = await waitFor(async () => {
      const out = execFileSync('pgrep', ['-P', String(served.child.pid)], { encoding: 'utf8' }).trim();
      const pids = out.split('\n').filter(Boolean).map(Number);
      return pids.length >= 1 ? pids : undefined;
    }, 'the worker processes to start');
    // Stopped worker processes never answer the drain: it cannot end by itself.
    for (const pid of kids) process.kill(pid, 'SIGSTOP');
    // Listened for from here: an exit before the repeat (the drain ended after all) must fail the test with
    // the daemon's log, not leave it awaiting an 'exit' that was already emitted.
    const exit = new Promise<number | null>((done) => served.child.once('exit', (code) => done(code)));
    try {
      served.child.kill('SIGTERM');
      await waitFor(async () => /shutting down/.test(served.stdout()) || undefined, 'the shutdown to begin');
      // Past the grace period and the hand-back after it (HAND_BACK_MS, 10 s): the drain is stuck.
      await new Promise((done) => setTimeout(done, 10_800));
      assert.equal(
        served.child.exitCode ?? served.child.signalCode,
        null,
        `serve ended its stuck drain by itself (kids ${kids.join(', ')}):\n${served.stdout()}`,
      );
      // The stopped worker holds the daemon's output pipes open: its exit is awaited, not their close.
      served.child.kill('SIGTERM');
      assert.equal(await exit, 143);
      // The stuck worker processes were ended with it, not left behind as orphans.
      await waitFor(
        async () => kids.every((pid) => !alive(pid)) || undefined,
        'the worker processes to be gone',
        10_000,
      );
      await served.done;
      assert.match(served.stdout(), /the drain outlasted its grace period: stopping now/);
    } finally {
      for (const pid of kids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  });
});
