// An unsandboxed command's group reached its watcher only just after the spawn: a starter SIGKILLed in
// between left the command running under init (group-lifeline.ts). The program now waits behind a gate
// the starter opens only once the watcher knows the group. Real processes: a starter (node) that kills
// itself at the chosen point, the real watcher and gate shells, a real command.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnUnsandboxed } from '../../src/tools/builtin/group-lifeline.js';
import { processesIn } from '../support/processes.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const moduleUrl = new URL('../../src/tools/builtin/group-lifeline.js', import.meta.url).href;
// The command leaves a mark when it runs, then stays (and starts a second process in its group).
const COMMAND = 'echo ran > ran.txt; sleep 60 & exec sleep 61';

/** Runs a starter that spawns COMMAND in `folder` and SIGKILLs itself where `killAt` says. */
async function starterKilled(folder: string, killAt: 'afterSpawn' | 'onceRunning'): Promise<void> {
  const script = `
    import { existsSync } from 'node:fs';
    import { spawnUnsandboxed } from ${JSON.stringify(moduleUrl)};
    const die = () => process.kill(process.pid, 'SIGKILL');
    const killAt = ${JSON.stringify(killAt)};
    spawnUnsandboxed('/bin/sh', ['-c', ${JSON.stringify(COMMAND)}], { cwd: ${JSON.stringify(folder)} },
      killAt === 'afterSpawn' ? die : undefined);
    if (killAt === 'onceRunning') setInterval(() => { if (existsSync('ran.txt')) die(); }, 5);
  `;
  const starter = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: folder,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const signal = await new Promise((resolve) => starter.on('exit', (_code, sig) => resolve(sig)));
  assert.equal(signal, 'SIGKILL');
}

function cleanUp(folder: string): void {
  for (const pid of processesIn(folder)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

describe('an unsandboxed command whose starter dies right after spawning it', () => {
  it('never runs when the starter is killed before the watcher knows its group', async () => {
    const dir = tempDir();
    const folder = realpathSync(dir.path);
    try {
      await starterKilled(folder, 'afterSpawn');
      // The gate reads end of file and exits; a command that had started would stay (sleep 61).
      await waitFor(
        async () =>
          processesIn(folder).length === 0 || existsSync(join(folder, 'ran.txt')) ? true : undefined,
        'the gate to exit',
        10_000,
      );
      assert.equal(existsSync(join(folder, 'ran.txt')), false, 'the command ran without a watcher');
      assert.deepEqual(processesIn(folder), []);
    } finally {
      cleanUp(folder);
      dir.cleanup();
    }
  });

  it('is killed, its whole group, when the starter dies once it runs', async () => {
    const dir = tempDir();
    const folder = realpathSync(dir.path);
    try {
      await starterKilled(folder, 'onceRunning');
      assert.equal(existsSync(join(folder, 'ran.txt')), true);
      await waitFor(
        async () => (processesIn(folder).length === 0 ? true : undefined),
        'the command to end with its starter',
        10_000,
      );
    } finally {
      cleanUp(folder);
      dir.cleanup();
    }
  });
});

describe('an unsandboxed command behind the gate', () => {
  const run = async (argv: string[], stdin = '') => {
    const { child, stop } = spawnUnsandboxed('/bin/sh', argv, { env: {} });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(stdin);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, s) => resolve([c, s]));
    });
    stop();
    return { code, signal, stdout, stderr, pid: child.pid };
  };

  it('gets its stdin, and its output, exit code and signal come back as its own', async () => {
    const plain = await run(['-c', 'cat; echo to-err >&2; exit 7'], 'in\n');
    assert.deepEqual([plain.code, plain.signal, plain.stdout, plain.stderr], [7, null, 'in\n', 'to-err\n']);
    const killed = await run(['-c', 'kill -TERM $$']);
    assert.deepEqual([killed.code, killed.signal], [null, 'SIGTERM']);
  });

  it('holds nothing of the gate: the program is the spawned process, without descriptor 3', async () => {
    const r = await run(['-c', 'echo $$; ls /proc/$$/fd']);
    const [pid, ...fds] = r.stdout.trim().split(/\s+/);
    assert.equal(Number(pid), r.pid);
    assert.equal(fds.includes('3'), false, `descriptors: ${fds.join(' ')}`);
  });
});
