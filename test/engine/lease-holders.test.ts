// Which lease holders a worker takes over at once: a dead process it can see by pid. A pid is only
// meaningful inside one pid space (one boot of one kernel, one PID namespace): two containers of one
// machine often share a hostname (host networking, a fixed `hostname:`) while each has its own pids, so
// a pid that is free here may be a live worker there, mid-call, and must keep its lease.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { holderIsDeadHere, newLeaseOwner, PID_SPACE } from '../../src/engine/lease.js';
import { waitFor } from '../support/wait.js';

/** The lease owner a real child process of this one had, after it exited (its pid is then free). */
function ownerOfAnExitedProcess(): string {
  const leaseModule = new URL('../../src/engine/lease.js', import.meta.url).href;
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { newLeaseOwner } from '${leaseModule}'; console.log(newLeaseOwner());`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe('lease holders judged dead', () => {
  it('takes over a dead process of this host and pid space', () => {
    const owner = ownerOfAnExitedProcess();
    assert.equal(holderIsDeadHere(owner), true, owner);
  });

  it('leaves a live process, this one, and other hosts alone', () => {
    assert.equal(holderIsDeadHere(newLeaseOwner()), false);
    const [, pid, random, space] = ownerOfAnExitedProcess().split('/');
    assert.equal(holderIsDeadHere(['another-host', pid, random, space].filter(Boolean).join('/')), false);
  });

  it('leaves a holder of the same hostname in another pid space (another container) to its lease', () => {
    const [host, pid, random] = ownerOfAnExitedProcess().split('/');
    assert.equal(host, hostname());
    // The same free pid, named by a process of another pid space: it may be alive there.
    assert.equal(holderIsDeadHere(`${host}/${pid}/${random}/0badc0de`), false);
    // An owner that names no pid space (an older nightshift) is not judged by pid either, where this
    // process knows its own (Linux); elsewhere the hostname is all there is, as before.
    assert.equal(holderIsDeadHere(`${host}/${pid}/${random}`), PID_SPACE === '');
  });

  it('judges a live holder whose start-time field is not a number by its pid alone: alive', () => {
    // A later version may put something else there: its live workers must keep their leases.
    const parent = process.ppid;
    assert.equal(holderIsDeadHere(`${hostname()}/${parent}/x/${PID_SPACE}/v2`), false);
    assert.equal(holderIsDeadHere(`${hostname()}/${parent}/x/${PID_SPACE}/`), false);
  });
});

describe('a killed holder its parent has not reaped yet', () => {
  it('counts as dead: a zombie drives nothing', async () => {
    const leaseModule = new URL('../../src/engine/lease.js', import.meta.url).href;
    const holder = `import { newLeaseOwner } from '${leaseModule}'; console.log(newLeaseOwner()); setInterval(() => {}, 1000);`;
    // The holder's parent is a shell that then becomes `sleep`, which never waits for children: once
    // killed, the holder stays a zombie (state Z) until the sleep ends.
    const parent = spawn(
      '/bin/sh',
      ['-c', '"$0" --input-type=module -e "$1" & exec sleep 30', process.execPath, holder],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      let out = '';
      parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const owner = await waitFor(async () => (out.includes('\n') ? out.trim() : undefined), 'the holder');
      assert.equal(holderIsDeadHere(owner), false, 'alive');
      const pid = Number(owner.split('/')[1]);
      process.kill(pid, 'SIGKILL');
      const state = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)?.charAt(0);
      await waitFor(async () => (state() === 'Z' ? true : undefined), 'the holder to be a zombie');
      assert.equal(holderIsDeadHere(owner), true, 'a zombie is dead');
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

// A holder killed for good, and its pid given to another process since: pids are reused (soon, in a
// container with few processes), and the newcomer answers `kill(pid, 0)`. Judged by the pid alone, the
// dead holder looked alive and its run waited out the lease. The newcomer is given the pid by writing
// the one before it to /proc/sys/kernel/ns_last_pid (root only; other processes of the machine can take
// it first, so it is tried a few times).
const LAST_PID = '/proc/sys/kernel/ns_last_pid';
const canChoosePids = (() => {
  try {
    accessSync(LAST_PID, constants.W_OK);
    return PID_SPACE !== '';
  } catch {
    return false;
  }
})();

describe('a dead holder whose pid another process was given', {
  skip: !canChoosePids && 'needs root',
}, () => {
  it('counts as dead: the newcomer is not the holder', async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const owner = ownerOfAnExitedProcess();
      const pid = Number(owner.split('/')[1]);
      writeFileSync(LAST_PID, String(pid - 1));
      const newcomer = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        if (newcomer.pid !== pid) continue;
        assert.equal(holderIsDeadHere(owner), true, `${owner}: pid ${pid} is now a sleep, not the holder`);
        return;
      } finally {
        newcomer.kill('SIGKILL');
      }
    }
    assert.fail("no process could be given a dead holder's pid in 20 tries");
  });
});
