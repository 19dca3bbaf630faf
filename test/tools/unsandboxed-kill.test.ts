// An unsandboxed command (scope.unsandboxedExec, no bubblewrap) ends with the `nightshift run` that
// started it, even when that process is SIGKILLed and cannot kill it itself (group-lifeline.ts): the
// sandboxed command's lifeline (decision 007), for a plain process group. Real CLI, real commands.
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startCli } from '../support/cli.js';
import { processesIn } from '../support/processes.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();

describe('an unsandboxed command when its starter is SIGKILLed', () => {
  it('is killed with it, the commands it started too', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['shell.exec'],
      ledgerTools: false,
      turns: [
        // Killed as soon as the sleeps run: the program starts only once the watcher knows its group
        // (group-lifeline.ts; the kill between spawn and watcher is in unsandboxed-gate.test.ts).
        { call: 'shell.exec', args: { command: 'sh', args: ['-c', 'sleep 60 & sleep 61'] } },
        { final: { summary: 'done' } },
      ],
      extra: { scope: { commands: ['sh'], unsandboxedExec: true }, limits: { execSeconds: 120 } },
    });
    const workspace = realpathSync(r.workspace);
    const first = startCli(['run', r.file, '--json', '--data-dir', r.dataDir], {
      // No bubblewrap here, so the command runs unsandboxed, as on a host without it.
      env: { NIGHTSHIFT_BWRAP: '/nonexistent/bwrap' },
    });
    try {
      await waitFor(
        async () => (processesIn(workspace).length >= 3 ? true : undefined),
        'the command and its two sleeps to run',
      );
      first.child.kill('SIGKILL');
      await first.done;
      await waitFor(
        async () => (processesIn(workspace).length === 0 ? true : undefined),
        'the unsandboxed command to end with the killed CLI',
        5_000,
      );
    } finally {
      for (const pid of processesIn(workspace)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
    assert.deepEqual(processesIn(workspace), []);
  });
});
