// A sandboxed command cannot leave a set-user-ID or set-group-ID file on the host (seccomp.ts). Its files
// are nightshift's on the host (root's here, as in CI and containers), so without the filter `chmod 4755`
// made a set-user-ID-root program any host user could run. Every way to ask for the bits is tried through
// the real shell.exec and bwrap, and the workspace checked from outside; so are the calls that must still
// work (plain chmod, creating files, a sticky bit).
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sandboxAvailable } from '../../src/tools/sandbox/bubblewrap.js';
import { setIdFilter } from '../../src/tools/sandbox/seccomp.js';
import { execIn, sandboxedRole } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-setid-');
after(() => tmp.cleanup());
const ws = join(tmp.path, 'ws');
mkdirSync(ws);

const role = sandboxedRole('setid-test', ['sh', 'python3'], tmp.path);

async function run(command: string, args: string[]) {
  const { verdict, result } = await execIn(role, { command, args });
  assert.equal(verdict.kind, 'inside', JSON.stringify(verdict));
  return result!;
}

const SET_ID = 0o6000;

/** Every file in the workspace with a set-id bit, seen from the host. */
function setIdFiles(): string[] {
  return readdirSync(ws, { recursive: true, encoding: 'utf8' }).filter(
    (f) => statSync(join(ws, f)).mode & SET_ID,
  );
}

// Python's os module makes each call directly (chmod, fchmod, open with a mode, mknod, mkdir) and says
// which failed with which errno; ctypes' syscall() reaches the calls glibc does not wrap.
const PY_CALLS = String.raw`
import ctypes, errno, os, stat
os.umask(0)
libc = ctypes.CDLL(None, use_errno=True)
def attempt(name, fn):
    try:
        fn()
        print(name, "ok")
    except OSError as e:
        print(name, errno.errorcode[e.errno])
open("plain", "w").close()
attempt("chmod-u+s", lambda: os.chmod("plain", 0o4755))
attempt("chmod-g+s", lambda: os.chmod("plain", 0o2755))
attempt("chmod-plain", lambda: os.chmod("plain", 0o755))
attempt("chmod-sticky", lambda: os.chmod("plain", 0o1755))
def fchmod():
    fd = os.open("plain", os.O_RDONLY)
    try: os.fchmod(fd, 0o4755)
    finally: os.close(fd)
attempt("fchmod-u+s", fchmod)
attempt("fchmodat-u+s", lambda: os.chmod("plain", 0o4755, dir_fd=os.open(".", os.O_RDONLY)))
attempt("open-creat-u+s", lambda: os.close(os.open("made", os.O_CREAT | os.O_WRONLY, 0o4755)))
attempt("open-creat-plain", lambda: os.close(os.open("made2", os.O_CREAT | os.O_WRONLY, 0o755)))
# Without O_CREAT the mode argument is not read by the kernel: whatever is in it must not refuse the open.
attempt("open-existing-junk-mode", lambda: os.close(os.open("plain", os.O_RDONLY, 0o7777)))
attempt("mknod-u+s", lambda: os.mknod("node", stat.S_IFREG | 0o4755))
attempt("mkdir-g+s-then-chmod", lambda: (os.mkdir("d", 0o755), os.chmod("d", 0o2755)))
def raw(nr, *args):
    r = libc.syscall(nr, *args)
    if r < 0:
        raise OSError(ctypes.get_errno(), "")
    return r
machine = os.uname().machine
if machine == "x86_64":
    attempt("io_uring_setup", lambda: raw(425, 8, ctypes.create_string_buffer(120)))
    attempt("openat2", lambda: raw(437, -100, b"made3", ctypes.create_string_buffer(24), 24))
    attempt("x32-chmod", lambda: raw(0x40000000 | 90, b"plain", 0o4755))
    attempt("fchmodat2-u+s", lambda: raw(452, -100, b"plain", 0o4755, 0))
`;

describe('sandbox: no set-id bits', () => {
  it('has a filter for this machine, and no sandbox where there is none', () => {
    assert.ok(setIdFilter(), `no seccomp filter for ${process.arch}`);
    assert.equal(sandboxAvailable(process.env).ok, true);
    const elsewhere = sandboxAvailable(process.env, 's390x');
    assert.equal(elsewhere.ok, false);
    assert.match(elsewhere.reason, /no seccomp filter for the s390x architecture/);
  });

  it('refuses every way to set a set-user-ID or set-group-ID bit, and only those', async () => {
    const { stdout, stderr, exitCode } = await run('python3', ['-c', PY_CALLS]);
    assert.equal(exitCode, 0, stderr);
    const said = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string]),
    );
    assert.deepEqual(
      {
        'chmod-u+s': said['chmod-u+s'],
        'chmod-g+s': said['chmod-g+s'],
        'fchmod-u+s': said['fchmod-u+s'],
        'fchmodat-u+s': said['fchmodat-u+s'],
        'open-creat-u+s': said['open-creat-u+s'],
        'mknod-u+s': said['mknod-u+s'],
        'mkdir-g+s-then-chmod': said['mkdir-g+s-then-chmod'],
      },
      {
        'chmod-u+s': 'EPERM',
        'chmod-g+s': 'EPERM',
        'fchmod-u+s': 'EPERM',
        'fchmodat-u+s': 'EPERM',
        'open-creat-u+s': 'EPERM',
        'mknod-u+s': 'EPERM',
        'mkdir-g+s-then-chmod': 'EPERM',
      },
      stdout,
    );
    for (const allowed of ['chmod-plain', 'chmod-sticky', 'open-creat-plain', 'open-existing-junk-mode'])
      assert.equal(said[allowed], 'ok', `${allowed}: ${stdout}`);
    if (process.arch === 'x64') {
      assert.equal(said.io_uring_setup, 'ENOSYS', stdout);
      assert.equal(said.openat2, 'ENOSYS', stdout);
      assert.equal(said['x32-chmod'], 'ENOSYS', stdout);
      assert.equal(said['fchmodat2-u+s'], 'EPERM', stdout);
    }
    assert.deepEqual(setIdFiles(), []);
  });

  it('the command does not hold the descriptor the filter came down', async () => {
    const { stdout, exitCode } = await run('python3', [
      '-c',
      'import os; print(sorted(int(f) for f in os.listdir("/proc/self/fd")))',
    ]);
    assert.equal(exitCode, 0);
    const open = JSON.parse(stdout) as number[];
    // 0-2 and the listing's own; 4 (SECCOMP_FD) was read and closed by bubblewrap.
    assert.ok(!open.includes(4), stdout);
  });

  it('the shell and coreutils get the same answer, and leave nothing set-id behind', async () => {
    const { stdout, exitCode } = await run('sh', [
      '-c',
      'cp /bin/true t; chmod u+s t; echo "chmod $?"; chmod g+s t; echo "chmod-g $?"; install -m 4755 /bin/true i; echo "install $?"; ./t && echo runs',
    ]);
    assert.equal(exitCode, 0);
    assert.match(stdout, /^chmod [1-9]/m);
    assert.match(stdout, /^chmod-g [1-9]/m);
    assert.match(stdout, /^install [1-9]/m);
    assert.match(stdout, /^runs$/m);
    assert.deepEqual(setIdFiles(), []);
  });
});
