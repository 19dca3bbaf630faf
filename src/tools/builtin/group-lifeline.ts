// What ends an unsandboxed command when the process that started it dies. A sandboxed command lives in
// its own PID namespace, ended through its lifeline (sandbox/bubblewrap.ts, decision 007); an unsandboxed
// one is only a process group, which nothing kills when its starter is SIGKILLed. This watcher is the
// same idea outside the sandbox: a tiny shell in a process group of its own blocks reading a pipe whose
// other end only the starter holds; at its end of file (the starter is gone, however it died) it kills
// the command's group. A command that leaves its group (setsid) escapes it, as it escapes a timeout.
//
// The group's number exists only once the command is spawned, so it reaches the watcher after the spawn;
// a starter killed between those two steps would leave the command running. So the command does not run
// until the watcher has its group: it is spawned as a fixed shell (the gate) that waits for a line on
// descriptor 3, a pipe only the starter holds, and then execs the program in its own place (same pid and
// group, same stdin/stdout/stderr; its exit code or signal is the program's). The starter writes that line
// only once the group number is in the watcher's pipe. A starter that dies before closes descriptor 3:
// the gate reads end of file and exits without running anything.
import { type ChildProcessWithoutNullStreams, type SpawnOptions, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { KILL_MARKED_SH } from './process-marker.js';

export interface GroupLifeline {
  /** Tells the watcher the group to kill; `then` runs once the number is in its pipe (or it has none). */
  watch(pgid: number, then: () => void): void;
  /** Ends the watcher once the command has ended, so it cannot kill a group that reused the number. */
  stop(): void;
}

/**
 * Starts a watcher; before spawning the command, so no command runs without one (a starter killed while
 * the watcher was being spawned left the command running). The group reaches it as the first line on the
 * pipe; at end of file before that, the command never started and nothing is killed.
 */
export function startGroupLifeline(marker?: string): GroupLifeline {
  let watcher: ReturnType<typeof spawn>;
  try {
    // A fixed script. `read` returns at a line or at end of file; the second only at end of file. With a
    // marker (its first positional parameter), the processes that left the group go too (process-marker.ts).
    const script = `read -r g || exit 0; read -r _; kill -9 -"$g"${marker ? `; ${KILL_MARKED_SH}` : ''}`;
    watcher = spawn('/bin/sh', ['-c', script, 'nightshift-watch', ...(marker ? [marker] : [])], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      env: { PATH: '/usr/bin:/bin' },
    });
  } catch {
    // No watcher can be had (as before the gate): the command runs without one.
    return { watch: (_pgid, then) => then(), stop() {} };
  }
  watcher.on('error', () => {});
  watcher.stdin?.on('error', () => {});
  // Neither the watcher nor its pipe keeps this process alive.
  watcher.unref();
  (watcher.stdin as Socket | null)?.unref?.();
  return {
    watch(pgid, then) {
      // The callback comes once the line is written to the pipe (or the write failed: a watcher that
      // could not start, as above); from then on a death of this process reaches a watcher that knows.
      if (watcher.stdin) watcher.stdin.write(`${pgid}\n`, () => then());
      else then();
    },
    stop() {
      try {
        watcher.kill('SIGKILL');
      } catch {}
      watcher.stdin?.destroy();
    },
  };
}

/**
 * The gate, a fixed script: the program and its arguments are its positional parameters. Without the
 * starter's line (end of file) it exits, running nothing; with it, it execs the program with descriptor 3
 * closed, so the program holds nothing of the gate.
 */
const GATE = 'read -r go <&3 || exit 125; exec "$@" 3<&-';

export interface UnsandboxedCommand {
  child: ChildProcessWithoutNullStreams;
  /** Ends the watcher: call once the command has ended. */
  stop(): void;
}

/**
 * Spawns `file` with `argv` in a process group of its own (detached; a timeout kills the group) that a
 * watcher kills if this process dies before the command ends; the program starts only once the watcher
 * knows its group. Throws as `spawn` does (E2BIG for an over-long argument), leaving no watcher behind.
 * `afterSpawn` runs between the spawn and the watcher being told, for tests that kill this process there.
 * `marker`: the NAME=value line in `options.env` that the watcher also kills by (process-marker.ts).
 */
export function spawnUnsandboxed(
  file: string,
  argv: readonly string[],
  options: Omit<SpawnOptions, 'stdio' | 'detached'>,
  afterSpawn?: () => void,
  marker?: string,
): UnsandboxedCommand {
  const lifeline = startGroupLifeline(marker);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn('/bin/sh', ['-c', GATE, 'nightshift-gate', file, ...argv], {
      ...options,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
  } catch (err) {
    lifeline.stop();
    throw err;
  }
  const gate = child.stdio[3] as Socket | null;
  // Read (nothing comes) so its end of file is seen: the child's 'close' waits for every stdio stream,
  // and the gate's ends when the program is exec'd (or the gate exits).
  gate?.on('error', () => {}).resume();
  afterSpawn?.();
  const go = () => gate?.end('go\n');
  if (child.pid) lifeline.watch(child.pid, go);
  // No pid: the spawn failed ('error' follows); the gate must not hold the child's 'close' back.
  else gate?.destroy();
  return { child: child as ChildProcessWithoutNullStreams, stop: () => lifeline.stop() };
}
