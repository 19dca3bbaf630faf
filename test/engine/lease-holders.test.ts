// Which lease holders a worker takes over at once: a dead process it can see by pid. A pid is only
// meaningful inside one pid space (one boot of one kernel, one PID namespace): two containers of one
// machine often share a hostname (host networking, a fixed `hostname:`) while each has its own pids, so
// a pid that is free here may be a live worker there, mid-call, and must keep its lease.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
