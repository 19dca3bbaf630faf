// An unsandboxed command (scope.unsandboxedExec) that moves a child out of its process group with
// `setsid` does not leave it running: the child keeps the command's environment marker and is killed by
// it when the command ends (process-marker.ts). Real CLI, real processes, found through /proc.
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { processesIn } from '../support/processes.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

describe('an unsandboxed command whose child left its session with setsid', () => {
  it('leaves nothing running once the call has ended', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['shell.exec'],
      ledgerTools: false,
      turns: [
        {
          call: 'shell.exec',
          args: {
            command: 'sh',
            args: ['-c', 'setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo started'],
          },
        },
        { final: { summary: 'done' } },
      ],
      extra: { scope: { commands: ['sh'], unsandboxedExec: true } },
    });
    const workspace = realpathSync(r.workspace);
    try {
      const out = await runCli(['run', r.file, '--json', '--data-dir', r.dataDir], {
        env: { NIGHTSHIFT_BWRAP: '/nonexistent/bwrap' },
      });
      assert.equal(out.code, 0, out.stderr);
      // Before, `sleep 1000` ran on under init, in the workspace, after the run had finished.
      assert.deepEqual(processesIn(workspace), [], 'the setsid child outlived the call');
    } finally {
      for (const pid of processesIn(workspace)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
  });
});
