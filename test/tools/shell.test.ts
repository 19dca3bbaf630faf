// shell.exec under the real bubblewrap sandbox: what runs, what cannot, checked from outside.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { DefineRoleInput } from '../../src/roles/define.js';
import { defineRole } from '../../src/roles/define.js';
import { shellExec } from '../../src/tools/builtin/shell-exec.js';
import { loadSecrets } from '../../src/tools/secrets.js';
import type { ToolContext } from '../../src/tools/types.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-shell-');
after(() => tmp.cleanup());
const ws = join(tmp.path, 'ws');
const outside = join(tmp.path, 'outside');
mkdirSync(ws);
mkdirSync(outside);

function role(over: Partial<DefineRoleInput> = {}) {
  return defineRole(
    {
      name: 'shell-test',
      description: 'd',
      autonomy: 'sandbox',
      model: 'openai:unused',
      instructions: 'i',
      tools: ['shell.exec'],
      workspace: './ws',
      scope: {
        commands: [
          'echo',
          'touch',
          'env',
          'sleep',
          'yes',
          'cat',
          'node',
          'printenv',
          { program: 'ls', args: ['[a-z0-9._/]+'] },
        ],
      },
      ...over,
    },
    { dir: tmp.path },
  );
}

async function exec(args: Record<string, unknown>, r = role(), env: NodeJS.ProcessEnv = {}) {
  const parsed = shellExec.input.parse(args);
  const verdict = await shellExec.scope!(parsed, { role: r, workspace: r.workspace });
  if (verdict.kind !== 'inside') return { verdict };
  const ctx: ToolContext = {
    role: r,
    runId: 'run_x',
    idempotencyKey: 'run_x:1:0',
    fencingToken: 1,
    workspace: r.workspace,
    signal: new AbortController().signal,
    secrets: loadSecrets(r, env),
  };
  return { verdict, result: await shellExec.run(parsed, ctx) };
}

describe('shell.exec in the bubblewrap sandbox', () => {
  it('runs an allowed program with an argument vector (no shell)', async () => {
    const { result } = await exec({ command: 'echo', args: ['hello', '$(whoami)', '; rm -rf /', '*'] });
    assert.equal(result!.sandbox, 'bubblewrap');
    assert.equal(result!.exitCode, 0);
    assert.equal(result!.stdout, 'hello $(whoami) ; rm -rf / *\n');
  });

  it('a cwd that does not exist, or is a file, is TOOL_CALL_INVALID naming it (was spawn /bin/sh ENOENT, TOOL_FAILED)', async () => {
    writeFileSync(join(ws, 'plain.txt'), 'x');
    for (const [cwd, said] of [
      ['nope', "cwd: no folder 'nope' in the workspace"],
      ['plain.txt', "cwd: 'plain.txt' is a file, not a folder"],
      ['plain.txt/sub', "cwd: 'plain.txt/sub' goes through a file, not a folder"],
    ]) {
      await assert.rejects(
        exec({ command: 'echo', args: ['x'], cwd }),
        (e: unknown) =>
          (e as { code?: string }).code === 'TOOL_CALL_INVALID' && (e as Error).message === said,
        cwd,
      );
    }
    rmSync(join(ws, 'plain.txt'));
  });

  it('writes inside the workspace, and cannot write anywhere else', async () => {
    const inside = await exec({ command: 'touch', args: ['made.txt'] });
    assert.equal(inside.result!.exitCode, 0);
    assert.ok(existsSync(join(ws, 'made.txt')));
    // /usr is a system folder, which the sandbox shows read-only.
    const target = `/usr/nightshift-sandbox-escape-${process.pid}.txt`;
    const out = await exec({ command: 'touch', args: [target] });
    assert.notEqual(out.result!.exitCode, 0);
    assert.match(out.result!.stderr, /Read-only file system/);
    assert.equal(existsSync(target), false);
    // /var/tmp is private, like /tmp: nothing lands in the real one.
    const varTmp = `/var/tmp/nightshift-sandbox-escape-${process.pid}.txt`;
    await exec({ command: 'touch', args: [varTmp] });
    assert.equal(existsSync(varTmp), false);
    const underTmp = await exec({ command: 'touch', args: [join(outside, 'escaped.txt')] });
    assert.notEqual(underTmp.result!.exitCode, 0);
    assert.equal(existsSync(join(outside, 'escaped.txt')), false);
    // /tmp inside is private: nothing lands in the real /tmp.
    await exec({ command: 'touch', args: ['/tmp/nightshift-sandbox-leak'] });
    assert.equal(existsSync('/tmp/nightshift-sandbox-leak'), false);
  });

  it('has no network unless the role allows it', async () => {
    let connections = 0;
    const server = createServer((s) => {
      connections++;
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const script = `require('net').connect(${port},'127.0.0.1').on('connect',()=>{console.log('connected');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(3)})`;
    try {
      const denied = await exec({ command: 'node', args: ['-e', script] });
      assert.equal(denied.result!.exitCode, 3);
      assert.match(denied.result!.stdout, /ECONNREFUSED|ENETUNREACH/);
      assert.equal(connections, 0);
      const allowed = await exec(
        { command: 'node', args: ['-e', script] },
        role({ scope: { commands: ['node'], network: true } }),
      );
      assert.equal(allowed.result!.stdout.trim(), 'connected');
      assert.equal(connections, 1);
    } finally {
      server.close();
    }
  });

  it('scrubs the environment to the variables the role names', async () => {
    process.env.NIGHTSHIFT_TEST_VISIBLE = 'yes';
    process.env.NIGHTSHIFT_TEST_HIDDEN = 'no';
    try {
      const r = role({ scope: { commands: ['env'], env: ['NIGHTSHIFT_TEST_VISIBLE'] } });
      const { result } = await exec({ command: 'env' }, r);
      const names = result!.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=')[0])
        .sort();
      // bwrap sets PWD for --chdir; the GIT_CONFIG_* pins keep git to the repository's configuration;
      // nothing else of ours leaks in.
      assert.deepEqual(names, [
        'GIT_CONFIG_GLOBAL',
        'GIT_CONFIG_NOSYSTEM',
        'HOME',
        'LANG',
        'NIGHTSHIFT_TEST_VISIBLE',
        'PATH',
        'PWD',
      ]);
    } finally {
      delete process.env.NIGHTSHIFT_TEST_VISIBLE;
      delete process.env.NIGHTSHIFT_TEST_HIDDEN;
    }
  });

  it('runs in its own PID namespace and hides home folders', async () => {
    const { result } = await exec({ command: 'cat', args: ['/proc/1/cmdline'] });
    assert.doesNotMatch(result!.stdout, /systemd|init/);
    const home = await exec({ command: 'ls', args: ['/root'] });
    assert.equal(home.result!.stdout, '');
  });

  it('stops a command at its time limit and caps its output', async () => {
    const slow = await exec({ command: 'sleep', args: ['20'] }, role({ limits: { execSeconds: 0.3 } }));
    assert.equal(slow.result!.timedOut, true);
    const loud = await exec({ command: 'yes' }, role({ limits: { execOutputBytes: 1000 } }));
    assert.equal(loud.result!.truncated, true);
    assert.ok(loud.result!.stdout.length <= 1000);
  });

  it('refuses a program not on the allowlist, and arguments outside their patterns', async () => {
    const rm = await exec({ command: 'rm', args: ['-rf', '.'] });
    assert.equal(rm.verdict.kind, 'outside');
    assert.match((rm.verdict as { reason: string }).reason, /not on this role's allowlist/);
    const opt = await exec({ command: 'ls', args: ['--color=always'] });
    assert.equal(opt.verdict.kind, 'outside');
    assert.match((opt.verdict as { reason: string }).reason, /matches none of the allowed patterns/);
    const sep = await exec({ command: 'ls', args: ['--', '-la'] });
    assert.equal(sep.verdict.kind, 'outside');
    const path = await exec({ command: './echo' });
    assert.equal(path.verdict.kind, 'outside');
    const cwd = await exec({ command: 'echo', cwd: '..' });
    assert.equal(cwd.verdict.kind, 'outside');
    // A program outside what the sandbox shows would not exist inside it.
    const tool = join(outside, 'tool.sh');
    writeFileSync(tool, '#!/bin/sh\necho hi\n', { mode: 0o755 });
    const hidden = await exec({ command: tool }, role({ scope: { commands: [tool] } }));
    assert.equal(hidden.verdict.kind, 'outside');
    assert.match((hidden.verdict as { reason: string }).reason, /outside what the sandbox shows/);
  });

  it('refuses every command of a role without a workspace, naming shell.exec', async () => {
    // A role loaded today cannot be so (decision 077); one stored before that check can.
    const bare = { ...role(), workspace: undefined };
    const { verdict } = await exec({ command: 'echo', args: ['hi'] }, bare);
    assert.deepEqual(verdict, {
      kind: 'outside',
      reason: 'role has no workspace; shell.exec needs one (set workspace: in the role file)',
    });
  });

  it('where bubblewrap cannot run: refused at sandbox, and at full unless the role opts out explicitly', async () => {
    process.env.NIGHTSHIFT_BWRAP = '/nonexistent/bwrap';
    try {
      const refused = await exec({ command: 'echo', args: ['x'] });
      assert.equal(refused.verdict.kind, 'outside');
      assert.match(
        (refused.verdict as { reason: string }).reason,
        /bubblewrap not found.*refused without a sandbox/,
      );
      const fullNoOpt = await exec({ command: 'echo', args: ['x'] }, role({ autonomy: 'full' }));
      assert.equal(fullNoOpt.verdict.kind, 'outside');
      const sandboxOpt = await exec(
        { command: 'echo', args: ['x'] },
        role({ scope: { commands: ['echo'], unsandboxedExec: true } }),
      );
      assert.equal(sandboxOpt.verdict.kind, 'outside');
      const full = await exec(
        { command: 'echo', args: ['x'] },
        role({ autonomy: 'full', scope: { commands: ['echo'], unsandboxedExec: true } }),
      );
      assert.equal(full.result!.sandbox, 'none');
      assert.equal(full.result!.stdout, 'x\n');
    } finally {
      delete process.env.NIGHTSHIFT_BWRAP;
    }
  });

  it('an unsandboxed command that cannot even start leaves no watcher process behind', async () => {
    process.env.NIGHTSHIFT_BWRAP = '/nonexistent/bwrap';
    // This process's children, over all its threads (the watcher is a /bin/sh child of this process).
    const children = () =>
      readdirSync('/proc/self/task')
        .flatMap((t) => readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/))
        .filter(Boolean)
        .sort();
    try {
      const r = role({ autonomy: 'full', scope: { commands: ['echo'], unsandboxedExec: true } });
      const before = children();
      // One argument over the kernel's 128 KiB limit: spawn throws E2BIG at once.
      // The same call would fail the same way again: TOOL_CALL_INVALID saying what to do (it was
      // TOOL_FAILED, `spawn E2BIG`).
      await assert.rejects(exec({ command: 'echo', args: ['x'.repeat(200_000)] }, r), {
        code: 'TOOL_CALL_INVALID',
        message:
          /^echo: its arguments are too long .*E2BIG: the longest is 200,000 bytes.*pass long text through stdin or a file in the workspace$/,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      // None new (an earlier test's child may have ended meanwhile).
      assert.deepEqual(
        children().filter((pid) => !before.includes(pid)),
        [],
      );
    } finally {
      delete process.env.NIGHTSHIFT_BWRAP;
    }
  });

  it('passes a declared secret only when the role names it in scope.env', async () => {
    const r = role({ secrets: ['API_TOKEN'], scope: { commands: ['printenv'], env: ['API_TOKEN'] } });
    const { result } = await exec({ command: 'printenv', args: ['API_TOKEN'] }, r, {
      API_TOKEN: 'tok-123456',
    });
    assert.equal(result!.stdout.trim(), 'tok-123456');
    assert.equal(readFileSync(join(ws, 'made.txt'), 'utf8'), '');
  });
});

describe('the command sandbox and host sockets', () => {
  it('cannot connect to a Unix socket under /run', async (t) => {
    const path = `/run/nightshift-test-${process.pid}.sock`;
    let connections = 0;
    const server = createServer(() => {
      connections++;
    });
    try {
      await new Promise<void>((ok, fail) => server.listen(path, ok).once('error', fail));
    } catch (err) {
      t.skip(`cannot create a socket in /run here: ${(err as Error).message}`);
      return;
    }
    try {
      const script = `require('net').connect(${JSON.stringify(path)}).on('connect',()=>{console.log('connected');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(3)})`;
      const { result } = await exec(
        { command: 'node', args: ['-e', script] },
        role({ scope: { commands: ['node'] } }),
      );
      assert.equal(result!.exitCode, 3, result!.stdout + result!.stderr);
      assert.equal(connections, 0);
    } finally {
      server.close();
      rmSync(path, { force: true });
    }
  });
});
