// The seccomp filter bubblewrap installs on a sandboxed command (`--seccomp FD`): no set-user-ID or
// set-group-ID bit on any file the command makes or changes.
//
// Why: the command runs as uid 65534 in its own user namespace, which bubblewrap maps to nightshift's own
// uid on the host. Files it makes in the workspace are therefore nightshift's on the host (root's, when
// nightshift runs as root, as in most containers), and the kernel lets their owner set the set-id bits:
// `chmod 4755 f`, or `open(f, O_CREAT, 04755)`, or `mknod`, left a set-user-ID-root program on the host,
// for anyone who can run it there. no_new_privs and the read-only view stop it only inside the sandbox.
// The filter refuses those calls (EPERM, as the kernel answers a mode change it does not allow) before the
// bit exists; decision 079.
//
// A classic BPF program over `struct seccomp_data` (nr at 0, arch at 4, args[i] at 16 + 8i; the low
// half of each argument first, as all three ABIs below are little-endian). Hand-assembled because the
// program is small and fixed, and libseccomp has no binding in Node.
//
// What else it closes: io_uring_setup (its ring opens and changes files out of seccomp's sight) and
// openat2 (its mode sits in a struct the filter cannot read) answer ENOSYS, as on a kernel without them,
// and so do calls newer than the ones reviewed (HIGHEST_REVIEWED) and x32 calls. On x64, 32-bit calls
// (int 0x80) are checked against their own numbers. Any other ABI answers ENOSYS to every call. Where
// there is no filter (an architecture other than x64 and arm64), there is no sandbox (bubblewrap.ts).

/** Linux audit architecture values (linux/audit.h). */
const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;

const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;

/** S_ISUID | S_ISGID. */
const SET_ID_BITS = 0o6000;
/** O_CREAT | __O_TMPFILE: the only opens whose mode argument means anything (same value on all three ABIs). */
const OPEN_CREATES = 0o100 | 0o20000000;

/** A call that takes a mode: which argument holds it, and for opens, which holds the flags. */
interface ModeCall {
  nr: number;
  mode: number;
  flags?: number;
}

interface Abi {
  arch: number;
  modeCalls: ModeCall[];
  refused: number[];
}

/**
 * The highest call number reviewed (file_setattr, Linux 6.17; the same number on all three ABIs): calls
 * above it answer ENOSYS, so a call a later kernel adds cannot set a mode unseen. That also covers x32
 * calls, which x86-64 carries under its own arch value with 0x40000000 added to the number. Programs
 * treat ENOSYS as an older kernel.
 */
const HIGHEST_REVIEWED = 469;

// Syscall numbers: arch/x86/entry/syscalls/syscall_64.tbl and syscall_32.tbl, include/uapi/asm-generic/unistd.h.
const X86_64: Abi = {
  arch: AUDIT_ARCH_X86_64,
  modeCalls: [
    { nr: 2, flags: 1, mode: 2 }, // open
    { nr: 257, flags: 2, mode: 3 }, // openat
    { nr: 85, mode: 1 }, // creat
    { nr: 90, mode: 1 }, // chmod
    { nr: 91, mode: 1 }, // fchmod
    { nr: 268, mode: 2 }, // fchmodat
    { nr: 452, mode: 2 }, // fchmodat2
    { nr: 133, mode: 1 }, // mknod
    { nr: 259, mode: 2 }, // mknodat
  ],
  refused: [425, 437], // io_uring_setup, openat2
};

const I386: Abi = {
  arch: AUDIT_ARCH_I386,
  modeCalls: [
    { nr: 5, flags: 1, mode: 2 }, // open
    { nr: 295, flags: 2, mode: 3 }, // openat
    { nr: 8, mode: 1 }, // creat
    { nr: 15, mode: 1 }, // chmod
    { nr: 94, mode: 1 }, // fchmod
    { nr: 306, mode: 2 }, // fchmodat
    { nr: 452, mode: 2 }, // fchmodat2
    { nr: 14, mode: 1 }, // mknod
    { nr: 297, mode: 2 }, // mknodat
  ],
  refused: [425, 437],
};

const AARCH64: Abi = {
  arch: AUDIT_ARCH_AARCH64,
  modeCalls: [
    { nr: 56, flags: 2, mode: 3 }, // openat
    { nr: 52, mode: 1 }, // fchmod
    { nr: 53, mode: 2 }, // fchmodat
    { nr: 452, mode: 2 }, // fchmodat2
    { nr: 33, mode: 2 }, // mknodat
  ],
  refused: [425, 437],
};

/** The ABIs a process of this architecture can call the kernel with, its own first. */
const ABIS: Partial<Record<NodeJS.Architecture, Abi[]>> = { x64: [X86_64, I386], arm64: [AARCH64] };

// BPF opcodes (linux/bpf_common.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGT_K = 0x25;
const JSET_K = 0x45;
const RET_K = 0x06;

type Target = string | 'next';
type Insn = { label: string } | { code: number; k: number; jt?: Target; jf?: Target };

const load = (offset: number): Insn => ({ code: LD_W_ABS, k: offset });
const arg = (i: number) => 16 + 8 * i;
const ret = (k: number): Insn => ({ code: RET_K, k });

function abiBlock(abi: Abi, at: string): Insn[] {
  const out: Insn[] = [{ label: at }, load(0)];
  out.push({ code: JGT_K, k: HIGHEST_REVIEWED, jt: 'enosys', jf: 'next' });
  for (const nr of abi.refused) out.push({ code: JEQ_K, k: nr, jt: 'enosys', jf: 'next' });
  abi.modeCalls.forEach((c, i) => {
    out.push({ code: JEQ_K, k: c.nr, jt: `${at}.${i}`, jf: 'next' });
  });
  out.push(ret(SECCOMP_RET_ALLOW));
  abi.modeCalls.forEach((c, i) => {
    out.push({ label: `${at}.${i}` });
    if (c.flags !== undefined) {
      out.push(load(arg(c.flags)), { code: JSET_K, k: OPEN_CREATES, jt: 'next', jf: 'allow' });
    }
    out.push(load(arg(c.mode)), { code: JSET_K, k: SET_ID_BITS, jt: 'eperm', jf: 'allow' });
  });
  return out;
}

/** Resolves labels to relative jumps and encodes `struct sock_filter` (u16 code, u8 jt, u8 jf, u32 k). */
function assemble(program: Insn[]): Buffer {
  const labels = new Map<string, number>();
  const insns: Exclude<Insn, { label: string }>[] = [];
  for (const i of program) {
    if ('label' in i) labels.set(i.label, insns.length);
    else insns.push(i);
  }
  const out = Buffer.alloc(insns.length * 8);
  insns.forEach((i, pc) => {
    const jump = (t: Target | undefined): number => {
      if (t === undefined || t === 'next') return 0;
      const to = labels.get(t);
      if (to === undefined) throw new Error(`seccomp: no label ${t}`);
      const offset = to - pc - 1;
      // Classic BPF only jumps forward, at most 255 instructions.
      if (offset < 0 || offset > 255) throw new Error(`seccomp: jump to ${t} out of range (${offset})`);
      return offset;
    };
    out.writeUInt16LE(i.code, pc * 8);
    out.writeUInt8(jump(i.jt), pc * 8 + 2);
    out.writeUInt8(jump(i.jf), pc * 8 + 3);
    out.writeUInt32LE(i.k >>> 0, pc * 8 + 4);
  });
  return out;
}

/**
 * The filter for a process of architecture `arch`, or undefined where nightshift has none (an
 * architecture other than x64 and arm64): the sandbox is then refused (decision 079).
 */
export function setIdFilter(arch: NodeJS.Architecture = process.arch): Buffer | undefined {
  const abis = ABIS[arch];
  if (!abis) return undefined;
  const program: Insn[] = [load(4)];
  abis.forEach((abi, i) => {
    program.push({ code: JEQ_K, k: abi.arch, jt: `abi${i}`, jf: 'next' });
  });
  program.push(ret(SECCOMP_RET_ERRNO | ENOSYS));
  abis.forEach((abi, i) => {
    program.push(...abiBlock(abi, `abi${i}`));
  });
  program.push(
    { label: 'allow' },
    ret(SECCOMP_RET_ALLOW),
    { label: 'eperm' },
    ret(SECCOMP_RET_ERRNO | EPERM),
    { label: 'enosys' },
    ret(SECCOMP_RET_ERRNO | ENOSYS),
  );
  return assemble(program);
}
