// What a command holds inside the sandbox, checked from inside through the real shell.exec and bwrap:
// no capabilities, an unprivileged uid, no_new_privs, and no way to undo the mounts that confine it.
// nightshift runs as root here (as in CI and containers), which is the case that matters.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execIn, sandboxedRole } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-priv-');
after(() => tmp.cleanup());
mkdirSync(join(tmp.path, 'ws'));

const role = sandboxedRole(
  'priv-test',
  [
    'cat',
    'sh',
    'umount',
    'mount',
    // unshare runs the program its arguments name: allowed only with patterns (docs/tools.md).
    { program: 'unshare', args: ['--user', '--map-root-user', 'cat', '/proc/self/status'] },
    'id',
  ],
  tmp.path,
);

async function run(command: string, args: string[]) {
  const { verdict, result } = await execIn(role, { command, args });
  assert.equal(verdict.kind, 'inside', JSON.stringify(verdict));
  return result!;
}

function statusField(status: string, name: string): string {
  const line = status.split('\n').find((l) => l.startsWith(`${name}:`));
  assert.ok(line, `${name} in /proc/self/status`);
  return line.slice(name.length + 1).trim();
}

describe('sandbox privileges (seen from inside)', () => {
  it('the command holds no capability, runs as an unprivileged uid and gid, with no_new_privs', async () => {
    const { stdout, exitCode } = await run('cat', ['/proc/self/status']);
    assert.equal(exitCode, 0);
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
      assert.equal(statusField(stdout, set), '0000000000000000', set);
    assert.equal(statusField(stdout, 'NoNewPrivs'), '1');
    for (const id of statusField(stdout, 'Uid').split(/\s+/)) assert.notEqual(id, '0', 'uid');
    for (const id of statusField(stdout, 'Gid').split(/\s+/)) assert.notEqual(id, '0', 'gid');
    const who = await run('id', ['-u']);
    assert.notEqual(who.stdout.trim(), '0');
  });

  it('cannot unmount what hides the host, nor remount the root or a system folder read-write', async () => {
    const umount = await run('umount', ['/tmp']);
    assert.notEqual(umount.exitCode, 0, umount.stderr);
    // A lazy unmount is not stopped by the workspace mounted below /tmp: only the missing capability stops it.
    const lazy = await run('sh', ['-c', 'touch /tmp/mine && umount -l /tmp; ls /tmp/mine']);
    assert.equal(lazy.stdout.trim(), '/tmp/mine', lazy.stderr);
    for (const target of ['/', '/usr']) {
      for (const options of ['remount,rw', 'remount,bind,rw']) {
        const remount = await run('mount', ['-o', options, target]);
        assert.notEqual(remount.exitCode, 0, `mount -o ${options} ${target}: ${remount.stderr}`);
      }
    }
  });

  it('cannot write a host file outside the workspace, even one its host uid owns', async () => {
    // Host files are root's, as nightshift is: the mounts, and the capabilities it lacks to change
    // them, are what keep the command from them.
    const target = join(tmp.path, `escape-${process.pid}.txt`);
    const usr = `/usr/nightshift-escape-${process.pid}`;
    after(() => rmSync(usr, { force: true }));
    const out = await run('sh', [
      '-c',
      `echo x > ${target}; echo x > ${usr}; mount -o remount,bind,rw / ; mount -o remount,bind,rw /usr ; echo x > ${usr}; exit 0`,
    ]);
    assert.equal(existsSync(target), false, out.stderr);
    assert.equal(existsSync(usr), false, out.stderr);
  });

  it('cannot make a user namespace of its own to get capabilities back', async () => {
    const nested = await run('unshare', ['--user', '--map-root-user', 'cat', '/proc/self/status']);
    assert.notEqual(nested.exitCode, 0);
    assert.doesNotMatch(nested.stdout, /CapEff:\s+0*[1-9a-f]/);
  });
});
