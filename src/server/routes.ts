// The daemon's endpoints. GET /healthz (the process answers), GET /readyz (store open, worker running),
// POST /events/<name> (a named event, to every role with that trigger), POST /hooks/<path> (a webhook,
// verified by its signature), POST /decisions/<kind>/<id> (a decision answered back over the webhook
// channel, signed), when metrics are on, GET /metrics (Prometheus), and with notifications set, the
// doors decisions come back through: POST /slack/interactions and the email confirm page (/decide).
// An accepted event is recorded in the store before the 202 answer, so it is never lost.
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/index.js';
import { consoleRoutes } from '../console/routes.js';
import { linkSecretProblem } from '../notifications/decision-links.js';
import {
  type NotificationSettings,
  notificationSecrets,
  type PersonSpec,
} from '../notifications/settings.js';
import type { Role } from '../roles/schema.js';
import { idempotencyKeyProblem } from '../runtime/idempotency-key.js';
import type { Runtime } from '../runtime.js';
import { secretNameForMessage } from '../secret-name.js';
import type { ServeMetrics } from '../telemetry/metrics/index.js';
import type { ChannelDoors } from './channel-doors.js';
import { decisionPageRoutes } from './decision-page.js';
import { decisionRoute } from './decision-route.js';
import { HttpError, parseJson, readBody, requireJsonContentType } from './http-body.js';
import { loginRoutes } from './login-routes.js';
import { mcpRoutes } from './mcp-route.js';
import { metricsRoute } from './metrics-route.js';
import { type Route, send } from './router.js';
import { slackInteractionsRoute } from './slack-interactions.js';
import { type DeliverToRole, webhookRoute } from './webhooks/route.js';

export interface RouteContext {
  runtime: Runtime;
  /** Every role served: those given and the managers serve added (decisions, the console, webhooks). */
  roles: Role[];
  /** The roles a client may start by name (/mcp): those serve was given, never a manager it added. */
  startable: readonly Role[];
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** The roles whose webhooks are served now (their active versions); default `roles`. */
  triggerRoles?: (() => readonly Role[]) | undefined;
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
  deliver: DeliverToRole;
  /** The origin people reach serve at (serve.publicUrl), accepted on form posts besides Host's. */
  publicOrigin?: string | undefined;
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
        // A bad key is refused before the body is read, as the API's header schema refuses it.
        const key = req.headers['idempotency-key'];
        const problem =
          typeof key === 'string' ? idempotencyKeyProblem(key, 'the Idempotency-Key header') : undefined;
        if (problem) throw new HttpError(400, problem);
        const input = parseJson(await readBody(req));
        const runs = await o.runtime.emit(name!, input, {
          idempotencyKey: typeof key === 'string' ? key : undefined,
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
    webhookRoute(o),
    decisionRoute(o),
    ...loginRoutes({ auth: o.auth, store: o.runtime.store, publicOrigin: o.publicOrigin }),
    ...mcpRoutes({ ...o, roles: o.startable }),
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
        `notifications: the secret ${secretNameForMessage(name)} is not set; decisions from that channel are refused`,
      );
  // Approve works without the bot token, Reject and Answer do not (their form is opened with views.open):
  // said at start, so the operator learns it before a person's click is refused (decision 063).
  const slackToken = settings.slack?.token;
  if (settings.slack && !(slackToken && doors.secrets.get(slackToken)))
    o.log.warn(
      slackToken ? { secret: slackToken } : {},
      `notifications: Slack has no bot token (notifications.slack.token ${slackToken ? `names ${secretNameForMessage(slackToken)}, which is not set` : 'is not configured'}); Approve works from Slack, but a Reject or Answer click decides nothing: the person is told the CLI command instead`,
    );
  const linkName = settings.email?.linkSecret;
  const linkValue = linkName ? doors.secrets.get(linkName) : undefined;
  const short = linkName && linkValue ? linkSecretProblem(linkName, linkValue) : undefined;
  if (short)
    o.log.error(
      { secret: linkName },
      `notifications: ${short}; emails are not sent and links are refused until it is`,
    );
  return [
    ...(settings.slack ? [slackInteractionsRoute(doors)] : []),
    ...(settings.email ? decisionPageRoutes(doors) : []),
  ];
}
