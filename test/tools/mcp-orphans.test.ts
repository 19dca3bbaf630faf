// A stdio MCP server ends with the nightshift that started it, also when it is started through a wrapper
// (`sh -c`, as `npx` and `uv run` start one) and does not exit at the end of its stdin, and also when
// nightshift is SIGKILLed (stdio-group-transport.ts). Real CLI, real processes, found through /proc.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startCli } from '../support/cli.js';
import { fixtures } from '../support/paths.js';
import { processesIn } from '../support/processes.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

/** A role whose server is the hostile fixture behind `sh -c` (so the server is the wrapper's child). */
function wrappedRole(turns: unknown[]): TestRole {
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
    // `; :` keeps sh from exec-ing node in its place: node stays a child of the wrapper.
    command: ['/bin/sh', '-c', '"$0" "$1"; :', process.execPath, fixtures('mcp', 'hostile-server.mjs')],
    env: ['MODE', 'MARK_FILE', 'LINGER'],
    tools: { echo: 'read' },
  };
  writeFileSync(r.file, `${readFileSync(r.file, 'utf8')}${stringify({ mcp: [server] })}`);
  return r;
}

const callEcho = { call: 'h.echo', args: { text: 'hi' } };
const done = { final: { summary: 'done' } };

describe('a stdio MCP server behind a wrapper that does not exit at the end of its stdin', () => {
  it('ends with the run: the CLI exits and no process of the server is left', async () => {
    const r = wrappedRole([callEcho, done]);
    const dir = realpathSync(r.dir);
    const cli = startCli(['run', r.file, '--data-dir', r.dataDir], { env: { LINGER: '1' } });
    // The SDK's transport killed only the wrapper: the server held the pipes and the CLI never exited.
    const killer = setTimeout(() => cli.child.kill('SIGKILL'), 90_000);
    try {
      const result = await cli.done;
      assert.equal(
        result.signal,
        null,
        `the CLI did not exit after its run: ${result.stdout}${result.stderr}`,
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /status: succeeded/);
      await waitFor(
        async () => (processesIn(dir).length === 0 ? true : undefined),
        'no server process',
        10_000,
      );
    } finally {
      clearTimeout(killer);
      for (const pid of processesIn(dir)) process.kill(pid, 'SIGKILL');
    }
  });

  it('ends when the CLI is SIGKILLed during a call', async () => {
    const r = wrappedRole([callEcho, done]);
    const dir = realpathSync(r.dir);
    const mark = join(r.dir, 'called');
    const cli = startCli(['run', r.file, '--data-dir', r.dataDir], {
      env: { LINGER: '1', MODE: 'hang-call', MARK_FILE: mark },
    });
    try {
      await waitFor(
        async () => (existsSync(mark) ? true : undefined),
        'the call to reach the server',
        60_000,
      );
      assert.ok(processesIn(dir).length >= 2, 'the wrapper and the server run');
      cli.child.kill('SIGKILL');
      await cli.done;
      await waitFor(
        async () => (processesIn(dir).length === 0 ? true : undefined),
        'the server to end with the killed CLI',
        10_000,
      );
    } finally {
      cli.child.kill('SIGKILL');
      for (const pid of processesIn(dir)) process.kill(pid, 'SIGKILL');
    }
  });
});

describe('a stdio MCP server whose starter dies right after spawning it', () => {
  it('never runs: it waits behind the gate until the watcher knows its group', async () => {
    const dir = tempDir();
    const folder = realpathSync(dir.path);
    const moduleUrl = new URL('../../src/tools/mcp/stdio-group-transport.js', import.meta.url).href;
    // The server leaves a mark when it runs, then stays whatever happens to its stdin.
    const script = `
      import { GroupStdioClientTransport } from ${JSON.stringify(moduleUrl)};
      const die = () => process.kill(process.pid, 'SIGKILL');
      const t = new GroupStdioClientTransport({
        command: '/bin/sh', args: ['-c', 'echo ran > ran.txt; exec sleep 61'],
        cwd: ${JSON.stringify(folder)}, env: {}, afterSpawn: die,
      });
      void t.start();
      die();
    `;
    const starter = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: folder,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      const signal = await new Promise((resolve) => starter.on('exit', (_code, sig) => resolve(sig)));
      assert.equal(signal, 'SIGKILL');
      // Before, the server was spawned with no watcher told yet: it wrote ran.txt and slept on under init.
      await waitFor(
        async () =>
          processesIn(folder).length === 0 || existsSync(join(folder, 'ran.txt')) ? true : undefined,
        'the gate to exit',
        10_000,
      );
      assert.equal(existsSync(join(folder, 'ran.txt')), false, 'the server ran without a watcher');
      assert.deepEqual(processesIn(folder), []);
    } finally {
      for (const pid of processesIn(folder)) process.kill(pid, 'SIGKILL');
      dir.cleanup();
    }
  });
});
