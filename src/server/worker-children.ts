// `serve --workers N`'s N − 1 worker-only child processes: forked with an IPC channel (the parent's
// /metrics asks them for their figures over it), and started again when one dies, so a crash of one
// process costs its runs' leases (taken over) and a moment of capacity, not a worker for good. A child
// that keeps dying right after it starts is restarted less and less often (1 s doubling to a minute).
import { type ChildProcess, fork } from 'node:child_process';
import type { Logger } from 'pino';

/** Restarted after this long; doubled for each death within STABLE_MS of a start, up to MAX_DELAY_MS. */
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;
const STABLE_MS = 30_000;

export interface WorkerChildren {
  /** SIGTERM to every child (none is restarted after this); resolves once all have exited. */
  stop(): Promise<void>;
  /** SIGKILL to every child, for a process about to exit with a drain that did not end (none restarted). */
  kill(): void;
}

export function startWorkerChildren(o: {
  count: number;
  entry: string;
  args: string[];
  /** The children's environment (the parent's, with its resolved serve settings: serve.ts). */
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Each child as it is forked, restarts included. */
  onFork(child: ChildProcess): void;
}): WorkerChildren {
  let stopping = false;
  const live = new Set<ChildProcess>();
  const timers = new Set<NodeJS.Timeout>();

  /** `delayMs`: how long to wait before starting another if this one dies soon after it starts. */
  function start(slot: number, delayMs: number): void {
    const child = fork(o.entry, o.args, { stdio: 'inherit', env: o.env });
    const startedAt = Date.now();
    live.add(child);
    o.onFork(child);
    // A failed kill or send: logged (an unheard 'error' event would end the daemon).
    child.on('error', (err) =>
      o.log.error({ worker: slot, pid: child.pid, err: err.message }, 'worker process error'),
    );
    child.once('exit', (code, signal) => {
      live.delete(child);
      if (stopping) return;
      const wait = Date.now() - startedAt < STABLE_MS ? delayMs : FIRST_DELAY_MS;
      o.log.error(
        { worker: slot, pid: child.pid, code, signal, restartInMs: wait },
        'worker process exited; starting another',
      );
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopping) start(slot, Math.min(wait * 2, MAX_DELAY_MS));
      }, wait);
      timers.add(timer);
    });
  }
  for (let slot = 1; slot <= o.count; slot++) start(slot, FIRST_DELAY_MS);

  return {
    async stop() {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      const exited = [...live].map(
        (child) => new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r()))),
      );
      for (const child of live) child.kill('SIGTERM');
      await Promise.all(exited);
    },
    kill() {
      stopping = true;
      for (const child of live) child.kill('SIGKILL');
    },
  };
}
