// A stdio MCP server whose child leaves its process group (`setsid`, as a daemon's double fork does) is
// still ended with the run and with a SIGKILLed nightshift: the child keeps the server's environment
// marker, and closing the server or the lifeline watcher kills by it (process-marker.ts). Real CLI, real
// processes, found through /proc by the folder they run in.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startCli } from '../support/cli.js';
import { fixtures } from '../support/paths.js';
import { processesIn } from '../support/processes.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

/** The hostile fixture as server, after starting `setsid sleep` in a session of its own. */
function setsidRole(turns: unknown[]): TestRole {
  const r = writeTestRole({
    autonomy: 'full',
    tools: [],
    ledgerTools: false,
    turns,
    extra: { limits: { execSeconds: 600 } },
  });
  made.push(r);
  const server = {
    name: 'h',
    command: [
      '/bin/sh',
      '-c',
      'setsid sleep 1000 </dev/null >/dev/null 2>&1 & exec "$0" "$1"',
      process.execPath,
      fixtures('mcp', 'hostile-server.mjs'),
    ],
    env: ['MODE', 'MARK_FILE'],
    tools: { echo: 'read' },
  };
  writeFileSync(r.file, `${readFileSync(r.file, 'utf8')}${stringify({ mcp: [server] })}`);
  return r;
}

/** The `sleep` processes running in `dir`: the escaped child. */
const sleepers = (dir: string) =>
  processesIn(dir).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep\0');
    } catch {
      return false;
    }
  });

const callEcho = { call: 'h.echo', args: { text: 'hi' } };
const done = { final: { summary: 'done' } };

describe('a stdio MCP server whose child left its session with setsid', () => {
  it('ends with the run: nothing of the server is left once the CLI exits', async () => {
    const r = setsidRole([callEcho, done]);
    const dir = realpathSync(r.dir);
    const cli = startCli(['run', r.file, '--data-dir', r.dataDir]);
    try {
      const result = await cli.done;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /status: succeeded/);
      // Before, `sleep 1000` ran on under init after the CLI had exited.
      assert.deepEqual(sleepers(dir), [], 'the setsid child outlived the run');
    } finally {
      for (const pid of processesIn(dir)) process.kill(pid, 'SIGKILL');
    }
  });

  it('ends when the CLI is SIGKILLed during a call', async () => {
    const r = setsidRole([callEcho, done]);
    const dir = realpathSync(r.dir);
    const mark = join(r.dir, 'called');
    const cli = startCli(['run', r.file, '--data-dir', r.dataDir], {
      env: { MODE: 'hang-call', MARK_FILE: mark },
    });
    try {
      await waitFor(
        async () => (existsSync(mark) ? true : undefined),
        'the call to reach the server',
        60_000,
      );
      assert.equal(sleepers(dir).length, 1, 'the setsid child runs');
      cli.child.kill('SIGKILL');
      await cli.done;
      await waitFor(
        async () => (processesIn(dir).length === 0 ? true : undefined),
        'the server and its setsid child to end with the killed CLI',
        10_000,
      );
    } finally {
      cli.child.kill('SIGKILL');
      for (const pid of processesIn(dir)) process.kill(pid, 'SIGKILL');
    }
  });
});
