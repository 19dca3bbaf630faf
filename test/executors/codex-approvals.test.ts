// Codex's approval requests as the nightshift calls the policy decides on.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  commandToShellExec,
  fileChangeCalls,
  splitCommandLine,
} from '../../src/executors/codex/approvals.js';
import { tempDir } from '../support/tmp.js';

describe('Codex commands as shell.exec', () => {
  it('splits the argv Codex quotes, and refuses to guess at anything a shell would expand', () => {
    assert.deepEqual(splitCommandLine("/bin/bash -lc 'cat notes.txt'"), [
      '/bin/bash',
      '-lc',
      'cat notes.txt',
    ]);
    assert.deepEqual(splitCommandLine('/bin/bash -lc "printf \\"a\\\\nb\\\\n\\" > a.txt"'), [
      '/bin/bash',
      '-lc',
      'printf "a\\nb\\n" > a.txt',
    ]);
    assert.deepEqual(splitCommandLine("a 'it'\\''s'"), ['a', "it's"]);
    for (const line of ['echo $HOME', 'echo "$HOME"', 'ls *', 'a | b', 'a; b', 'echo `id`', "a 'open"])
      assert.equal(splitCommandLine(line), undefined, line);
  });

  it('judges the script inside the shell wrapper: plain words as a program, anything else as bash -c', () => {
    assert.deepEqual(commandToShellExec("/bin/bash -lc 'cat notes.txt'", '/w', '/w'), {
      command: 'cat',
      args: ['notes.txt'],
    });
    assert.deepEqual(commandToShellExec("/bin/bash -lc 'rm -rf x; ls'", '/w/sub', '/w'), {
      command: 'bash',
      args: ['-c', 'rm -rf x; ls'],
      cwd: 'sub',
    });
    // A working folder outside stays absolute, so shell.exec's scope check refuses it.
    assert.deepEqual(commandToShellExec("/bin/bash -lc 'ls'", '/etc', '/w'), {
      command: 'ls',
      args: [],
      cwd: '/etc',
    });
    assert.deepEqual(commandToShellExec('git status', null, '/w'), { command: 'git', args: ['status'] });
    assert.deepEqual(commandToShellExec('echo $(id)', null, '/w'), {
      command: 'bash',
      args: ['-c', 'echo $(id)'],
    });
  });
});

describe('Codex file changes as fs calls', () => {
  const tmp = tempDir('nightshift-codex-approvals-');
  after(() => tmp.cleanup());
  const ws = join(tmp.path, 'ws');
  mkdirSync(ws);
  writeFileSync(join(ws, 'a.txt'), 'a\nb\n');
  mkdirSync(join(tmp.path, 'out'));
  writeFileSync(join(tmp.path, 'out', 'secret.txt'), 'a\nb\n');
  symlinkSync(join(tmp.path, 'out'), join(ws, 'link'));

  it('maps adds, updates (with the new content), deletes and moves', async () => {
    assert.deepEqual(
      await fileChangeCalls(ws, { path: join(ws, 'n.txt'), kind: { type: 'add' }, diff: 'hi\n' }),
      [{ tool: 'fs.write', args: { path: 'n.txt', content: 'hi\n' } }],
    );
    const update = {
      path: join(ws, 'a.txt'),
      kind: { type: 'update' },
      diff: '@@ -1,2 +1,2 @@\n a\n-b\n+c\n',
    };
    assert.deepEqual(await fileChangeCalls(ws, update), [
      { tool: 'fs.write', args: { path: 'a.txt', content: 'a\nc\n' } },
    ]);
    assert.deepEqual(
      await fileChangeCalls(ws, { ...update, kind: { type: 'update', move_path: join(ws, 'b.txt') } }),
      [
        { tool: 'fs.write', args: { path: 'b.txt', content: 'a\nc\n' } },
        { tool: 'fs.delete', args: { path: 'a.txt' } },
      ],
    );
    assert.deepEqual(
      await fileChangeCalls(ws, { path: join(ws, 'a.txt'), kind: { type: 'delete' }, diff: '' }),
      [{ tool: 'fs.delete', args: { path: 'a.txt' } }],
    );
  });

  it('keeps a path outside absolute, never reads through a link out, and never invents content', async () => {
    const outside = join(tmp.path, 'out', 'x.txt');
    assert.deepEqual(await fileChangeCalls(ws, { path: outside, kind: { type: 'add' }, diff: 'x' }), [
      { tool: 'fs.write', args: { path: outside, content: 'x' } },
    ]);
    const through = await fileChangeCalls(ws, {
      path: join(ws, 'link', 'secret.txt'),
      kind: { type: 'update' },
      diff: '@@ -1,2 +1,2 @@\n a\n-b\n+c\n',
    });
    assert.equal(through[0]!.tool, 'codex.unreadable_change');
  });

  it('never reads a fifo (a read would block for good) or a hard-linked file to build the new content', async () => {
    execFileSync('mkfifo', [join(ws, 'pipe.txt')]);
    linkSync(join(tmp.path, 'out', 'secret.txt'), join(ws, 'linked.txt'));
    const diff = '@@ -1,2 +1,2 @@\n a\n-b\n+c\n';
    for (const name of ['pipe.txt', 'linked.txt']) {
      const calls = await fileChangeCalls(ws, { path: join(ws, name), kind: { type: 'update' }, diff });
      assert.deepEqual(calls, [
        {
          tool: 'codex.unreadable_change',
          args: { path: name, why: 'the file cannot be read or the diff does not apply' },
        },
      ]);
    }
  });

  it('refuses changes to .codex/, where Codex reads rules that could let commands skip nightshift', async () => {
    const calls = await fileChangeCalls(ws, {
      path: join(ws, '.codex', 'rules', 'x.rules'),
      kind: { type: 'add' },
      diff: 'prefix_rule(pattern=["rm"], decision="allow")\n',
    });
    assert.equal(calls[0]!.tool, 'codex.config_change');
  });
});
