// `nightshift serve <paths…>`: load the roles found in paths, open the runtime as a long-running service,
// and run either the daemon (HTTP, cron and a worker; plus `--workers - 1` worker-only child processes
// sharing the store) or, in those children (`--worker-only`), just a worker. Runs until SIGTERM/SIGINT,
// then gives running steps the grace period to finish.
import { fileURLToPath } from 'node:url';
import type { ProjectConfig } from '../config/project.js';
import { resolveServeSettings, settingsEnv } from '../config/serve-settings.js';
import { specialistsOf } from '../delegation/reachable.js';
import { managersOf } from '../managers/chain.js';
import { notificationSecrets } from '../notifications/settings.js';
import { decisionsSecretFromEnv } from '../notifications/webhook-channel.js';
import { discoverRoleFiles, skippedRoleLine, uniqueRoles } from '../roles/discover.js';
import type { Role } from '../roles/schema.js';
import type { Runtime } from '../runtime.js';
import type { CommitObserver } from '../telemetry/commit-tap.js';
import { createLogger, LogSecrets, secretLookingEnvValues } from '../telemetry/logger.js';
import { answerMetricsRequests, createServeMetrics, workerMetrics } from '../telemetry/metrics/index.js';
import { startDaemon } from './daemon.js';
import { applyHeapGrowth } from './heap-growth.js';
import { roleSecretValues } from './log-secrets.js';
import { namedRoleFiles, startableRoles } from './startable-roles.js';
import { openWhenReachable } from './store-start.js';
import { startLoggedWorker } from './worker.js';
import { startWorkerChildren, type WorkerChildren } from './worker-children.js';

/**
 * After the grace period: the worker's wait for aborted runs to go back on the queue (2 s) and the runtime's
 * close (up to 5 s), with a margin. A repeat signal before this has passed does not cut the hand-back short.
 */
const HAND_BACK_MS = 10_000;

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
  /** `--public-url`: where people reach serve (behind a proxy), whose origin the console's forms accept. */
  publicUrl?: string;
}

/** What serve needs from the command line around it. */
export interface ServeHost {
  config: ProjectConfig;
  loadRole(file: string): Promise<Role>;
  /** Opens the runtime with the project's settings and these. */
  open(extra: {
    leaseMs: number;
    service: true;
    observers?: CommitObserver[];
    onRoleSecrets?: (values: readonly string[]) => void;
  }): Promise<Runtime>;
  /** A line for the person at the terminal (stderr). */
  say(line: string): void;
  /** Called once the HTTP server listens (`nightshift console` prints its login link here). */
  onListening?(url: string, runtime: Runtime): Promise<void>;
}

/** NIGHTSHIFT_NOTIFY_MS: how often serve sends due notifications and passes timed-out tiers on. */
function notifyInterval(env: NodeJS.ProcessEnv): number | undefined {
  const ms = Number(env.NIGHTSHIFT_NOTIFY_MS);
  return Number.isInteger(ms) && ms > 0 ? ms : undefined;
}

/**
 * Every secret value serve knows of, for its log to scrub: the roles' declared secrets and their
 * specialists' (webhook signing secrets among them), the notification channels' secrets, and environment
 * variables named like secrets (provider API keys). A secrets file that cannot be read is skipped here:
 * loading the role says why. A version promoted later adds its own when this process prepares it
 * (RuntimeOptions.onRoleSecrets) or the daemon's active-roles watch sees it, whichever comes first.
 */
export function serveSecretValues(roles: Role[], config: ProjectConfig, env: NodeJS.ProcessEnv): string[] {
  const values = [...secretLookingEnvValues(env), ...roleSecretValues(roles, env)];
  const { notifications } = config;
  try {
    if (notifications) {
      const secrets = notificationSecrets(notifications, env);
      for (const name of secrets.names) values.push(secrets.get(name) ?? '');
    }
  } catch {}
  return values;
}

function originOf(url: string | undefined): string | undefined {
  return url === undefined ? undefined : new URL(url).origin;
}

/** Whether the IPC channel to the parent closed since this was called (it holds the channel open meanwhile). */
function watchParent(): { gone(): boolean; stop(): void } {
  let gone = !process.connected;
  const mark = () => {
    gone = true;
  };
  process.once('disconnect', mark);
  return { gone: () => gone, stop: () => process.off('disconnect', mark) };
}

export async function serve(paths: string[], flags: ServeFlags, host: ServeHost): Promise<void> {
  // A --worker-only child listens for its parent's death from its first moment: a parent SIGKILLed while
  // the child was still loading roles and opening the store would otherwise go unnoticed (the channel is
  // already closed when the shutdown listener is added), and the child would work on alone. Released
  // whatever happens, so a child that fails to start exits (and is started again by its parent).
  const parent = flags.workerOnly && process.send ? watchParent() : undefined;
  try {
    await serveUntilStopped(paths, flags, host, parent);
  } finally {
    parent?.stop();
  }
}

async function serveUntilStopped(
  paths: string[],
  flags: ServeFlags,
  host: ServeHost,
  parent: ReturnType<typeof watchParent> | undefined,
): Promise<void> {
  const settings = resolveServeSettings(flags, process.env, host.config.serve, host.config.file);
  // A decisions secret too short to sign with stops serve here, before a store is opened or a port taken.
  decisionsSecretFromEnv(process.env);
  // Before the roles load and the runs start: the heap's growth is set for the process's whole life.
  applyHeapGrowth(settings.heapGrowingPercent);
  const loaded = [];
  const discovered = discoverRoleFiles(paths);
  for (const { file, workspaceOf } of discovered.skipped) host.say(skippedRoleLine(file, workspaceOf));
  for (const file of discovered.files) loaded.push(await host.loadRole(file));
  const found = uniqueRoles(loaded);
  // The roles' manager agents are served too: their runs decide the roles' escalations, and so are the
  // managers of their specialists (a specialist's own manager decides its escalations first). Kept apart
  // from the roles given: a client may start only those (/mcp runs.start); a manager not given runs only
  // when an escalation (or a trigger in its own file) calls for it. A manager or specialist a folder walk
  // found is kept apart the same way (startable-roles.ts): only a role file named on the command line is
  // startable whatever it is to the others.
  const chains = await managersOf([...found, ...specialistsOf(found)], host.loadRole);
  const { startable: given, helpers } = startableRoles(
    found,
    new Set(chains.map((m) => m.name)),
    namedRoleFiles(paths),
  );
  const managers: Role[] = [...helpers];
  for (const manager of chains)
    if (![...found, ...managers].some((r) => r.name === manager.name)) managers.push(manager);
  const roles = [...given, ...managers];
  // The daemon serves /metrics; a --worker-only child keeps the same counters (without process_* metrics)
  // and hands them to the daemon that forked it when it scrapes (telemetry/metrics/workers.ts).
  const metrics =
    flags.metrics !== false ? createServeMetrics({ roles, processMetrics: !flags.workerOnly }) : undefined;
  const logSecrets = new LogSecrets(serveSecretValues(roles, host.config, process.env));
  const log = createLogger({ name: 'nightshift', secrets: logSecrets });
  // A database unreachable at start is waited for (store-start.ts); a stop meanwhile ends serve cleanly.
  const starting = new AbortController();
  const stopStarting = (signal: string) => {
    if (starting.signal.aborted) return;
    log.info({ signal }, 'stopped while waiting for the database: shutting down');
    starting.abort();
  };
  const onStartSigterm = () => stopStarting('SIGTERM');
  const onStartSigint = () => stopStarting('SIGINT');
  const onStartParentGone = () => stopStarting('parent gone');
  process.once('SIGTERM', onStartSigterm);
  process.once('SIGINT', onStartSigint);
  if (parent) process.once('disconnect', onStartParentGone);
  let opened: Runtime | undefined;
  try {
    opened = await openWhenReachable(
      () =>
        host.open({
          leaseMs: settings.leaseMs,
          service: true,
          ...(metrics ? { observers: [metrics.observer] } : {}),
          // Every role version this process prepares (a promoted one, an older one a run in flight still
          // uses) has its secrets scrubbed from the log before its runs execute: a --worker-only child
          // watches no promotions, and the daemon's watch knows only the active versions.
          onRoleSecrets: (values) => logSecrets.add(values),
        }),
      log,
      starting.signal,
      () => parent?.gone() === true,
      settings.storeBusyLimitMs,
    );
  } finally {
    process.off('SIGTERM', onStartSigterm);
    process.off('SIGINT', onStartSigint);
    process.off('disconnect', onStartParentGone);
  }
  if (!opened) return;
  // A stop that came while the last attempt was still opening (a slow connect, the migrations): it
  // opened, but the stop was already taken (its handlers are gone), so nothing starts; serve ends as a
  // stop while waiting does, instead of serving on.
  if (starting.signal.aborted || parent?.gone() === true) {
    await opened.close();
    return;
  }
  const rt = opened;
  // The shutdown's SIGTERM/SIGINT listeners go on here, in the same tick as the start-phase ones came off:
  // a signal while the daemon starts, its worker processes fork or `onListening` runs would otherwise meet
  // no listener and kill the process with no drain. Until the shutdown below is ready, a signal is only
  // remembered, then acted on as soon as it is.
  let pendingSignal: string | undefined;
  let onSignal: (signal: string) => void = (signal) => {
    pendingSignal ??= signal;
  };
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  let stop: (graceMs: number) => Promise<void>;
  let children: WorkerChildren | undefined;
  try {
    if (flags.workerOnly) {
      const worker = startLoggedWorker(
        rt,
        {
          roles,
          concurrency: settings.concurrency,
          pollMs: settings.pollMs,
          storeBusyLimitMs: settings.storeBusyLimitMs,
        },
        log,
      );
      metrics?.attach({
        store: rt.store,
        active: () => worker.handle.active(),
        slots: settings.concurrency,
        agents: () => worker.handle.agents(),
      });
      const answering = metrics ? answerMetricsRequests(() => metrics.snapshot()) : undefined;
      log.info({ roles: roles.map((r) => r.name), concurrency: settings.concurrency }, 'worker started');
      stop = async (graceMs) => {
        await worker.stop(graceMs);
        // After the grace period, so the final snapshot has the runs that finished in it.
        answering?.stop();
      };
    } else {
      const daemon = await startDaemon({
        runtime: rt,
        roles: given,
        managers,
        host: settings.host,
        port: settings.port,
        concurrency: settings.concurrency,
        pollMs: settings.pollMs,
        storeBusyLimitMs: settings.storeBusyLimitMs,
        env: process.env,
        log,
        logSecrets,
        metrics,
        notifyMs: notifyInterval(process.env),
        versionSource: host.config.versions.source,
        stream: {
          heartbeatMs: settings.streamHeartbeatMs,
          perToken: settings.streamsPerToken,
          total: settings.streams,
        },
        people: host.config.people,
        http: {
          headersTimeoutMs: settings.headersTimeoutMs,
          requestTimeoutMs: settings.requestTimeoutMs,
          keepAliveTimeoutMs: settings.keepAliveTimeoutMs,
          maxConnections: settings.maxConnections,
        },
        // Else notifications.publicUrl: the same address, said for the email links.
        publicOrigin: settings.publicOrigin ?? originOf(host.config.notifications?.publicUrl),
        notifications: host.config.notifications && {
          settings: host.config.notifications,
          people: host.config.people?.people ?? [],
        },
      });
      // Extra worker processes share the store (and so the queue) with this one: more cores, and a
      // crash of one process leaves the others running.
      if (settings.workers > 1) {
        // Every serve setting goes to the children as its variable (settingsEnv), so none is left out.
        const args = ['serve', ...paths, '--worker-only'];
        if (flags.dataDir) args.push('--data-dir', flags.dataDir);
        if (flags.metrics === false) args.push('--no-metrics');
        const fromChildren = metrics ? workerMetrics() : undefined;
        if (fromChildren) metrics?.includeWorkers(fromChildren);
        children = startWorkerChildren({
          count: settings.workers - 1,
          entry: fileURLToPath(new URL('../../../bin/nightshift.js', import.meta.url)),
          args,
          env: { ...process.env, ...settingsEnv(settings) },
          log,
          onFork: (child) => fromChildren?.add(child),
        });
      }
      if (!flags.json)
        host.say(
          `nightshift serving ${roles.length} role(s) at ${daemon.url}${settings.workers > 1 ? ` with ${settings.workers} worker processes` : ''}`,
        );
      stop = (graceMs) => daemon.close(graceMs);
      await host.onListening?.(daemon.url, rt);
    }
  } catch (err) {
    // Start failed: the caller reports it and exits; a signal meanwhile takes its default action again.
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    throw err;
  }
  await new Promise<void>((resolve) => {
    let stoppingAt: number | undefined;
    // A --worker-only child whose parent died (SIGKILL, a crash) would otherwise work on alone, unseen and
    // never stopped: the IPC channel closing is how it learns, and it shuts down as on SIGTERM. The
    // listener holds the channel (and so the process) open: it is removed as shutdown begins.
    const onParentGone = () => onSignal('parent gone');
    onSignal = (signal: string) => {
      // A second SIGTERM/SIGINT (a supervisor that repeats it, Ctrl-C twice) within the grace period must
      // not kill the process mid-drain: its runs would stay `running` until their lease ran out and their
      // takeover would count as a crash. It is logged and the drain goes on. Once the grace period and the
      // hand-back after it (runs aborted, then put back on the queue, the runtime closed) are over, the drain
      // is stuck (a worker process that does not exit), and a repeat ends the process and its worker
      // processes at once, as the signal's default action would.
      if (stoppingAt !== undefined) {
        if (Date.now() - stoppingAt < settings.graceMs + HAND_BACK_MS) {
          log.info({ signal, graceMs: settings.graceMs }, 'already shutting down: the drain goes on');
          return;
        }
        log.warn({ signal, graceMs: settings.graceMs }, 'the drain outlasted its grace period: stopping now');
        // A worker process stuck in its own drain no longer listens for its parent going: ended here.
        children?.kill();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      stoppingAt = Date.now();
      process.off('disconnect', onParentGone);
      log.info({ signal, graceMs: settings.graceMs }, 'shutting down');
      Promise.all([stop(settings.graceMs), children?.stop()]).then(
        () => resolve(),
        () => resolve(),
      );
    };
    // Gone already (during startup), or watched from here on by the shutdown's own listener.
    const goneAlready = parent?.gone() === true || (parent !== undefined && !process.connected);
    parent?.stop();
    if (pendingSignal !== undefined) onSignal(pendingSignal);
    else if (goneAlready) onParentGone();
    else if (parent) process.once('disconnect', onParentGone);
  });
  // The listeners stay while the caller closes the runtime after this (runs handed back, the store closed):
  // a repeat signal then is judged as above.
}
