// git run by shell.exec reads no configuration outside the repository: HOME is /tmp for commands, which an
// unsandboxed role shares between calls and can write (`git checkout-index --prefix=/tmp/ .gitconfig`), and
// the check before each git call reads only the repository's own configuration (git-config-scan.ts), and
// only in the workspace: that check runs on the host, outside the sandbox.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkRepositoryConfig, withoutUserinfo } from '../../src/tools/builtin/git-config-scan.js';
import { execIn, sandboxedRole, unsandboxedRole, withoutBubblewrap } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-git-global-');
after(() => tmp.cleanup());
const ws = join(tmp.path, 'ws');
mkdirSync(ws);

describe('git under shell.exec', () => {
  it("does not read the per-user configuration under the commands' HOME (/tmp)", async () => {
    // The HOME shell.exec gives commands; the XDG file git reads beside $HOME/.gitconfig.
    const dirs = ['/tmp/.config', '/tmp/.config/git'];
    const made = dirs.filter((d) => !existsSync(d));
    for (const d of made) mkdirSync(d);
    const global = '/tmp/.config/git/config';
    const marker = join(tmp.path, 'ran');
    const script = join(tmp.path, 'external.sh');
    writeFileSync(script, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    writeFileSync(join(tmp.path, 'external.inc'), `[diff]\n\texternal = ${script}\n`);
    // Only this test's repository takes it (includeIf), so another git on the machine is not disturbed.
    // `wx`: an existing file there is not someone else's to overwrite; the test fails instead.
    writeFileSync(global, `[includeIf "gitdir:${ws}/"]\n\tpath = ${join(tmp.path, 'external.inc')}\n`, {
      flag: 'wx',
    });
    try {
      const git = (...args: string[]) =>
        execFileSync('git', args, { cwd: ws, env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' } });
      git('init', '-q', '.');
      writeFileSync(join(ws, 'a.txt'), 'alpha\n');
      git('add', 'a.txt');
      writeFileSync(join(ws, 'a.txt'), 'beta\n');
      const role = unsandboxedRole('git-global', ['git'], tmp.path);
      const { verdict, result } = await withoutBubblewrap(() =>
        execIn(role, { command: 'git', args: ['diff'] }),
      );
      assert.equal(verdict.kind, 'inside', JSON.stringify(verdict));
      assert.equal(result?.sandbox, 'none');
      assert.equal(result?.exitCode, 0, result?.stderr);
      assert.equal(existsSync(marker), false, 'diff.external from /tmp/.config/git/config ran');
      // git's own diff ran instead.
      assert.match(result?.stdout ?? '', /^-alpha\n\+beta$/m);
    } finally {
      rmSync(global, { force: true });
      for (const d of made.reverse()) rmdirSync(d);
    }
  });
});

describe("git's configuration check stays in the workspace", () => {
  // before: the check ran `git config --list` on the host in whatever -C/--git-dir named, and its refusal
  // quoted that host repository's key, token and all; `-C /nonexistent` was refused and `-C /root` passed.
  const dir = tempDir('nightshift-git-where-');
  after(() => dir.cleanup());
  const root = realpathSync(dir.path);
  const host = join(root, 'hostrepo');
  const token = 'ghp_hostsecretabc123';
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' } });
  mkdirSync(host);
  git(host, 'init', '-q', '.');
  git(host, 'config', `url.https://x-token:${token}@github.com/.insteadOf`, 'https://github.com/');
  const work = join(root, 'ws');
  mkdirSync(join(work, 'sub', 'deep'), { recursive: true });
  git(join(work, 'sub'), 'init', '-q', '.');
  symlinkSync(host, join(work, 'out'));
  symlinkSync('..', join(work, 'sub', 'up'));
  const role = sandboxedRole('git-where', ['git'], root);

  const refusedAlike = async (args: string[], cwd = '.') => {
    const { verdict, result } = await execIn(role, { command: 'git', args, cwd });
    assert.equal(verdict.kind, 'outside', `git ${args.join(' ')} ran: ${JSON.stringify(result)}`);
    const reason = verdict.kind === 'outside' ? verdict.reason : '';
    assert.doesNotMatch(reason, new RegExp(token), reason);
    assert.doesNotMatch(reason, /insteadof|cannot change to|No such file/i, reason);
    assert.match(reason, /outside the workspace/, reason);
    return reason;
  };

  it('refuses -C, --git-dir and --work-tree naming an absolute path outside, whether it exists or not', async () => {
    const there = await refusedAlike(['-C', host, 'status']);
    const nowhere = await refusedAlike(['-C', join(root, 'nonexistent'), 'status']);
    // The same words for both, the path aside: nothing tells which exists.
    assert.equal(there.replace(host, 'P'), nowhere.replace(join(root, 'nonexistent'), 'P'));
    await refusedAlike(['-C', '/root', 'status']);
    await refusedAlike([`--git-dir=${host}/.git`, 'status']);
    await refusedAlike(['--git-dir', `${host}/.git`, 'status']);
    await refusedAlike([`--work-tree=${host}`, 'status']);
    // Written as the workspace's own path, then out of it.
    await refusedAlike(['-C', `${work}/../hostrepo`, 'status']);
  });

  it('refuses a ../ that leaves the workspace, after -C moved or from the cwd', async () => {
    await refusedAlike(['-C', '../hostrepo', 'status']);
    await refusedAlike(['-C', relative(work, host), 'status']);
    await refusedAlike(['-C', 'sub', '-C', '../..', 'status']);
    await refusedAlike(['-C', 'sub', '--git-dir=../../hostrepo/.git', 'status']);
    await refusedAlike(['-C', '../nonexistent', 'status']);
    await refusedAlike(['-C', '../../../hostrepo', 'status'], 'sub/deep');
  });

  it('refuses a symlink in the workspace that leads outside, however it is reached', async () => {
    await refusedAlike(['-C', 'out', 'status']);
    await refusedAlike(['--git-dir=out/.git', 'status']);
    await refusedAlike(['-C', 'sub', '--work-tree', '../out', 'status']);
    // `up` leads to the workspace itself; `up/..` is its parent, as the kernel (and git) follow it.
    await refusedAlike(['-C', 'sub/up/..', 'status']);
    await refusedAlike(['-C', 'sub/up/../hostrepo', 'status']);
    // As the call's cwd (resolveInside's own refusal).
    const { verdict } = await execIn(role, { command: 'git', args: ['status'], cwd: 'out' });
    assert.equal(verdict.kind, 'outside');
    assert.doesNotMatch(JSON.stringify(verdict), new RegExp(`${token}|insteadof`, 'i'));
  });

  it('refuses a repository in the workspace whose common folder is outside (commondir), unread', async () => {
    // The role's own git writes a folder git takes for a repository, its commondir naming the host's.
    const exec = (args: string[], stdin?: string) => execIn(role, { command: 'git', args, stdin });
    assert.equal((await exec(['init', '-q', 'src'])).result?.exitCode, 0);
    const blob = async (text: string) =>
      (await exec(['-C', 'src', 'hash-object', '-w', '--stdin'], text)).result?.stdout.trim() ?? '';
    const head = await blob('ref: refs/heads/main\n');
    const common = await blob(`${host}/.git\n`);
    await exec(['-C', 'src', 'update-index', '--add', '--cacheinfo', `100644,${head},HEAD`]);
    await exec(['-C', 'src', 'update-index', '--add', '--cacheinfo', `100644,${common},commondir`]);
    assert.equal(
      (await exec(['-C', 'src', 'checkout-index', '-a', '--prefix=../fake/'])).result?.exitCode,
      0,
    );
    const reason = await refusedAlike(['--git-dir=fake', 'status']);
    assert.match(reason, /git folder outside the workspace/);
  });

  it('keeps git in the workspace working: -C, relative --git-dir, a cwd below, an absolute path inside', async () => {
    for (const [args, cwd] of [
      [['-C', 'sub', 'status', '--short'], '.'],
      [['status', '--short'], 'sub/deep'],
      [['-C', '..', 'status', '--short'], 'sub/deep'],
      [['--git-dir=sub/.git', '--work-tree=sub', 'status', '--short'], '.'],
      [['-C', 'sub', '--git-dir', '.git', 'status', '--short'], '.'],
      [['-C', 'sub/up/sub', 'status', '--short'], '.'],
      [['-C', join(work, 'sub'), 'status', '--short'], '.'],
      [['-C', '', 'status', '--short'], 'sub'],
    ] as const) {
      const { verdict, result } = await execIn(role, { command: 'git', args: [...args], cwd });
      assert.equal(verdict.kind, 'inside', `git ${args.join(' ')} in ${cwd}: ${JSON.stringify(verdict)}`);
      assert.equal(result?.exitCode, 0, `git ${args.join(' ')} in ${cwd}: ${result?.stderr}`);
    }
  });

  it('in the sandbox, does not read a repository above the workspace (the command cannot see it)', async () => {
    // The workspace itself is no repository; the folder around it is one, with a key that names a program.
    const outer = join(root, 'outer');
    mkdirSync(join(outer, 'ws'), { recursive: true });
    git(outer, 'init', '-q', '.');
    git(outer, 'config', `url.https://x-token:${token}@example.com/.insteadOf`, 'https://example.com/');
    const inner = sandboxedRole('git-above', ['git'], outer);
    const { verdict, result } = await execIn(inner, { command: 'git', args: ['status'] });
    assert.equal(verdict.kind, 'inside', JSON.stringify(verdict));
    assert.match(result?.stderr ?? '', /not a git repository/);
  });

  it("quotes a key of the workspace's own repository without a URL's user:password", async () => {
    const repo = join(work, 'withtoken');
    mkdirSync(repo);
    git(repo, 'init', '-q', '.');
    git(repo, 'config', `url.https://x-token:${token}@github.com/.insteadOf`, 'https://github.com/');
    const { verdict } = await execIn(role, { command: 'git', args: ['-C', 'withtoken', 'status'] });
    assert.equal(verdict.kind, 'outside');
    const reason = verdict.kind === 'outside' ? verdict.reason : '';
    assert.match(reason, /url\.https:\/\/\[redacted\]@github\.com\/\.insteadof/, reason);
    assert.doesNotMatch(reason, new RegExp(`${token}|x-token`), reason);
    const direct = await checkRepositoryConfig('/usr/bin/git', repo);
    assert.equal(direct.ok, false);
    assert.doesNotMatch(direct.reason ?? '', new RegExp(token), direct.reason);
    assert.equal(
      withoutUserinfo("'url.ssh://me:p@ss/w@rd@host/x.insteadof' and https://host/a"),
      "'url.ssh://[redacted]@host/x.insteadof' and https://host/a",
    );
  });
});
