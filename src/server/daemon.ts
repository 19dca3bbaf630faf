// `nightshift serve`'s daemon: one process that runs the worker (server/worker.ts), fires the roles' cron
// triggers, and answers HTTP (server/routes.ts). Events, webhooks and cron ticks become queued runs or
// inbox items, recorded before they are acknowledged, that the worker then takes.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createAuthenticator } from '../auth/index.js';
import { NightshiftError } from '../errors.js';
import type { PeopleDirectory } from '../people/config.js';
import type { Role } from '../roles/schema.js';
import { doorDeliver } from '../runtime/door-deliver.js';
import type { DeliverOptions, Runtime, WorkHandle } from '../runtime.js';
import { secretNameForMessage } from '../secret-name.js';
import type { LogSecrets } from '../telemetry/logger.js';
import type { ServeMetrics } from '../telemetry/metrics/index.js';
import { startCronTriggers } from '../triggers/cron.js';
import { roleUnderWayAt } from '../triggers/under-way.js';
import type { VersionSource } from '../versions/config.js';
import { watchActiveRoles } from './active-roles.js';
import { type Api, type ApiContext, createApi } from './api/index.js';
import { answerFailure } from './failure-answer.js';
import { applyHttpLimits, HTTP_LIMITS, type HttpLimits, httpServerOptions } from './http-limits.js';
import { roleSecretValues } from './log-secrets.js';
import { startNotifier } from './notifier.js';
import { router } from './router.js';
import { daemonRoutes, type RouteContext } from './routes.js';
import { unverifiableHooks } from './run-log.js';
import { startLoggedWorker } from './worker.js';

export interface DaemonOptions {
  runtime: Runtime;
  /** The roles serve was given: served, and the only ones a client may start by name (/mcp runs.start). */
  roles: Role[];
  /**
   * The manager agents serve added for the roles' escalations: their runs are driven by the worker, and
   * their own triggers are served, but no client can start one (none is in /mcp's roles.list).
   */
  managers?: Role[] | undefined;
  host: string;
  port: number;
  concurrency: number;
  pollMs?: number;
  /** How long a run may meet only a busy database before that costs it an attempt (queue/worker.ts). */
  storeBusyLimitMs?: number;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** The secret values `log` scrubs: a role version that becomes active adds its own (and its specialists'). */
  logSecrets?: LogSecrets | undefined;
  /** How often the notifier passes tiers on and sends due notifications (default 1000 ms). */
  notifyMs?: number | undefined;
  /** GET /metrics, its gauges reading this daemon's worker (its observer is already on the runtime). */
  metrics?: ServeMetrics | undefined;
  /** The configured people (people: and groups: in nightshift.config.yaml): whose tokens are honoured. */
  people?: PeopleDirectory | undefined;
  /** Slack and email doors for decisions (nightshift.config.yaml `notifications:` and `people:`). */
  notifications?: RouteContext['notifications'];
  /** `versions.source`: `active` (default) serves each role's promoted version's triggers. */
  versionSource?: VersionSource | undefined;
  /** How often a promotion or rollback is looked for, to serve its triggers (default 1000 ms). */
  triggersMs?: number | undefined;
  /** Server-sent events' poll and heartbeat intervals (tests shorten them). */
  stream?: ApiContext['stream'];
  /** Slow-client timeouts and the connection limit (default HTTP_LIMITS). */
  http?: Partial<HttpLimits> | undefined;
  /** The origin people reach serve at (serve.publicUrl), accepted on form posts besides Host's. */
  publicOrigin?: string | undefined;
}

export interface Daemon {
  url: string;
  worker: WorkHandle;
  /** The /api/v1 operations, and the server-sent event streams open now. */
  api: Api;
  /** Stops taking work, lets running steps finish (up to graceMs), closes the server. */
  close(graceMs: number): Promise<void>;
}

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  let ready = false;
  // Everything this daemon runs: the roles given and their managers.
  const served = [...o.roles, ...(o.managers ?? [])];
  const worker = startLoggedWorker(o.runtime, { ...o, roles: served }, o.log);
  const { outages } = worker;
  const notifier = startNotifier(o.runtime, {
    env: o.env,
    log: o.log,
    intervalMs: o.notifyMs ?? 1000,
    metrics: o.metrics,
    channels: o.notifications,
    absorbs: (err) => outages.absorbs(err),
  });
  o.metrics?.attach({
    store: o.runtime.store,
    active: () => worker.handle.active(),
    slots: o.concurrency,
    agents: () => worker.handle.agents(),
  });

  // Said once at start, loudly: until the secret is set, every delivery to the hook is refused (503).
  for (const h of unverifiableHooks(served, o.env))
    o.log.error(
      { hook: h.path, role: h.role, secret: h.secret, why: h.why },
      `webhook /hooks/${h.path} cannot verify deliveries: its secret ${secretNameForMessage(h.secret)} is not set; each will be refused with 503`,
    );

  async function deliver(
    role: Role,
    input: unknown,
    idempotencyKey: string | undefined,
    trigger: DeliverOptions['trigger'],
    actor?: string,
  ) {
    const d = await doorDeliver(o.runtime)(role, input, { idempotencyKey, trigger, actor });
    worker.handle.wake();
    return d;
  }

  const startCron = (roles: readonly Role[]) =>
    startCronTriggers({
      roles: [...roles],
      // A continuous role's ticks go to its agent's inbox: while an item waits there (or is being
      // handled, or holds the inbox paused for a person) another tick would only pile up behind it.
      busy: async (role) =>
        role.mode === 'continuous'
          ? (await o.runtime.store.inboxDepth(role.name)) > 0
          : (await o.runtime.store.listRuns({ role: role.name, status: ['queued', 'running'], limit: 1 }))
              .length > 0,
      busyAt: (role, tick) => roleUnderWayAt(o.runtime.store, role.name, tick.getTime()),
      fire: async (role, tick, key, input) => {
        const run = await deliver(role, input, key, { kind: 'cron', tick: tick.toISOString() });
        o.log.info(
          { role: role.name, tick: tick.toISOString(), runId: run.runId, inboxId: run.inboxId },
          'cron tick',
        );
      },
      onSkip: (role, tick, late) =>
        o.log.info(
          { role: role.name, tick: tick.toISOString(), catchUp: late || undefined },
          late
            ? 'cron tick not caught up: the role was busy at the tick or is now (overlap: skip)'
            : role.mode === 'continuous'
              ? 'cron tick skipped: the agent has an event in its inbox (overlap: skip)'
              : 'cron tick skipped: a run of the role is queued or running (overlap: skip)',
        ),
      onError: (err, role) =>
        outages.absorbs(err) ||
        o.log.error({ role: role.name, err: (err as Error).message }, 'cron tick failed'),
    });
  // Webhooks and cron schedules of each role's active version, swapped when a promotion or rollback
  // changes it (server/active-roles.ts); runs already start on the active version.
  let cron: { stop(): void } | undefined;
  const active = await watchActiveRoles({
    store: o.runtime.store,
    roles: served,
    source: o.versionSource ?? 'active',
    intervalMs: o.triggersMs ?? 1000,
    onChange(roles) {
      // Before anything is logged for the new versions: their secrets may differ from the files' roles.
      o.logSecrets?.add(roleSecretValues(roles, o.env));
      cron?.stop();
      cron = startCron(roles);
      o.log.info(
        { roles: roles.map((r) => `${r.name}@${r.version}`) },
        'active versions changed: serving their triggers',
      );
    },
    onError: (err) =>
      outages.absorbs(err) ||
      o.log.error(
        { err: (err as Error).message },
        'could not read the active versions; serving the last known',
      ),
  });
  o.logSecrets?.add(roleSecretValues(active.current(), o.env));
  cron = startCron(active.current());

  const auth = createAuthenticator({ store: o.runtime.store, people: o.people });
  const api = createApi({
    runtime: o.runtime,
    roles: served,
    log: o.log,
    auth,
    wake: () => worker.handle.wake(),
    absorbs: outages.absorbs,
    ...(o.stream ? { stream: o.stream } : {}),
  });
  const route = router([
    ...daemonRoutes({
      runtime: o.runtime,
      roles: served,
      startable: o.roles,
      env: o.env,
      log: o.log,
      auth,
      triggerRoles: () => active.current(),
      metrics: o.metrics,
      notifications: o.notifications,
      ready: () => ready,
      wake: () => worker.handle.wake(),
      deliver,
      publicOrigin: o.publicOrigin,
    }),
    ...api.routes,
  ]);
  const limits: HttpLimits = { ...HTTP_LIMITS, ...o.http };
  const server = createServer(httpServerOptions(limits), (req, res) => {
    route(req, res).catch((err) => answerFailure(req, res, err, { log: o.log, absorbs: outages.absorbs }));
  });
  applyHttpLimits(server, limits);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => resolve());
    });
  } catch (err) {
    // Nothing may keep working behind a daemon that cannot be reached: the worker, the notifier, the
    // versions watch and cron would otherwise go on (and keep the process alive) after the error.
    active.stop();
    cron?.stop();
    await Promise.all([worker.stop(0), notifier.stop()]);
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'the port is in use (another nightshift serve, or another program; pick another with --port)'
        : code === 'EACCES'
          ? 'not permitted (a port below 1024 needs privileges)'
          : (err as Error).message;
    throw new NightshiftError('LISTEN_FAILED', `cannot listen on ${o.host}:${o.port}: ${why}`, {
      cause: err,
      details: { host: o.host, port: o.port, ...(code ? { errno: code } : {}) },
    });
  }
  const { port } = server.address() as AddressInfo;
  // Ready (and announced) only once wake-ups from other processes reach this one.
  await worker.handle.listening;
  ready = true;
  const url = `http://${o.host}:${port}`;
  o.log.info({ url, roles: served.map((r) => r.name), concurrency: o.concurrency }, 'serving');
  return {
    url,
    worker: worker.handle,
    api,
    async close(graceMs) {
      ready = false;
      active.stop();
      cron?.stop();
      // Event streams never end on their own while a run waits: end them so the server can close.
      api.streams.closeAll();
      const stopped = Promise.all([worker.stop(graceMs), notifier.stop()]);
      server.close();
      server.closeIdleConnections();
      // Running steps get the grace period to finish; after it the process may exit.
      await stopped;
      server.closeAllConnections();
    },
  };
}
