// What ends an unsandboxed command when the process that started it dies. A sandboxed command lives in
// its own PID namespace, ended through its lifeline (sandbox/bubblewrap.ts, decision 007); an unsandboxed
// one is only a process group, which nothing kills when its starter is SIGKILLed. This watcher is the
// same idea outside the sandbox: a tiny shell in a process group of its own blocks reading a pipe whose
// other end only the starter holds; at its end of file (the starter is gone, however it died) it kills
// the command's group. A command that leaves its group (setsid) escapes it, as it escapes a timeout.
// The group's number reaches the watcher right after the command is spawned: a starter killed between
// those two steps (a few instructions, but a loaded machine can preempt there) leaves the command running.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

export interface GroupLifeline {
  /** Tells the watcher the group to kill: the command's, spawned detached after the watcher. */
  watch(pgid: number): void;
  /** Ends the watcher once the command has ended, so it cannot kill a group that reused the number. */
  stop(): void;
}

/**
 * Starts a watcher; call it before spawning the command, so no command runs without one (a starter
 * killed while the watcher was being spawned left the command running). The group reaches it as the
 * first line on the pipe; at end of file before that, the command never started and nothing is killed.
 */
export function startGroupLifeline(): GroupLifeline {
  let watcher: ChildProcess;
  try {
    // A fixed script. `read` returns at a line or at end of file; the second only at end of file.
    watcher = spawn('/bin/sh', ['-c', 'read -r g || exit 0; read -r _; kill -9 -"$g"'], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      env: {},
    });
  } catch {
    return { watch() {}, stop() {} };
  }
  watcher.on('error', () => {});
  watcher.stdin?.on('error', () => {});
  // Neither the watcher nor its pipe keeps this process alive.
  watcher.unref();
  (watcher.stdin as Socket | null)?.unref?.();
  return {
    watch(pgid) {
      watcher.stdin?.write(`${pgid}\n`);
    },
    stop() {
      try {
        watcher.kill('SIGKILL');
      } catch {}
      watcher.stdin?.destroy();
    },
  };
}
