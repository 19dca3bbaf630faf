// The daemon's endpoints. GET /healthz (the process answers), GET /readyz (store open, worker running),
// POST /events/<name> (a named event, to every role with that trigger), POST /hooks/<path> (a webhook,
// verified by its signature), POST /decisions/<kind>/<id> (a decision answered back over the webhook
// channel, signed), when metrics are on, GET /metrics (Prometheus), and with notifications set, the
// doors decisions come back through: POST /slack/interactions and the email confirm page (/decide).
// An accepted event is recorded in the store before the 202 answer, so it is never lost.
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/index.js';
import { consoleRoutes } from '../console/routes.js';
import {
  type NotificationSettings,
  notificationSecrets,
  type PersonSpec,
} from '../notifications/settings.js';
import type { Role } from '../roles/schema.js';
import type { DeliverOptions, Delivery, Runtime } from '../runtime.js';
import type { ServeMetrics } from '../telemetry/metrics/index.js';
import { loadSecrets } from '../tools/secrets.js';
import type { ChannelDoors } from './channel-doors.js';
import { decisionPageRoutes } from './decision-page.js';
import { decisionRoute } from './decision-route.js';
import { HttpError, parseJson, readBody, requireJsonContentType } from './http-body.js';
import { loginRoutes } from './login-routes.js';
import { metricsRoute } from './metrics-route.js';
import { type Route, send } from './router.js';
import { slackInteractionsRoute } from './slack-interactions.js';
import { REPLAY_WINDOW_SECONDS, verifySignature } from './webhook-signature.js';

export interface RouteContext {
  runtime: Runtime;
  roles: Role[];
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Who is asking (src/auth/): every route but /healthz, /readyz and the self-verifying doors calls it first. */
  auth: Authenticator;
  /** Serve GET /metrics from these (off: no route). */
  metrics?: ServeMetrics | undefined;
  /** nightshift.config.yaml's `notifications:` and `people:`: the Slack and email doors (off: no routes). */
  notifications?: { settings: NotificationSettings; people: readonly PersonSpec[] } | undefined;
  /** The worker is running and hears about work queued elsewhere. */
  ready(): boolean;
  /** Tells this process's worker there is work (what was just recorded). */
  wake(): void;
  /** Delivers to one role (runtime.deliver) and wakes the worker. */
  deliver(
    role: Role,
    input: unknown,
    key: string | undefined,
    trigger: DeliverOptions['trigger'],
  ): Promise<Delivery>;
}

export function daemonRoutes(o: RouteContext): Route[] {
  return [
    { method: 'GET', path: /^\/healthz$/, handle: (_req, res) => send(res, 200, { ok: true }) },
    {
      method: 'GET',
      path: /^\/readyz$/,
      handle(_req, res) {
        // Not ready while the store cannot take writes (database unreachable, disk full): a load balancer
        // then sends events to a daemon that can record them.
        const health = o.runtime.store.health?.() ?? { ok: true };
        const now = o.ready() && health.ok;
        send(res, now ? 200 : 503, health.ok ? { ready: now } : { ready: now, store: health.code });
      },
    },
    {
      method: 'POST',
      path: /^\/events\/([^/]+)$/,
      async handle(req, res, [name]) {
        // Authenticated before the body is read: an anonymous client cannot make the daemon read 1 MB.
        const who = await o.auth.authenticate(req, { scope: 'events:send' });
        // Only declared JSON: a browser page cannot send that cross-site without a preflight.
        requireJsonContentType(req);
        const input = parseJson(await readBody(req));
        const key = req.headers['idempotency-key'];
        const runs = await o.runtime.emit(name!, input, {
          idempotencyKey: typeof key === 'string' && key ? key : undefined,
          actor: 'trigger:event',
        });
        o.wake();
        o.log.info(
          { event: name, by: `${who.kind}:${who.name}`, runs: runs.map((r) => r.runId ?? r.inboxId) },
          'event accepted',
        );
        send(res, 202, { event: name, runs });
      },
    },
    { method: 'POST', path: /^\/hooks\/([^/]+)$/, handle: webhook(o) },
    decisionRoute(o),
    ...loginRoutes({ auth: o.auth, store: o.runtime.store }),
    ...consoleRoutes(o),
    ...(o.metrics ? [metricsRoute(o.metrics, o.auth)] : []),
    ...channelRoutes(o),
  ];
}

function channelRoutes(o: RouteContext): Route[] {
  if (!o.notifications) return [];
  const { settings, people } = o.notifications;
  const doors: ChannelDoors = {
    runtime: o.runtime,
    roles: o.roles,
    env: o.env,
    log: o.log,
    settings,
    secrets: notificationSecrets(settings, o.env),
    people,
    wake: o.wake,
  };
  // Said once at start, loudly: until it is set, every decision through that door is refused (503).
  for (const name of [settings.slack?.signingSecret, settings.email?.linkSecret])
    if (name && !doors.secrets.get(name))
      o.log.error(
        { secret: name },
        `notifications: the secret ${name} is not set; decisions from that channel are refused`,
      );
  return [
    ...(settings.slack ? [slackInteractionsRoute(doors)] : []),
    ...(settings.email ? decisionPageRoutes(doors) : []),
  ];
}

/** POST /hooks/<path>: a delivery signed with the hook's secret, accepted once per signature. */
function webhook(o: RouteContext): Route['handle'] {
  const byHook = new Map<string, { role: Role; secret: string }>();
  for (const role of o.roles) {
    for (const t of role.triggers) {
      if ('webhook' in t) byHook.set(t.webhook.path, { role, secret: t.webhook.secret });
    }
  }
  return async (req, res, [path]) => {
    const target = byHook.get(path!);
    if (!target) throw new HttpError(404, `no webhook at /hooks/${path}`);
    // Any content type: a webhook is authenticated by its signature over the raw bytes, not by how
    // a browser would send it; the body must still be JSON (parsed once the signature holds).
    const body = await readBody(req);
    let secret: string | undefined;
    try {
      secret = loadSecrets(target.role, o.env).get(target.secret);
    } catch (err) {
      o.log.error({ hook: path, role: target.role.name, err: (err as Error).message }, 'webhook refused');
      throw new HttpError(503, `webhook secret ${target.secret} cannot be read on this worker`);
    }
    if (!secret) {
      o.log.warn(
        { hook: path, role: target.role.name, secret: target.secret },
        `webhook refused (503): its secret ${target.secret} is not set on this worker`,
      );
      throw new HttpError(503, `webhook secret ${target.secret} is not set on this worker`);
    }
    const now = Date.now();
    const check = verifySignature(
      req.headers['x-nightshift-signature'] as string | undefined,
      body,
      secret,
      now,
    );
    if (!check.ok) {
      o.log.warn({ hook: path, reason: check.reason }, 'webhook refused');
      throw new HttpError(401, check.reason);
    }
    // A signature is good once: a captured request replayed inside the window is refused too.
    if (
      !(await o.runtime.store.rememberSignature(check.signature, now, now - 2 * REPLAY_WINDOW_SECONDS * 1000))
    ) {
      o.log.warn({ hook: path }, 'webhook replay refused');
      throw new HttpError(401, 'this signature was already used (replay)');
    }
    const input = parseJson(body);
    const delivery = req.headers['x-nightshift-delivery'];
    const key = `webhook:${path}:${typeof delivery === 'string' && delivery ? delivery : check.signature}`;
    const run = await o.deliver(target.role, input, key, { kind: 'webhook', path: path! });
    o.log.info(
      { hook: path, role: target.role.name, runId: run.runId, inboxId: run.inboxId },
      'webhook accepted',
    );
    send(res, 202, run);
  };
}
