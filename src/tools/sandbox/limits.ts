// What one sandboxed command may consume: CPU time, memory, processes. Set as resource limits by
// prlimit inside the sandbox (after bubblewrap made the user namespace, see bubblewrap.ts), and, where
// the command's host uid is root (for which the kernel ignores RLIMIT_NPROC), by a pids cgroup
// (cgroup.ts). What each limit does and does not bound is in docs/tools.md.
import type { Limits } from '../../roles/settings.js';

export interface ExecLimits {
  /** CPU seconds per process (RLIMIT_CPU, soft = hard, so the kernel sends SIGKILL). */
  cpuSeconds: number;
  /** Address space per process in bytes (RLIMIT_AS); also what the private /tmp and /var/tmp may hold together. */
  memoryBytes: number;
  /** Processes and threads the command may have at once (RLIMIT_NPROC, or the pids cgroup's pids.max). */
  processes: number;
}

/**
 * Defaults for roles that set none. 2 GiB of address space: Node.js needs about 1 GiB of it just to start
 * (V8 reserves it), so less would stop common tools rather than hogs.
 */
export const DEFAULT_EXEC_LIMITS: ExecLimits = {
  cpuSeconds: 60,
  memoryBytes: 2 * 1024 * 1024 * 1024,
  processes: 128,
};

export function execLimits(limits: Limits): ExecLimits {
  return {
    cpuSeconds: limits.execCpuSeconds ?? DEFAULT_EXEC_LIMITS.cpuSeconds,
    memoryBytes: limits.execMemoryBytes ?? DEFAULT_EXEC_LIMITS.memoryBytes,
    processes: limits.execProcesses ?? DEFAULT_EXEC_LIMITS.processes,
  };
}

/** prlimit's argument vector (before `--`): soft and hard limits equal, so a program cannot raise them. */
export function prlimitArgs(l: ExecLimits): string[] {
  return [
    `--cpu=${l.cpuSeconds}`,
    `--as=${l.memoryBytes}`,
    `--nproc=${l.processes}`,
    // No core dumps: a crashing command must not write its memory (which may hold secrets) to disk.
    '--core=0',
  ];
}
