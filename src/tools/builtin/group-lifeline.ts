// What ends an unsandboxed command when the process that started it dies. A sandboxed command lives in
// its own PID namespace, ended through its lifeline (sandbox/bubblewrap.ts, decision 007); an unsandboxed
// one is only a process group, which nothing kills when its starter is SIGKILLed. This watcher is the
// same idea outside the sandbox: a tiny shell in a process group of its own blocks reading a pipe whose
// other end only the starter holds; at its end of file (the starter is gone, however it died) it kills
// the command's group. A command that leaves its group (setsid) escapes it, as it escapes a timeout.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * Starts the watcher of process group `pgid` (the command's, spawned detached). Stop it with `stop()` once
 * the command has ended, so it cannot kill a group that reused the number.
 */
export function watchGroup(pgid: number): { stop(): void } {
  let watcher: ChildProcess;
  try {
    // A fixed script; the group travels as its positional parameter. `read` returns only at end of file.
    watcher = spawn('/bin/sh', ['-c', 'read -r _; kill -9 -"$0"', String(pgid)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      env: {},
    });
  } catch {
    return { stop() {} };
  }
  watcher.on('error', () => {});
  watcher.stdin?.on('error', () => {});
  // Neither the watcher nor its pipe keeps this process alive.
  watcher.unref();
  (watcher.stdin as Socket | null)?.unref?.();
  return {
    stop() {
      try {
        watcher.kill('SIGKILL');
      } catch {}
      watcher.stdin?.destroy();
    },
  };
}
