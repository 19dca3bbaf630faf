// An allowlisted program may not start one that is not: `find -exec`, `xargs`, `env`, `git -c`, a
// workspace `.git/config`, `awk`'s system(), `sed`'s `e`, `tar --to-command` and their kin, each tried
// against the real bubblewrap sandbox with a role that lists find, xargs, env, git, tar, awk and sed but
// not `touch` or `sh`. The proof of a run is a file `touch` would make in the workspace.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { defineRole } from '../../src/roles/define.js';
import { shellExec } from '../../src/tools/builtin/shell-exec.js';
import { loadSecrets } from '../../src/tools/secrets.js';
import type { ToolContext } from '../../src/tools/types.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-launchers-');
after(() => tmp.cleanup());
const ws = join(tmp.path, 'ws');
mkdirSync(ws);
const pwned = join(ws, 'pwned');

const role = defineRole(
  {
    name: 'launchers',
    description: 'd',
    autonomy: 'sandbox',
    model: 'openai:unused',
    instructions: 'i',
    tools: ['shell.exec'],
    workspace: './ws',
    scope: {
      commands: [
        'find',
        'xargs',
        'env',
        'git',
        'tar',
        'awk',
        'sed',
        'cat',
        'timeout',
        { program: 'echo', args: ['[a-z]+'] },
      ],
    },
  },
  { dir: tmp.path },
);

async function exec(command: string, args: string[], stdin?: string) {
  const parsed = shellExec.input.parse({ command, args, ...(stdin === undefined ? {} : { stdin }) });
  const verdict = await shellExec.scope!(parsed, { role, workspace: role.workspace });
  if (verdict.kind !== 'inside') return { verdict };
  const ctx: ToolContext = {
    role,
    runId: 'run_x',
    idempotencyKey: 'run_x:1:0',
    fencingToken: 1,
    workspace: role.workspace,
    signal: new AbortController().signal,
    secrets: loadSecrets(role, {}),
  };
  return { verdict, result: await shellExec.run(parsed, ctx) };
}

describe('an allowlisted program does not start one that is not', () => {
  beforeEach(() => {
    rmSync(pwned, { force: true });
    writeFileSync(join(ws, 'a.txt'), 'alpha beta\n');
  });

  const refused: [string, string[], RegExp, string?][] = [
    ['find', ['.', '-exec', 'touch', 'pwned', ';'], /would run 'touch' \(find -exec\)/],
    ['find', ['.', '-execdir', 'sh', '-c', 'touch pwned', '+'], /would run 'sh'/],
    ['find', ['.', '-ok', 'touch', 'pwned', ';'], /would run 'touch'/],
    ['find', ['.', '-exec', 'env', 'touch', 'pwned', ';'], /env would run 'touch'/],
    ['xargs', ['touch'], /would run 'touch'/, 'pwned'],
    ['xargs', ['-n', '1', 'sh', '-c', 'touch pwned'], /would run 'sh'/, 'x'],
    ['xargs', ['echo'], /patterns cannot check/, 'x'],
    ['env', ['touch', 'pwned'], /would run 'touch'/],
    ['env', ['-i', '--', 'sh', '-c', 'touch pwned'], /would run 'sh'/],
    ['env', ['-S', 'touch pwned'], /env -S/],
    ['env', ['-vS', 'touch pwned'], /env -S/],
    ['env', ['--split=touch pwned'], /env -S/],
    ['env', ['LD_PRELOAD=/tmp/x.so', 'cat', 'a.txt'], /env would set "LD_PRELOAD"/],
    ['timeout', ['5', 'touch', 'pwned'], /would run 'touch'/],
    ['timeout', ['-s', 'KILL', '5', 'sh', '-c', 'touch pwned'], /would run 'sh'/],
    // An option's value that names an allowlisted program is not the program run.
    ['xargs', ['-a', 'cat', 'touch'], /would run 'touch'/],
    ['xargs', ['-I', 'cat', 'touch', 'cat'], /would run 'touch'/, 'pwned'],
    ['xargs', ['--arg', 'cat', 'touch'], /would run 'touch'/],
    ['env', ['--uns', 'cat', 'touch', 'pwned'], /would run 'touch'/],
    ['env', ['-u', 'cat', 'touch', 'pwned'], /would run 'touch'/],
    ['env', ['--frobnicate', 'cat', 'touch', 'pwned'], /does not know/],
    ['xargs', ['-Z', 'cat'], /-Z is an option nightshift does not know/],
    ['git', ['-c', 'core.pager=touch pwned', 'log'], /git -c/],
    ['git', ['-ccore.fsmonitor=touch pwned', 'status'], /git -c/],
    ['git', ['--config-env=core.pager=X', 'log'], /git would run/],
    // A global option's value is not the subcommand: -c after it is still git's own.
    ['git', ['--git-dir', '.git', '-c', 'core.pager=touch pwned', 'log'], /git -c/],
    ['git', ['-C', '.', '-c', 'core.pager=touch pwned', 'log'], /git -c/],
    ['git', ['--frobnicate', 'log'], /does not know for git/],
    ['git', ['--exec-path=.', 'status'], /git would run/],
    ['git', ['clone', '--upload-pack=touch pwned', 'x', 'y'], /git would run/],
    ['git', ['rebase', '-x', 'touch pwned', 'HEAD'], /rebase -x/],
    ['git', ['rebase', '--exec=touch pwned', 'HEAD'], /git would run/],
    ['git', ['submodule', 'foreach', 'touch pwned'], /runs commands/],
    ['git', ['bisect', 'run', 'touch', 'pwned'], /runs commands/],
    ['tar', ['-cf', 'x.tar', '--to-command=touch pwned', 'a.txt'], /tar would run/],
    ['tar', ['-xf', 'x.tar', '--to-c', 'touch pwned'], /tar would run/],
    [
      'tar',
      ['-cf', 'x.tar', '--checkpoint=1', '--checkpoint-action=exec=touch pwned', 'a.txt'],
      /tar would run/,
    ],
    ['tar', ['-cf', 'x.tar', '--use-compress-program=touch pwned', 'a.txt'], /tar would run/],
    ['tar', ['-cIsh', '-f', 'x.tar', 'a.txt'], /tar would run/],
    ['tar', ['cIf', 'sh', 'x.tar', 'a.txt'], /tar would run/],
    ['tar', ['-cf', 'x.tar', '-F', 'touch pwned', 'a.txt'], /tar would run/],
  ];
  for (const [command, args, reason, stdin] of refused) {
    it(`refuses ${command} ${args.join(' ')} at the scope check`, async () => {
      const { verdict } = await exec(command, args, stdin);
      assert.equal(verdict.kind, 'outside');
      assert.match((verdict as { reason: string }).reason, reason);
      assert.equal(existsSync(pwned), false);
    });
  }

  it("awk's system() and pipes and sed's e command fail inside (GNU --sandbox), running nothing", async () => {
    for (const [command, args] of [
      ['awk', ['BEGIN{system("touch pwned")}']],
      ['awk', ['BEGIN{print "x" | "touch pwned"}']],
      ['awk', ['BEGIN{"touch pwned" | getline x}']],
      ['sed', ['-n', '1e touch pwned', 'a.txt']],
      ['sed', ['s/alpha/touch pwned/e', 'a.txt']],
    ] as const) {
      const { result } = await exec(command, [...args]);
      assert.notEqual(result?.exitCode, 0, `${command} ${args.join(' ')}: ${JSON.stringify(result)}`);
      assert.equal(existsSync(pwned), false, `${command} ${args.join(' ')} ran touch`);
    }
  });

  it("git ignores a program the workspace's .git/config names (fsmonitor, hooks)", async () => {
    const init = await exec('git', ['init', '-q', '.']);
    assert.equal(init.result?.exitCode, 0, init.result?.stderr);
    writeFileSync(join(ws, '.git', 'config'), '[core]\n\tfsmonitor = touch pwned\n', { flag: 'a' });
    const status = await exec('git', ['status', '--short']);
    assert.equal(status.result?.exitCode, 0, status.result?.stderr);
    assert.equal(existsSync(pwned), false, 'core.fsmonitor ran');
    // The settings put first leave ordinary use alone.
    const diff = await exec('git', ['diff', '--stat']);
    assert.equal(diff.result?.exitCode, 0, diff.result?.stderr);
    rmSync(join(ws, '.git'), { recursive: true, force: true });
  });

  it('still runs what these programs are for', async () => {
    const found = await exec('find', ['.', '-name', '*.txt', '-exec', 'cat', '{}', ';']);
    assert.equal(found.result?.stdout, 'alpha beta\n');
    const awk = await exec('awk', ['{print $2}', 'a.txt']);
    assert.equal(awk.result?.stdout, 'beta\n');
    const sed = await exec('sed', ['s/alpha/gamma/', 'a.txt']);
    assert.equal(sed.result?.stdout, 'gamma beta\n');
    const xargs = await exec('xargs', ['cat'], 'a.txt\n');
    assert.equal(xargs.result?.stdout, 'alpha beta\n');
    const env = await exec('env', ['-i', 'cat', 'a.txt']);
    assert.equal(env.result?.stdout, 'alpha beta\n');
    const perLine = await exec('xargs', ['-n', '1', 'cat'], 'a.txt\n');
    assert.equal(perLine.result?.stdout, 'alpha beta\n');
    const timed = await exec('timeout', ['-k', '1', '5', 'cat', 'a.txt']);
    assert.equal(timed.result?.stdout, 'alpha beta\n');
    const tar = await exec('tar', ['-cf', 'x.tar', 'a.txt']);
    assert.equal(tar.result?.exitCode, 0, tar.result?.stderr);
    const list = await exec('tar', ['-tf', 'x.tar']);
    assert.equal(list.result?.stdout, 'a.txt\n');
    const git = await exec('git', ['-C', '.', '--no-pager', '--version']);
    assert.match(git.result?.stdout ?? '', /^git version/);
  });
});
