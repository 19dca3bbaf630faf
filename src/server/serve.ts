// `nightshift serve <paths…>`: load the roles found in paths, open the runtime as a long-running service,
// and run either the daemon (HTTP, cron and a worker; plus `--workers - 1` worker-only child processes
// sharing the store) or, in those children (`--worker-only`), just a worker. Runs until SIGTERM/SIGINT,
// then gives running steps the grace period to finish.
import type { ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import type { ProjectConfig } from '../config/project.js';
import { resolveServeSettings } from '../config/serve-settings.js';
import { managersOf } from '../managers/chain.js';
import { discoverRoleFiles } from '../roles/discover.js';
import type { Role } from '../roles/schema.js';
import type { Runtime } from '../runtime.js';
import type { CommitObserver } from '../telemetry/commit-tap.js';
import { createServeMetrics } from '../telemetry/metrics/index.js';
import { startDaemon } from './daemon.js';
import { startLoggedWorker } from './worker.js';

/** The flags `nightshift serve` takes (numbers as typed: resolveServeSettings checks them). */
export interface ServeFlags {
  dataDir?: string;
  json?: boolean;
  host?: string;
  port?: string;
  workers?: string;
  concurrency?: string;
  pollMs?: string;
  graceMs?: string;
  leaseMs?: string;
  workerOnly?: boolean;
  /** `--no-metrics`: no GET /metrics and no metrics observer (default on). */
  metrics?: boolean;
}

/** What serve needs from the command line around it. */
export interface ServeHost {
  config: ProjectConfig;
  loadRole(file: string): Promise<Role>;
  /** Opens the runtime with the project's settings and these. */
  open(extra: { leaseMs: number; service: true; observers?: CommitObserver[] }): Promise<Runtime>;
  /** A line for the person at the terminal (stderr). */
  say(line: string): void;
}

export async function serve(paths: string[], flags: ServeFlags, host: ServeHost): Promise<void> {
  const settings = resolveServeSettings(flags, process.env, host.config.serve, host.config.file);
  const roles = [];
  for (const file of discoverRoleFiles(paths)) roles.push(await host.loadRole(file));
  // The roles' manager agents are served too: their runs decide the roles' escalations.
  for (const manager of await managersOf(roles, host.loadRole))
    if (!roles.some((r) => r.name === manager.name)) roles.push(manager);
  // The daemon serves /metrics; a --worker-only child has no HTTP server, so it keeps none.
  const metrics = flags.metrics !== false && !flags.workerOnly ? createServeMetrics({ roles }) : undefined;
  const rt = await host.open({
    leaseMs: settings.leaseMs,
    service: true,
    ...(metrics ? { observers: [metrics.observer] } : {}),
  });
  const log = pino({ name: 'nightshift' });
  let stop: (graceMs: number) => Promise<void>;
  const children: ChildProcess[] = [];
  if (flags.workerOnly) {
    const worker = startLoggedWorker(
      rt,
      { roles, concurrency: settings.concurrency, pollMs: settings.pollMs },
      log,
    );
    log.info({ roles: roles.map((r) => r.name), concurrency: settings.concurrency }, 'worker started');
    stop = (graceMs) => worker.stop(graceMs);
  } else {
    const daemon = await startDaemon({
      runtime: rt,
      roles,
      host: settings.host,
      port: settings.port,
      concurrency: settings.concurrency,
      pollMs: settings.pollMs,
      env: process.env,
      log,
      metrics,
    });
    // Extra worker processes share the store (and so the queue) with this one: more cores, and a
    // crash of one process leaves the others running.
    if (settings.workers > 1) {
      const { fork } = await import('node:child_process');
      const { fileURLToPath } = await import('node:url');
      const entry = fileURLToPath(new URL('../../../bin/nightshift.js', import.meta.url));
      for (let i = 1; i < settings.workers; i++) {
        const args = ['serve', ...paths, '--worker-only', '--concurrency', String(settings.concurrency)];
        args.push('--poll-ms', String(settings.pollMs), '--lease-ms', String(settings.leaseMs));
        if (flags.dataDir) args.push('--data-dir', flags.dataDir);
        children.push(fork(entry, args, { stdio: 'inherit' }));
      }
    }
    if (!flags.json)
      host.say(
        `nightshift serving ${roles.length} role(s) at ${daemon.url}${settings.workers > 1 ? ` with ${settings.workers} worker processes` : ''}`,
      );
    stop = (graceMs) => daemon.close(graceMs);
  }
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      log.info({ signal, graceMs: settings.graceMs }, 'shutting down');
      for (const child of children) child.kill('SIGTERM');
      const exited = children.map(
        (child) => new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r()))),
      );
      Promise.all([stop(settings.graceMs), ...exited]).then(
        () => resolve(),
        () => resolve(),
      );
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
}
