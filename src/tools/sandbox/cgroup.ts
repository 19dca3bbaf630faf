// A pids cgroup per command, for when the command's host uid is root: the kernel never applies
// RLIMIT_NPROC to uid 0 (kernel/fork.c exempts INIT_USER), so without a cgroup a fork bomb run by a root
// nightshift would take every pid on the host. Found on a cgroup v1 `pids` hierarchy, or on cgroup v2
// where the pids controller is enabled for this process's cgroup's children. Nothing found: the caller
// refuses shell.exec (no command runs without a bound on its processes).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type PidsHierarchy = { ok: true; parent: string } | { ok: false; reason: string };

interface Mount {
  point: string;
  fsType: string;
  superOptions: string[];
  root: string;
}

function mounts(): Mount[] {
  const out: Mount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // <id> <parent> <maj:min> <root> <point> <options> [optional...] - <fstype> <source> <super options>
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const [fsType, , superOptions] = right.split(' ');
    if (!fsType || f[3] === undefined || f[4] === undefined) continue;
    const unoctal = (s: string) =>
      s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(Number.parseInt(o, 8)));
    out.push({
      root: unoctal(f[3]),
      point: unoctal(f[4]),
      fsType,
      superOptions: (superOptions ?? '').split(','),
    });
  }
  return out;
}

/** This process's cgroup path in a hierarchy (`/proc/self/cgroup`), by v1 controller or `''` for v2. */
function ownCgroup(controller: string): string | undefined {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, controllers, path] = line.split(/:(.*?):/);
    if (path === undefined || controllers === undefined) continue;
    if (controller === '' ? controllers === '' : controllers.split(',').includes(controller)) return path;
  }
  return undefined;
}

/** Where this process's command cgroups go: `<our pids cgroup>/nightshift`. Checked once per process. */
let found: PidsHierarchy | undefined;

export function pidsHierarchy(): PidsHierarchy {
  if (found) return found;
  found = locate();
  if (found.ok) {
    try {
      mkdirSync(found.parent, { recursive: true, mode: 0o755 });
      removeStale(found.parent);
    } catch (err) {
      found = { ok: false, reason: `cannot create ${found.parent}: ${(err as Error).message}` };
    }
  }
  return found;
}

function locate(): PidsHierarchy {
  let all: Mount[];
  try {
    all = mounts();
  } catch (err) {
    return { ok: false, reason: `cannot read /proc/self/mountinfo: ${(err as Error).message}` };
  }
  const v1 = all.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('pids'));
  if (v1) {
    const own = ownCgroup('pids') ?? '/';
    return { ok: true, parent: join(v1.point, relativeTo(own, v1.root), 'nightshift') };
  }
  for (const m of all.filter((x) => x.fsType === 'cgroup2')) {
    const own = join(m.point, relativeTo(ownCgroup('') ?? '/', m.root));
    try {
      // Our own cgroup must already delegate pids to its children (v2 forbids enabling it here while
      // this process lives in it, the "no internal processes" rule).
      const sub = readFileSync(join(own, 'cgroup.subtree_control'), 'utf8').split(/\s+/);
      if (sub.includes('pids')) return { ok: true, parent: join(own, 'nightshift') };
    } catch {}
  }
  return {
    ok: false,
    reason:
      'no writable pids cgroup (cgroup v1 "pids" hierarchy, or cgroup v2 with the pids controller enabled in cgroup.subtree_control of nightshift\'s cgroup)',
  };
}

function relativeTo(path: string, mountRoot: string): string {
  if (mountRoot === '/' || mountRoot === '') return path;
  return path.startsWith(mountRoot) ? path.slice(mountRoot.length) || '/' : path;
}

/** Command cgroups left by nightshift processes that died: named `<pid>-<n>`, removed when empty. */
function removeStale(parent: string): void {
  for (const name of readdirSync(parent)) {
    const pid = Number(name.split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid || existsSync(`/proc/${pid}`)) continue;
    try {
      rmdirSync(join(parent, name));
    } catch {}
  }
}

let counter = 0;

export interface CommandCgroup {
  /** The file the command's first process writes its pid to (then everything it forks is inside). */
  procsFile: string;
  /** Kills whatever is still inside, waits for it to be gone (up to 5 s), then removes the cgroup. */
  remove(): Promise<void>;
  /** Processes and threads inside now. */
  current(): number;
}

/** A fresh cgroup with `pids.max` set, for one command. Throws when it cannot be made. */
export function commandCgroup(parent: string, maxProcesses: number): CommandCgroup {
  const dir = join(parent, `${process.pid}-${++counter}`);
  mkdirSync(dir, { mode: 0o755 });
  writeFileSync(join(dir, 'pids.max'), String(maxProcesses));
  const procs = () => readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  return {
    procsFile: join(dir, 'cgroup.procs'),
    current: () => Number(readFileSync(join(dir, 'pids.current'), 'utf8').trim()),
    async remove() {
      // The PID namespace normally takes everything down with the command; this is the backstop for a
      // process that got out of it (it cannot leave the cgroup).
      const deadline = Date.now() + 5000;
      for (;;) {
        let left: number[];
        try {
          left = procs();
        } catch {
          return;
        }
        if (left.length === 0 || Date.now() > deadline) break;
        for (const pid of left) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {}
        }
        await sleep(10);
      }
      try {
        rmdirSync(dir);
      } catch {
        // Still busy (a process being reaped): removeStale takes it once this nightshift process is gone.
      }
    },
  };
}
