// What a command may consume: CPU time, memory, processes. Each hog runs through the real shell.exec
// and bwrap and must be stopped by its limit, not by the time limit. The fork bomb is bounded by its
// own construction (depth 7, at most 255 shells) and by a short time limit, so a broken limit cannot
// take the machine down; what it forked is checked to be gone afterwards, from the host.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ZodError } from 'zod';
import { type DefineRoleInput, defineRole } from '../../src/roles/define.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { Limits } from '../../src/roles/schema.js';
import { execIn } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const tmp = tempDir('nightshift-limits-');
after(() => tmp.cleanup());
const ws = join(tmp.path, 'ws');
mkdirSync(ws);

function role(limits: DefineRoleInput['limits']) {
  return defineRole(
    {
      name: 'limits-test',
      description: 'd',
      autonomy: 'sandbox',
      model: 'openai:unused',
      instructions: 'i',
      tools: ['shell.exec'],
      workspace: './ws',
      scope: { commands: ['sh', 'node'] },
      limits,
    },
    { dir: tmp.path },
  );
}

/** Host processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) found.push(Number(pid));
    } catch {}
  }
  return found;
}

describe('resource limits of a command', () => {
  it('kills a CPU-spinning command at its CPU limit (SIGKILL), well before its time limit', async () => {
    const { result } = await execIn(role({ execCpuSeconds: 1, execSeconds: 120 }), {
      command: 'sh',
      args: ['-c', 'while :; do :; done'],
    });
    assert.equal(result!.timedOut, false);
    // bwrap reports the command's death by signal 9 as exit status 128 + 9.
    assert.equal(result!.exitCode, 137, JSON.stringify(result));
  });

  it('a memory hog fails to allocate past its memory limit', async () => {
    const hog =
      'const a=[];try{for(let i=0;i<24;i++)a.push(Buffer.alloc(64*1024*1024,1));console.log("allocated")}catch(e){console.log("refused:",e.message);process.exit(7)}';
    const { result } = await execIn(role({ execMemoryBytes: 1024 * 1024 * 1024, execSeconds: 120 }), {
      command: 'node',
      args: ['-e', hog],
    });
    assert.equal(result!.timedOut, false);
    assert.notEqual(result!.exitCode, 0, JSON.stringify(result));
    assert.doesNotMatch(result!.stdout, /allocated/);
  });

  it('contains a fork bomb at its process limit, and nothing it forked outlives the command', async () => {
    const marker = `3000.${randomInt(100_000, 999_999)}`;
    const log = join(ws, `bomb-${marker}.log`);
    // Every shell forks two more down to depth 7, logs itself, then sleeps; a fork past the limit fails.
    const bomb = `f() { if [ "$1" -lt 7 ]; then f $(($1 + 1)) & f $(($1 + 1)) & fi; echo up >> "${log}"; sleep ${marker}; }; f 0`;
    const { result } = await execIn(role({ execProcesses: 16, execSeconds: 3 }), {
      command: 'sh',
      args: ['-c', bomb],
    });
    assert.match(result!.stderr, /Cannot fork|Resource temporarily unavailable/, JSON.stringify(result));
    const started = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
    assert.ok(started > 0 && started < 16, `shells that ran: ${started}`);
    await waitFor(
      async () => (processesWith(marker).length === 0 ? true : undefined),
      'every process of the fork bomb to be gone',
    );
    // The per-command pids cgroup (nightshift runs as root) is removed with the command.
    const parent = '/sys/fs/cgroup/pids/nightshift';
    if (existsSync(parent))
      assert.deepEqual(
        readdirSync(parent).filter((d) => d.startsWith(`${process.pid}-`)),
        [],
      );
  });

  it('a role file with a bad limit is refused with its line and the reason', async () => {
    const file = join(tmp.path, 'bad-limits.yaml');
    writeFileSync(
      file,
      'name: bad-limits\ndescription: d\nautonomy: sandbox\nmodel: openai:unused\ninstructions: i\nlimits:\n  execProcesses: 2\n',
    );
    await assert.rejects(loadRoleFile(file), (err: Error) => {
      assert.match(err.message, /bad-limits\.yaml:7 limits\.execProcesses: expected a number >= 4, got 2/);
      return true;
    });
  });

  it('the limits are role settings, checked with a clear error', () => {
    assert.deepEqual(
      Limits.parse({ execCpuSeconds: 5, execMemoryBytes: 256 * 1024 * 1024, execProcesses: 32 }),
      {
        execSeconds: 30,
        execOutputBytes: 65536,
        fetchSeconds: 15,
        fetchBytes: 1048576,
        execCpuSeconds: 5,
        execMemoryBytes: 268435456,
        execProcesses: 32,
      },
    );
    const bad = Limits.safeParse({ execCpuSeconds: 0, execMemoryBytes: 1000, execProcesses: 1.5 });
    assert.ok(!bad.success && bad.error instanceof ZodError);
    const messages = bad.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(messages.sort(), [
      'execCpuSeconds: execCpuSeconds must be at least 1',
      'execMemoryBytes: execMemoryBytes must be at least 67108864 (64 MiB)',
      'execProcesses: execProcesses must be a whole number',
    ]);
  });
});
