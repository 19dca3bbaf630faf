// The OS sandbox for commands: bubblewrap. The command runs as an unprivileged uid in a new user
// namespace with no capabilities and no_new_privs, in a file view built from what programs need (the
// system folders, read-only) plus the workspace (the only writable place), with private /tmp and
// /var/tmp, no network unless the role allows it, every namespace new, killed when the process that
// started it dies (a lifeline pipe, WATCH_SCRIPT, as well as bubblewrap's --die-with-parent), under
// resource limits (limits.ts), unable to set a set-user-ID or set-group-ID bit (seccomp.ts). Where this
// cannot be built, callers refuse: there is no silent fallback.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { type ExecLimits, prlimitArgs } from './limits.js';
import { setIdFilter } from './seccomp.js';

export const SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin';
/** The uid and gid a command has inside the sandbox (nobody/nogroup); never 0. */
export const SANDBOX_UID = 65534;
export const PRLIMIT = '/usr/bin/prlimit';
export const SANDBOX_SH = '/bin/sh';

/**
 * The descriptor (in bwrap and inside the sandbox) of the lifeline: one end of a pipe whose other end only
 * the process that started the command holds (shell-exec.ts passes it as stdio[3]). It closes when that
 * process dies, however it dies.
 */
export const LIFELINE_FD = 3;

/**
 * The descriptor bubblewrap reads the seccomp filter from (seccomp.ts), to its end of file, before it
 * starts the command; shell-exec.ts passes it as stdio[4].
 */
export const SECCOMP_FD = 4;

/**
 * The first program in the sandbox. It starts a watcher that blocks reading the lifeline and, at its end
 * of file (the starter is gone), kills every process of the sandbox's PID namespace (`kill -9 -1` spares
 * only itself and bubblewrap's init, which then exits with its last child). Then it closes the lifeline
 * and runs the command (under prlimit) as its child; when the command ends, the watcher goes too and the
 * command's status is passed on (a signal as 128 + its number, which bubblewrap reports the same way).
 *
 * Why not bubblewrap's --die-with-parent alone: it sets the parent-death signal in the outer bwrap only
 * after cloning the sandbox, and in the inner one (PID 1 of the sandbox) only once the whole file view is
 * built, and never checks whether the parent already died. A starter SIGKILLed in those tens of
 * milliseconds left the inner bwrap and the command running under init (bubblewrap 0.8). A closed pipe
 * has no such window: a watcher that starts late still reads the end of file. A fixed script; the
 * command travels as its positional parameters.
 */
export const WATCH_SCRIPT = `{ read -r _ <&${LIFELINE_FD}; kill -9 -1; } & w=$!; exec ${LIFELINE_FD}<&-; "$@"; s=$?; kill -9 $w; exit $s`;

/**
 * The host folders a command sees, read-only: programs, their libraries, and /etc for name resolution,
 * time zones and certificates. Anything else of the host (/home, /root, /run, /var, /srv, /opt, /mnt,
 * /sys, the project around the workspace) is simply not there.
 */
export const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];

/** Files in /etc that hold the host's own secrets: replaced by an empty file or folder. */
export const HIDDEN_ETC = [
  '/etc/shadow',
  '/etc/shadow-',
  '/etc/gshadow',
  '/etc/gshadow-',
  '/etc/sudoers',
  '/etc/sudoers.d',
  '/etc/ssh',
  '/etc/ssl/private',
  '/etc/pki/tls/private',
  '/etc/letsencrypt',
  '/etc/krb5.keytab',
  '/etc/wireguard',
  '/etc/NetworkManager/system-connections',
  '/etc/security/opasswd',
];

let cached: { key: string; ok: boolean; reason: string } | undefined;

/** The bubblewrap binary to use (NIGHTSHIFT_BWRAP overrides, e.g. to test the refusal path). */
export function bwrapPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NIGHTSHIFT_BWRAP || '/usr/bin/bwrap';
}

/**
 * Whether the hardened sandbox can be built on this machine: bubblewrap creates it (user namespace,
 * capabilities dropped, the file view) and prlimit sets the limits inside. Checked once per process and
 * binary. The pids cgroup a root nightshift also needs is checked by the caller (cgroup.ts).
 */
export function sandboxAvailable(
  env: NodeJS.ProcessEnv = process.env,
  /** The architecture whose seccomp filter commands get (process.arch; another only in tests). */
  arch: NodeJS.Architecture = process.arch,
): { ok: boolean; reason: string } {
  const bwrap = bwrapPath(env);
  const key = `${bwrap} ${arch}`;
  if (cached && cached.key === key) return cached;
  let result: { ok: boolean; reason: string };
  const filter = setIdFilter(arch);
  if (!filter) {
    // Without the filter a command could leave set-id programs on the host (seccomp.ts): no sandbox.
    result = {
      ok: false,
      reason: `the command sandbox has no seccomp filter for the ${arch} architecture (it has filters for x64 and arm64)`,
    };
  } else if (!existsSync(bwrap)) {
    result = { ok: false, reason: `bubblewrap not found at ${bwrap} (Debian package: bubblewrap)` };
  } else if (!existsSync(PRLIMIT)) {
    result = { ok: false, reason: `prlimit not found at ${PRLIMIT} (Debian package: util-linux)` };
  } else {
    // With the filter the commands get, read from stdin here (the probe's /bin/true reads nothing): a
    // kernel or bubblewrap that refuses it refuses the sandbox.
    const probe = spawnSync(
      bwrap,
      bwrapArgs({
        workspace: undefined,
        cwd: '/',
        network: false,
        protectedPaths: [],
        limits: { cpuSeconds: 10, memoryBytes: 1024 * 1024 * 1024, processes: 16 },
        program: '/bin/true',
        args: [],
        seccompFd: 0,
      }),
      // The probe runs through the watcher too, so it needs a lifeline (held open by this process).
      {
        encoding: 'utf8',
        timeout: 10_000,
        env: {},
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
        input: filter,
      },
    );
    result =
      probe.status === 0
        ? { ok: true, reason: 'bubblewrap works' }
        : {
            ok: false,
            reason: `bubblewrap cannot create the sandbox here (user namespace, dropped capabilities): ${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim()}`,
          };
  }
  cached = { key, ...result };
  return result;
}

export interface SandboxSpec {
  /** Real path of the workspace (bound read-write); none only for the availability probe. */
  workspace: string | undefined;
  cwd: string;
  network: boolean;
  /** Host paths the command must not see even where they lie inside a visible folder (real or not). */
  protectedPaths: readonly string[];
  limits: ExecLimits;
  program: string;
  args: string[];
  /** The descriptor bubblewrap reads the seccomp filter (seccomp.ts) from: there is no sandbox without one. */
  seccompFd: number;
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** The system folders as they are on this host: real folders bound read-only, merged-/usr links kept as links. */
function systemView(): string[] {
  const out: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(dir);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) out.push('--symlink', readlinkSync(dir), dir);
    else if (st.isDirectory()) out.push('--ro-bind', dir, dir);
  }
  return out;
}

/** Where a protected path lies inside what the sandbox shows, it is covered: an empty file or folder. */
function cover(path: string): string[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    return [];
  }
  return st.isDirectory() ? ['--tmpfs', path, '--remount-ro', path] : ['--ro-bind', '/dev/null', path];
}

/** Real paths of `paths` that exist (a protected path reached through a symlink is covered where it really is). */
function realPaths(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    out.add(resolve(p));
    try {
      out.add(realpathSync(p));
    } catch {}
  }
  return [...out];
}

/**
 * The bwrap argument vector that runs `program args` inside the sandbox, under prlimit, watched by
 * WATCH_SCRIPT: bwrap must be started with the lifeline as descriptor LIFELINE_FD.
 */
export function bwrapArgs(spec: SandboxSpec): string[] {
  const out = [
    '--die-with-parent',
    '--new-session',
    '--unshare-all',
    // A user namespace even as root, so the command's uid is not 0 and it holds no capability; no
    // nested user namespaces either (they would hand it a fresh set of capabilities to attack the
    // kernel with). bwrap also sets no_new_privs, so no setuid program can give any back.
    '--unshare-user',
    '--disable-userns',
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_UID),
    '--cap-drop',
    'ALL',
    '--seccomp',
    String(spec.seccompFd),
  ];

  if (spec.network) out.push('--share-net');
  out.push(...systemView());
  out.push('--dev', '/dev', '--proc', '/proc');
  // Private temporary folders: a command's scratch files live in memory and die with it. tmpfs pages
  // are not address space, so RLIMIT_AS does not count them: the three together get the memory limit.
  // (/dev/shm would otherwise be a folder of bwrap's /dev tmpfs, which has no size: half the host's RAM.)
  // In whole pages: the kernel rounds a tmpfs size up to one, which would pass the limit together.
  const tmpBytes = String(Math.floor(spec.limits.memoryBytes / 3 / 4096) * 4096);
  for (const tmp of ['/tmp', '/var/tmp', '/dev/shm']) out.push('--size', tmpBytes, '--tmpfs', tmp);
  for (const secret of HIDDEN_ETC) out.push(...cover(secret));
  if (spec.network) {
    // /run is not in the view, but name resolution may point there (systemd-resolved's stub file).
    try {
      const resolv = realpathSync('/etc/resolv.conf');
      if (!resolv.startsWith('/etc/')) out.push('--ro-bind', resolv, resolv);
    } catch {}
  }
  const visible = SYSTEM_DIRS.filter((d) => existsSync(d)).map((d) => realpathSync(d));
  if (spec.workspace) {
    out.push('--bind', spec.workspace, spec.workspace);
    visible.push(spec.workspace);
  }
  for (const p of realPaths(spec.protectedPaths)) {
    // Covering the workspace itself, or a folder around it, would hide the workspace: a protected path
    // there is already out of view except for the workspace.
    if (spec.workspace && (p === spec.workspace || isInside(spec.workspace, p))) continue;
    if (visible.some((v) => p === v || isInside(p, v))) {
      // A cover needs its mount point inside the view; its folder exists there if it is visible.
      if (existsSync(dirname(p))) out.push(...cover(p));
    }
  }
  // No --setenv: values on a command line are visible to every local user (/proc/<pid>/cmdline). The
  // scrubbed environment is bwrap's own (the spawn's env), which the sandboxed program inherits.
  // bwrap's own root and /dev are tmpfs without a size (half the host's RAM each), writable by the
  // command: read-only once every mount is made, so only the sized folders above and the workspace take
  // writes (a remount is not recursive: the mounts below keep their own flags).
  out.push('--remount-ro', '/dev', '--remount-ro', '/');
  out.push('--chdir', spec.cwd);
  out.push('--', SANDBOX_SH, '-c', WATCH_SCRIPT, 'nightshift-sandbox');
  out.push(PRLIMIT, ...prlimitArgs(spec.limits), '--', spec.program, ...spec.args);
  return out;
}

/** Whether a program path is inside what the sandbox shows (the system folders or the workspace). */
export function visibleInSandbox(program: string, workspace: string): boolean {
  let real: string;
  try {
    real = realpathSync(program);
  } catch {
    return false;
  }
  const roots = SYSTEM_DIRS.filter((d) => existsSync(d)).map((d) => realpathSync(d));
  return [...roots, workspace].some((r) => isInside(real, r));
}
