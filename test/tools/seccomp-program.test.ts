// The set-id seccomp filter (src/tools/sandbox/seccomp.ts) run by a small classic-BPF interpreter over
// made-up `struct seccomp_data`, for the ABIs the kernel here cannot show: 32-bit calls from an x64 process
// (this machine's kernel has no IA32 emulation) and arm64. sandbox-set-id.test.ts runs the x64 filter in
// the real kernel; this checks that each ABI's table reads the right argument for the right number.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setIdFilter } from '../../src/tools/sandbox/seccomp.js';

const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const ENOSYS = 0x00050026;
const ARCH = { x86_64: 0xc000003e, i386: 0x40000003, aarch64: 0xc00000b7, arm: 0x40000028 };

/** Runs the filter on one call: nr, arch and up to six arguments (low 32 bits are what it reads). */
function verdict(filter: Buffer, arch: number, nr: number, args: number[] = []): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr, 0);
  data.writeUInt32LE(arch, 4);
  for (const [i, a] of args.entries()) data.writeUInt32LE(a >>> 0, 16 + 8 * i);
  let acc = 0;
  for (let pc = 0; pc < filter.length / 8; pc++) {
    const code = filter.readUInt16LE(pc * 8);
    const jt = filter.readUInt8(pc * 8 + 2);
    const jf = filter.readUInt8(pc * 8 + 3);
    const k = filter.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) acc = data.readUInt32LE(k);
    else if (code === 0x06) return k;
    else if (code === 0x15) pc += acc === k ? jt : jf;
    else if (code === 0x25) pc += acc > k ? jt : jf;
    else if (code === 0x45) pc += acc & k ? jt : jf;
    else throw new Error(`opcode ${code.toString(16)} at ${pc}`);
  }
  throw new Error('fell off the end');
}

const O_CREAT = 0o100;
/** O_TMPFILE is __O_TMPFILE (0o20000000, every ABI) with O_DIRECTORY, which is 0o200000 on x86, 0o40000 on arm64. */
const O_TMPFILE_X86 = 0o20200000;
const O_TMPFILE_ARM64 = 0o20040000;
const BARE_TMPFILE = 0o20000000;

describe('set-id seccomp filter, instruction by instruction', () => {
  const x64 = setIdFilter('x64')!;
  const arm64 = setIdFilter('arm64')!;

  it('x64 calls: set-id modes refused, others allowed, opens judged by their flags', () => {
    const a = ARCH.x86_64;
    assert.equal(verdict(x64, a, 90, [0, 0o4755]), EPERM); // chmod
    assert.equal(verdict(x64, a, 90, [0, 0o2755]), EPERM);
    assert.equal(verdict(x64, a, 90, [0, 0o1777]), ALLOW);
    assert.equal(verdict(x64, a, 91, [3, 0o4700]), EPERM); // fchmod
    assert.equal(verdict(x64, a, 268, [-100, 0, 0o6000]), EPERM); // fchmodat
    assert.equal(verdict(x64, a, 268, [-100, 0o4755, 0o644]), ALLOW); // the mode is the third argument
    assert.equal(verdict(x64, a, 452, [-100, 0, 0o4755, 0]), EPERM); // fchmodat2
    assert.equal(verdict(x64, a, 85, [0, 0o4755]), EPERM); // creat
    assert.equal(verdict(x64, a, 133, [0, 0o100000 | 0o4755, 0]), EPERM); // mknod
    assert.equal(verdict(x64, a, 259, [-100, 0, 0o100000 | 0o2755, 0]), EPERM); // mknodat
    assert.equal(verdict(x64, a, 2, [0, O_CREAT, 0o4755]), EPERM); // open
    assert.equal(verdict(x64, a, 2, [0, 0, 0o7777]), ALLOW); // no O_CREAT: the mode is not read
    assert.equal(verdict(x64, a, 257, [-100, 0, O_CREAT | 1, 0o4755]), EPERM); // openat
    assert.equal(verdict(x64, a, 257, [-100, 0, O_TMPFILE_X86 | 2, 0o2700]), EPERM);
    assert.equal(verdict(x64, a, 257, [-100, 0, BARE_TMPFILE | 2, 0o4700]), EPERM);
    assert.equal(verdict(x64, a, 257, [-100, 0, 0, 0o4755]), ALLOW);
    assert.equal(verdict(x64, a, 257, [-100, 0, O_CREAT, 0o755]), ALLOW);
    assert.equal(verdict(x64, a, 425, [8, 0]), ENOSYS); // io_uring_setup
    assert.equal(verdict(x64, a, 437, [-100, 0, 0, 24]), ENOSYS); // openat2
    assert.equal(verdict(x64, a, 0x40000000 | 90, [0, 0o4755]), ENOSYS); // x32
    assert.equal(verdict(x64, a, 0x40000000, []), ENOSYS);
    // Calls newer than the reviewed table (file_setattr, 469) answer ENOSYS; 469 itself is allowed.
    assert.equal(verdict(x64, a, 469, [0o4755, 0o4755, 0o4755, 0o4755]), ALLOW);
    assert.equal(verdict(x64, a, 470, []), ENOSYS);
    assert.equal(verdict(x64, a, -1, []), ENOSYS);
    for (const nr of [0, 1, 3, 59, 231])
      assert.equal(verdict(x64, a, nr, [0o7777, 0o7777, 0o7777, 0o7777]), ALLOW);
  });

  it('32-bit calls from an x64 process are judged by the 32-bit numbers', () => {
    const a = ARCH.i386;
    assert.equal(verdict(x64, a, 15, [0, 0o4755]), EPERM); // chmod
    assert.equal(verdict(x64, a, 94, [3, 0o2755]), EPERM); // fchmod
    assert.equal(verdict(x64, a, 306, [-100, 0, 0o4755]), EPERM); // fchmodat
    assert.equal(verdict(x64, a, 5, [0, O_CREAT, 0o4755]), EPERM); // open
    assert.equal(verdict(x64, a, 295, [-100, 0, O_CREAT, 0o4755]), EPERM); // openat
    assert.equal(verdict(x64, a, 8, [0, 0o4755]), EPERM); // creat
    assert.equal(verdict(x64, a, 14, [0, 0o4755, 0]), EPERM); // mknod
    assert.equal(verdict(x64, a, 297, [-100, 0, 0o4755, 0]), EPERM); // mknodat
    assert.equal(verdict(x64, a, 452, [-100, 0, 0o2755, 0]), EPERM); // fchmodat2
    assert.equal(verdict(x64, a, 425, []), ENOSYS);
    assert.equal(verdict(x64, a, 437, []), ENOSYS);
    assert.equal(verdict(x64, a, 470, []), ENOSYS);
    // 90 is chmod on x86-64 but mmap on i386: allowed whatever its arguments.
    assert.equal(verdict(x64, a, 90, [0, 0o4755]), ALLOW);
    assert.equal(verdict(x64, a, 5, [0, 0, 0o4755]), ALLOW);
  });

  it('arm64 calls, and any ABI the filter does not know', () => {
    const a = ARCH.aarch64;
    assert.equal(verdict(arm64, a, 52, [3, 0o4755]), EPERM); // fchmod
    assert.equal(verdict(arm64, a, 53, [-100, 0, 0o2755]), EPERM); // fchmodat
    assert.equal(verdict(arm64, a, 56, [-100, 0, O_CREAT, 0o4755]), EPERM); // openat
    assert.equal(verdict(arm64, a, 56, [-100, 0, 0, 0o4755]), ALLOW);
    assert.equal(verdict(arm64, a, 33, [-100, 0, 0o4755, 0]), EPERM); // mknodat
    assert.equal(verdict(arm64, a, 56, [-100, 0, O_TMPFILE_ARM64 | 2, 0o4700]), EPERM);
    assert.equal(verdict(arm64, a, 56, [-100, 0, BARE_TMPFILE | 2, 0o2700]), EPERM);
    assert.equal(verdict(arm64, a, 452, [-100, 0, 0o4755, 0]), EPERM); // fchmodat2
    assert.equal(verdict(arm64, a, 425, []), ENOSYS);
    assert.equal(verdict(arm64, a, 437, []), ENOSYS);
    assert.equal(verdict(arm64, a, 470, []), ENOSYS);
    assert.equal(verdict(arm64, a, 90, [0, 0o4755]), ALLOW); // not a mode call on arm64
    assert.equal(verdict(arm64, ARCH.arm, 15, [0, 0o4755]), ENOSYS);
    assert.equal(verdict(arm64, ARCH.x86_64, 0, []), ENOSYS);
    assert.equal(verdict(x64, ARCH.aarch64, 0, []), ENOSYS);
    assert.equal(setIdFilter('ia32'), undefined);
  });
});
