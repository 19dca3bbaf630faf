// An allowlisted program may not start one that is not: `find -exec`, `xargs`, `env`, `git -c`, a
// workspace `.git/config`, `awk`'s system(), `sed`'s `e`, `tar --to-command` and their kin, each tried
// against the real bubblewrap sandbox with a role that lists find, xargs, env, git, tar, awk and sed but
// not `touch` or `sh`. The proof of a run is a file `touch` would make in the workspace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { checkLaunch, type Launchable } from '../../src/tools/builtin/command-launchers.js';
import { shellExec } from '../../src/tools/builtin/shell-exec.js';
import { execIn, sandboxedRole, shellContext } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-launchers-');
after(() => tmp.cleanup());
const ws = join(tmp.path, 'ws');
mkdirSync(ws);
const pwned = join(ws, 'pwned');

const role = sandboxedRole(
  'launchers',
  [
    'find',
    'xargs',
    'env',
    'git',
    'tar',
    'awk',
    'sed',
    'cat',
    'timeout',
    'mawk',
    'sort',
    'split',
    'diff',
    'diff3',
    'sdiff',
    { program: 'echo', args: ['[a-z]+'] },
  ],
  tmp.path,
);

function exec(command: string, args: string[], stdin?: string) {
  return execIn(role, { command, args, ...(stdin === undefined ? {} : { stdin }) });
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
    // git's internal helpers: `bisect--helper` and `submodule--helper` run what they are given, and
    // `difftool--helper` runs the program the repository's `diff.tool` names (found by review).
    ['git', ['bisect--helper', '--bisect-run', 'touch', 'pwned'], /internal helpers/],
    ['git', ['submodule--helper', 'foreach', 'touch pwned'], /internal helpers/],
    [
      'git',
      ['difftool--helper', 'a.txt', 'a.txt', '0', '100644', 'a.txt', '0', '100644'],
      /internal helpers/,
    ],
    ['git', ['-C', '.', 'web--browse', 'http://x'], /internal helpers|runs commands/],
    ['tar', ['-cf', 'x.tar', '--to-command=touch pwned', 'a.txt'], /tar would run/],
    // `--` as an option's value is not the end of the options; a `+` not after {} does not end -exec.
    ['tar', ['cf', '--', '--checkpoint=1', '--checkpoint-action=exec=touch pwned', '.'], /tar would run/],
    ['sort', ['-o', '--', '--compress-program=touch', '-S', '1', 'a.txt'], /argument 2/],
    [
      'find',
      [
        '.',
        '-maxdepth',
        '0',
        '-exec',
        'tar',
        '+',
        '-cf',
        'x.tar',
        '--checkpoint=1',
        '--checkpoint-action=exec=touch pwned',
        'a.txt',
        ';',
      ],
      /tar would run/,
    ],
    [
      'find',
      ['.', '-maxdepth', '0', '-exec', 'sort', '+', '-S', '1', '--compress-program=touch', 'a.txt', ';'],
      /argument/,
    ],
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
    ['tar', ['-xf', 'x.tar', '--to-com=touch pwned'], /tar would run/],
    // xargs hands what it reads from stdin to a program whose arguments nightshift checks.
    ['xargs', ['find'], /arguments nightshift checks/, '. -exec touch pwned ;'],
    ['xargs', ['git'], /arguments nightshift checks/, '-c core.pager=touch\\ pwned log'],
    ['xargs', ['-o', 'awk'], /arguments nightshift checks/, 'BEGIN{system("touch pwned")}'],
    ['xargs', ['tar'], /arguments nightshift checks/, '-cf x.tar --to-command=sh a.txt'],
    ['xargs', ['env'], /arguments nightshift checks/, 'touch pwned'],
    ['xargs', ['timeout'], /arguments nightshift checks/, '5 touch pwned'],
    ['xargs', ['sort'], /arguments nightshift checks/, '--compress-program=sh a.txt'],
    // git's options that run a program, in their attached, clustered and abbreviated forms.
    ['git', ['rebase', "-x'touch pwned'", 'HEAD'], /rebase -x/],
    ['git', ['rebase', '-ix', 'touch pwned', 'HEAD'], /rebase -x/],
    ['git', ['rebase', '--exe=touch pwned', 'HEAD'], /--exec/],
    ['git', ['clone', '-u/tmp/prog', 'x', 'y'], /clone -u/],
    ['git', ['clone', '--upload-p', 'touch pwned', 'x', 'y'], /--upload-pack/],
    ['git', ['clone', '-c', 'core.gitProxy=touch pwned', 'x', 'y'], /clone -c/],
    ['git', ['clone', '--config=core.gitProxy=touch pwned', 'x', 'y'], /--config/],
    ['git', ['ls-remote', '-u', 'touch pwned', 'x'], /ls-remote -u/],
    ['git', ['grep', "-O'touch pwned'", 'alpha'], /grep -O/],
    ['git', ['grep', '--open-files-in-pager=touch pwned', 'alpha'], /--open-files-in-pager/],
    ['git', ['grep', '--open', 'alpha'], /--open-files-in-pager/],
    ['git', ['fetch', '--upload-pack=touch pwned', 'x'], /--upload-pack/],
    ['git', ['pull', '--upload-pack=touch pwned', 'x'], /--upload-pack/],
    ['git', ['push', '--receive-pack=touch pwned', 'x'], /--receive-pack/],
    ['git', ['push', '--exec=touch pwned', 'x'], /--exec/],
    ['git', ['archive', '--remote=x', '--exec=touch pwned', 'HEAD'], /--exec/],
    ['git', ['log', '--ext-diff', '-p'], /--ext-diff/],
    ['git', ['cat-file', '--textconv', 'HEAD:a.txt'], /--textconv/],
    ['git', ['blame', '--text', 'a.txt'], /--textconv/],
    ['git', ['cat-file', '--filter', 'HEAD:a.txt'], /--filters/],
    ['git', ['--text', 'log'], /--textconv/],
    ['git', ['log', '--config-env=core.pager=X'], /--config-env/],
    ['git', ['send-email', '--to=a@b', 'x.patch'], /runs commands/],
    ['git', ['filter-branch', '--tree-filter', 'touch pwned'], /runs commands/],
    ['git', ['daemon', '--base-path=.'], /runs commands/],
    ['git', ['difftool', '-x', 'touch pwned'], /runs commands/],
    ['git', ['mergetool', '--tool=x'], /--tool|runs commands/],
    // Configuration outside the repository is not read by the check before a git call.
    ['git', ['config', '--global', 'diff.external', 'touch pwned'], /git config --global/],
    ['git', ['config', '--glob', 'diff.external', 'touch pwned'], /git config --global/],
    ['git', ['config', '--system', 'alias.x', '!touch pwned'], /git config --system/],
    ['git', ['config', '--file=/tmp/.gitconfig', 'diff.external', 'x'], /git config --file/],
    ['git', ['config', '-f', '/tmp/.gitconfig', 'diff.external', 'x'], /git config -f/],
    // `--` may be an option's value (--comment, git >= 2.45): every argument of `git config` is read.
    ['git', ['config', '--comment', '--', '--global', 'diff.external', 'touch pwned'], /git config --global/],
    // The variables that keep git from reading $HOME/.gitconfig (shell-exec.ts) stay set.
    ['env', ['-u', 'GIT_CONFIG_GLOBAL', 'git', 'diff'], /GIT_CONFIG_GLOBAL/],
    ['env', ['--unset=GIT_CONFIG_NOSYSTEM', 'git', 'diff'], /GIT_CONFIG_NOSYSTEM/],
    // git's manual starts man (or info, a browser) and a pager.
    ['git', ['help', 'log'], /git help\)/],
    ['git', ['help', '-i', 'log'], /git help\)/],
    ['git', ['help'], /git help\)/],
    ['git', ['--help', 'log'], /git --help\)/],
    ['git', ['-h', 'log'], /git -h\)/],
    ['git', ['-C', '.', '--help', 'log'], /git --help\)/],
    ['git', ['--no-pager', 'help', 'log'], /git help\)/],
    ['git', ['log', '--help'], /git log --help\)/],
    ['git', ['-C', '.', 'log', '--help'], /git log --help\)/],
    ['git', ['log', '--help', '-w'], /git log --help\)/],
    // mawk has no sandbox mode: -W (`-W exec FILE` takes the program from a file or stdin), long options,
    // program files, system() and pipes are refused.
    ['mawk', ['-W', 'exec', '/dev/stdin'], /no sandbox mode/, 'BEGIN{system("touch pwned")}'],
    ['mawk', ['-Wexec', '/dev/stdin'], /no sandbox mode/, 'BEGIN{system("touch pwned")}'],
    ['mawk', ['--exec', '/dev/stdin'], /no sandbox mode/, 'BEGIN{system("touch pwned")}'],
    ['mawk', ['-f', '/dev/stdin'], /no sandbox mode/, 'BEGIN{system("touch pwned")}'],
    ['mawk', ['-F:', 'BEGIN{system("touch pwned")}'], /system\(\)/],
    ['mawk', ['BEGIN{print "x" | "touch pwned"}'], /system\(\)/],
    // Programs that run a program an option names.
    ['sort', ['--compress-program=sh', 'a.txt'], /--compress-program/],
    ['sort', ['--compress-p', 'sh', 'a.txt'], /--compress-program/],
    ['split', ['--filter=touch pwned', 'a.txt'], /--filter/],
    ['diff3', ['--diff-program=touch', 'a.txt', 'a.txt', 'a.txt'], /--diff-program/],
    ['sdiff', ['--diff-program=touch', 'a.txt', 'a.txt'], /--diff-program/],
    ['sdiff', ['-so', 'out', 'a.txt', 'a.txt'], /sdiff would run/],
    ['diff', ['-l', 'a.txt', 'a.txt'], /runs pr/],
    // find puts the file name into `{}` inside a longer argument after the check.
    ['find', ['.', '-exec', 'cat', '--u{}', ';'], /has \{\} inside it/],
    ['find', ['.', '-execdir', 'git', '-c{}', 'log', '+'], /has \{\} inside it/],
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

  it('a program another one starts keeps its own checks (--sandbox, --force-local, git settings)', async () => {
    for (const [command, args] of [
      ['timeout', ['5', 'awk', 'BEGIN{system("touch pwned")}']],
      ['env', ['sed', '-n', '1e touch pwned', 'a.txt']],
      ['env', ['-i', 'timeout', '5', 'sed', 's/alpha/touch pwned/e', 'a.txt']],
      ['find', ['.', '-name', 'a.txt', '-exec', 'awk', 'BEGIN{system("touch pwned")}', ';']],
    ] as const) {
      const { verdict, result } = await exec(command, [...args]);
      assert.equal(verdict.kind, 'inside', `${command} ${args.join(' ')}`);
      assert.equal(
        existsSync(pwned),
        false,
        `${command} ${args.join(' ')} ran touch: ${JSON.stringify(result)}`,
      );
    }
    const init = await exec('git', ['init', '-q', '.']);
    assert.equal(init.result?.exitCode, 0, init.result?.stderr);
    writeFileSync(join(ws, '.git', 'config'), '[core]\n\tfsmonitor = touch pwned\n', { flag: 'a' });
    for (const [command, args] of [
      ['env', ['git', 'status', '--short']],
      ['timeout', ['5', 'git', 'status', '--short']],
      ['find', ['.', '-maxdepth', '0', '-exec', 'git', 'status', '--short', ';']],
    ] as const) {
      const { result } = await exec(command, [...args]);
      assert.equal(result?.exitCode, 0, result?.stderr);
      assert.equal(existsSync(pwned), false, `${command} ${args.join(' ')}: core.fsmonitor ran`);
    }
    rmSync(join(ws, '.git'), { recursive: true, force: true });
  });

  it("git does not run an alias the workspace's .git/config defines, and runs its own commands", async () => {
    const init = await exec('git', ['init', '-q', '.']);
    assert.equal(init.result?.exitCode, 0, init.result?.stderr);
    writeFileSync(join(ws, '.git', 'config'), '[alias]\n\tst = !touch pwned\n\tstatus = !touch pwned\n', {
      flag: 'a',
    });
    // A `!` alias in the repository's configuration refuses every git call until someone removes it.
    const st = await exec('git', ['st']);
    assert.equal(st.verdict.kind, 'outside');
    assert.match(JSON.stringify(st.verdict), /alias\.st/);
    assert.equal(existsSync(pwned), false, 'the alias ran');
    // A plain alias is no program: git's own commands run beside it.
    writeFileSync(join(ws, '.git', 'config'), '[core]\n\tbare = false\n[alias]\n\tst = status\n');
    const status = await exec('git', ['status', '--short']);
    assert.equal(status.result?.exitCode, 0, status.result?.stderr);
    assert.equal(existsSync(pwned), false);
    rmSync(join(ws, '.git'), { recursive: true, force: true });
  });

  it("git prints a command's usage with -h, and --help not right after the subcommand is no manual", async () => {
    const init = await exec('git', ['init', '-q', '.']);
    assert.equal(init.result?.exitCode, 0, init.result?.stderr);
    const usage = await exec('git', ['log', '-h']);
    assert.equal(usage.verdict.kind, 'inside');
    assert.match(`${usage.result?.stdout}${usage.result?.stderr}`, /usage: git log/);
    for (const args of [
      ['grep', '-e', 'alpha', '--', '--help'],
      ['grep', '-e', '--help'],
      ['commit', '-m', '--help'],
      ['status', '-s', '--help'],
    ]) {
      const { verdict } = await exec('git', args);
      assert.equal(verdict.kind, 'inside', `git ${args.join(' ')}: ${JSON.stringify(verdict)}`);
    }
    rmSync(join(ws, '.git'), { recursive: true, force: true });
  });

  // The check's verdict is not carried to the run (shell-exec.ts): a turn's calls are all judged before
  // any runs, so an earlier call of the same turn may write .git/config between this call's check and run.
  it('git refuses at run a configuration written after its check passed (an earlier call of the turn)', async () => {
    const init = await exec('git', ['init', '-q', '.']);
    assert.equal(init.result?.exitCode, 0, init.result?.stderr);
    const parsed = shellExec.input.parse({ command: 'git', args: ['diff', 'HEAD'] });
    const verdict = await shellExec.scope!(parsed, { role, workspace: role.workspace });
    assert.equal(verdict.kind, 'inside', JSON.stringify(verdict));
    writeFileSync(join(ws, '.git', 'config'), '[diff]\n\texternal = touch pwned\n', { flag: 'a' });
    await assert.rejects(
      async () => shellExec.run(parsed, shellContext(role)),
      /SCOPE_VIOLATION|diff\.external/,
    );
    assert.equal(existsSync(pwned), false, 'diff.external ran');
    rmSync(join(ws, '.git'), { recursive: true, force: true });
  });

  // Keys that carry a driver's or a remote's name cannot be overridden with -c: the repository's
  // configuration is read before each git call, and one that names a program refuses it.
  it("git refuses to run while the repository's configuration names a program (diff.external, drivers, uploadpack)", async () => {
    const init = await exec('git', ['init', '-q', '.']);
    assert.equal(init.result?.exitCode, 0, init.result?.stderr);
    const config = join(ws, '.git', 'config');
    const base = '[core]\n\trepositoryformatversion = 0\n\tbare = false\n';
    writeFileSync(join(ws, '.gitattributes'), 'a.txt diff=x filter=y\n');
    for (const [extra, key, command, args] of [
      ['[diff]\n\texternal = touch pwned\n', 'diff.external', 'git', ['diff', 'HEAD']],
      ['[diff "x"]\n\ttextconv = touch pwned\n', 'diff.x.textconv', 'git', ['log', '-p']],
      ['[filter "y"]\n\tclean = touch pwned\n', 'filter.y.clean', 'git', ['add', 'a.txt']],
      ['[remote "o"]\n\turl = .\n\tuploadpack = touch pwned\n', 'remote.o.uploadpack', 'git', ['fetch', 'o']],
      ['[include]\n\tpath = ../other\n', 'include.path', 'git', ['status']],
      ['[diff]\n\texternal = touch pwned\n', 'diff.external', 'env', ['git', 'diff']],
      [
        '[diff]\n\texternal = touch pwned\n',
        'diff.external',
        'find',
        ['.', '-maxdepth', '0', '-exec', 'git', 'diff', ';'],
      ],
    ] as const) {
      writeFileSync(config, base + extra);
      const { verdict, result } = await exec(command, [...args]);
      assert.equal(
        verdict.kind,
        'outside',
        `${command} ${args.join(' ')} with ${key}: ${JSON.stringify(result)}`,
      );
      assert.match(JSON.stringify(verdict), new RegExp(key.replaceAll('.', '\\.')));
      assert.equal(existsSync(pwned), false);
    }
    // -C points git at another repository: that one's configuration is read.
    mkdirSync(join(ws, 'sub'), { recursive: true });
    writeFileSync(config, base);
    const sub = await exec('git', ['-C', 'sub', 'init', '-q', '.']);
    assert.equal(sub.result?.exitCode, 0, sub.result?.stderr);
    writeFileSync(join(ws, 'sub', '.git', 'config'), `${base}[diff]\n\texternal = touch pwned\n`);
    const other = await exec('git', ['-C', 'sub', 'diff']);
    assert.equal(other.verdict.kind, 'outside');
    assert.match(JSON.stringify(other.verdict), /diff\.external/);
    const here = await exec('git', ['status', '--short']);
    assert.equal(here.result?.exitCode, 0, here.result?.stderr);
    rmSync(join(ws, 'sub'), { recursive: true, force: true });
    rmSync(join(ws, '.gitattributes'), { force: true });
    rmSync(join(ws, '.git'), { recursive: true, force: true });
  });

  it('takes what only looks like a refused option (attached values, exact names, -F"|")', async () => {
    for (const [command, args, stdin] of [
      ['git', ['format-patch', '--to=a@example.com', 'HEAD~1']],
      ['git', ['clone', '--filter=blob:none', 'x', 'y']],
      ['git', ['diff', '--text']],
      ['git', ['fetch', '-u', 'origin']],
      ['tar', ['-C/home/Images', '-cf', 'x.tar', 'a.txt']],
      ['tar', ['-xf/tmp/Foo.tar']],
      ['tar', ['-cf', 'x.tar', '--checkpoint=1', 'a.txt']],
      ['xargs', ['-o', 'cat'], 'a.txt'],
    ] as const) {
      const { verdict } = await exec(command, [...args], stdin);
      assert.equal(verdict.kind, 'inside', `${command} ${args.join(' ')}: ${JSON.stringify(verdict)}`);
    }
    const mawk = await exec('mawk', ['-F|', '{print $2}'], 'alpha|beta\n');
    assert.equal(mawk.result?.stdout, 'beta\n', JSON.stringify(mawk));
  });

  it("tar's old-style first argument keeps its values (tar cf, tar czf, tar tf)", async () => {
    mkdirSync(join(ws, 'Foo'), { recursive: true });
    const create = await exec('tar', ['cf', 'Foo/x.tar', 'a.txt']);
    assert.equal(create.result?.exitCode, 0, create.result?.stderr);
    const list = await exec('tar', ['tf', 'Foo/x.tar']);
    assert.equal(list.result?.stdout, 'a.txt\n', list.result?.stderr);
    const gz = await exec('tar', ['czf', 'x.tgz', 'a.txt']);
    assert.equal(gz.result?.exitCode, 0, gz.result?.stderr);
    const gzList = await exec('tar', ['-tzf', 'x.tgz']);
    assert.equal(gzList.result?.stdout, 'a.txt\n', gzList.result?.stderr);
    const attached = await exec('tar', ['-tfFoo/x.tar']);
    assert.equal(attached.result?.stdout, 'a.txt\n', attached.result?.stderr);
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

// Where git reads a request for its manual, checked against git itself: a `man` and an `info` on PATH
// that leave a note when git starts them. The check refuses exactly the argument vectors that start one,
// and the vector it lets run (with its -c settings) starts none.
describe("git's manual is refused where git would open it, and only there", () => {
  const dir = join(tmp.path, 'manual');
  const bin = join(dir, 'bin');
  const repo = join(dir, 'repo');
  const notes = join(dir, 'viewer-started');
  mkdirSync(bin, { recursive: true });
  mkdirSync(repo);
  for (const viewer of ['man', 'info'])
    writeFileSync(join(bin, viewer), `#!/bin/sh\necho "${viewer} $*" >> '${notes}'\n`, { mode: 0o755 });
  const env = {
    PATH: `${bin}:/usr/bin:/bin`,
    HOME: '/nonexistent',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
  };
  spawnSync('git', ['init', '-q', '.'], { cwd: repo, env });
  /** What git started for `args`: the viewer's note, or '' for none. */
  const viewerFor = (args: readonly string[]): string => {
    rmSync(notes, { force: true });
    spawnSync('git', args, { cwd: repo, env, stdio: 'ignore', timeout: 10_000 });
    return existsSync(notes) ? readFileSync(notes, 'utf8').trim() : '';
  };
  const check = (args: string[]) =>
    checkLaunch('git', args, { rule: 'git', realName: 'git' }, (name) => ({
      rule: undefined,
      realName: name,
    }));

  it('refuses every vector that starts a viewer', () => {
    for (const args of [
      ['help', 'log'],
      ['--help', 'log'],
      ['-h', 'log'],
      ['-C', '.', '--help', 'log'],
      ['log', '--help'],
      ['-C', '.', 'log', '--help'],
      ['--no-pager', 'log', '--help'],
      ['--work-tree', '.', 'log', '--help'],
      ['commit', '--help'],
      ['log', '--help', '-m'],
      ['log', '--help', '-i'],
      ['version', '--help'],
      ['--version', '--help'],
      ['-v', '--help'],
    ]) {
      assert.notEqual(viewerFor(args), '', `git ${args.join(' ')} starts no viewer: the case is wrong`);
      const r = check(args);
      assert.equal(r.ok, false, `git ${args.join(' ')} was allowed`);
      assert.match((r as { reason: string }).reason, /git's manual would start a viewer/);
    }
  });

  it('lets run what starts none, --help as a value, a pathspec or a late option', () => {
    for (const args of [
      ['grep', '-e', '--help'],
      ['grep', '-e', 'alpha', '--help'],
      ['grep', '-e', 'alpha', '--', '--help'],
      ['commit', '-m', '--help'],
      ['log', '-p', '--help'],
      ['log', '--', '--help'],
      ['status', '-s', '--help'],
      ['log', '-h'],
      ['log', '-h', '--help'],
      ['-C', '--help', 'status'],
    ]) {
      const r = check(args);
      assert.equal(r.ok, true, `git ${args.join(' ')}: ${JSON.stringify(r)}`);
      assert.equal(viewerFor((r as { args: string[] }).args), '', `git ${args.join(' ')}`);
    }
  });

  // A word git expands through the repository's configuration gets its alias emptied (`-c alias.<word>=`),
  // so an alias naming the manual, or autocorrection to one, never reaches it.
  it('an alias in the repository that names the manual does not start it', () => {
    spawnSync('git', ['config', 'alias.manual', 'log --help'], { cwd: repo, env });
    spawnSync('git', ['config', 'help.autocorrect', 'immediate'], { cwd: repo, env });
    try {
      assert.notEqual(viewerFor(['manual']), '', 'the alias starts no viewer: the case is wrong');
      for (const args of [['manual'], ['manul'], ['-C', '.', 'manual']]) {
        const r = check(args);
        assert.equal(r.ok, true, `git ${args.join(' ')}: ${JSON.stringify(r)}`);
        assert.equal(viewerFor((r as { args: string[] }).args), '', `git ${args.join(' ')}`);
      }
      assert.equal(check(['manual', '--help']).ok, false);
    } finally {
      spawnSync('git', ['config', '--unset', 'alias.manual'], { cwd: repo, env });
      spawnSync('git', ['config', '--unset', 'help.autocorrect'], { cwd: repo, env });
    }
  });
});

describe('a program is checked by the name it is invoked by and by its real name', () => {
  const listed = new Set(['env', 'cat', 'timeout', 'awk', 'busybox']);
  const resolve = (name: string): Launchable => ({
    rule: listed.has(name) ? name : undefined,
    realName: name === 'awk' ? 'mawk' : name,
  });
  const check = (command: string, args: string[], realName: string, rule: Launchable['rule'] = command) =>
    checkLaunch(command, args, { rule, realName }, resolve);

  it('a link named as a launcher to a file named otherwise gets the launcher checks', () => {
    const r = check('/opt/bin/timeout', ['5', 'touch', 'pwned'], 'real-timeout');
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /would run 'touch'/);
  });

  it('a multicall program (busybox, coreutils) invoked as a launcher is refused unless its rule has args', () => {
    for (const [command, realName] of [
      ['env', 'busybox'],
      ['timeout', 'coreutils'],
      ['busybox', 'busybox'],
    ] as const) {
      const r = check(command, ['sh', '-c', 'touch pwned'], realName);
      assert.equal(r.ok, false, `${command} as ${realName}`);
    }
    assert.equal(check('cat', ['a.txt'], 'busybox').ok, true);
    assert.equal(
      check('env', ['cat', 'a.txt'], 'busybox', { program: 'env', args: ['cat|a\\.txt'] }).ok,
      true,
    );
  });

  it('awk that is mawk gets the checks of an awk without a sandbox, through a wrapper too', () => {
    assert.equal(check('awk', ['-W', 'exec', '/dev/stdin'], 'mawk').ok, false);
    assert.equal(check('timeout', ['5', 'awk', 'BEGIN{system("touch pwned")}'], 'timeout').ok, false);
    assert.deepEqual(check('awk', ['-F|', '{print $1}'], 'mawk'), { ok: true, args: ['-F|', '{print $1}'] });
    assert.deepEqual(check('awk', ['{print $1}'], 'gawk'), { ok: true, args: ['--sandbox', '{print $1}'] });
  });
});
