// POST /hooks/<path>: a delivery verified with its trigger's scheme over the raw bytes, before the body is
// parsed or anything is recorded; accepted once per signature (within the scheme's window) and one run
// per delivery (the same delivery again answers with the same run). Refusals are
// `{ error: { code, message } }` and record nothing.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { isNightshiftError } from '../../errors.js';
import type { Role } from '../../roles/schema.js';
import type { WebhookTrigger } from '../../roles/settings.js';
import type { DeliverOptions, Delivery } from '../../runtime.js';
import { secretNameForMessage } from '../../secret-name.js';
import type { WebhookReplay } from '../../store/interfaces.js';
import { loadSecrets } from '../../tools/secrets.js';
import { apiErrorAnswer } from '../api/errors.js';
import { HttpError, parseJson, readBody } from '../http-body.js';
import { type Route, send } from '../router.js';
import { REPLAY_WINDOW_SECONDS } from '../webhook-signature.js';
import { github } from './github.js';
import { nightshift } from './nightshift.js';
import { signatureRefusal, WebhookRefusal } from './refusal.js';
import type { WebhookScheme } from './scheme.js';
import { slack } from './slack.js';
import { standard } from './standard.js';
import { stripe } from './stripe.js';

const SCHEMES: Record<WebhookTrigger['scheme'], WebhookScheme> = {
  nightshift,
  github,
  stripe,
  slack,
  standard,
};

/** What the route needs of the daemon (server/routes.ts's RouteContext has it). */
export interface WebhookDoor {
  runtime: { store: WebhookReplay };
  roles: Role[];
  /** The roles whose webhooks are served now (their active versions: server/active-roles.ts); default `roles`. */
  triggerRoles?: (() => readonly Role[]) | undefined;
  env: NodeJS.ProcessEnv;
  log: Logger;
  deliver: DeliverToRole;
}

/**
 * Delivers to one role (runtime.deliver) under an idempotency key, and wakes the worker. `actor`: who the
 * audit log names as the run's creator (MCP's `mcp:<caller>`); without it, `trigger:<kind>`.
 */
export type DeliverToRole = (
  role: Role,
  input: unknown,
  key: string | undefined,
  trigger: DeliverOptions['trigger'],
  actor?: string,
) => Promise<Delivery>;

type HookTable = Map<string, { role: Role; hook: WebhookTrigger }>;

function hookTable(roles: readonly Role[]): HookTable {
  const byHook: HookTable = new Map();
  for (const role of roles)
    for (const t of role.triggers) if ('webhook' in t) byHook.set(t.webhook.path, { role, hook: t.webhook });
  return byHook;
}

export function webhookRoute(o: WebhookDoor): Route {
  const rolesNow = o.triggerRoles ?? (() => o.roles);
  // Rebuilt only when the list changes (a promotion or rollback hands over a new one).
  let built: { roles: readonly Role[]; table: HookTable } | undefined;
  const hooks = (): HookTable => {
    const roles = rolesNow();
    if (built?.roles !== roles) built = { roles, table: hookTable(roles) };
    return built.table;
  };
  return {
    method: 'POST',
    path: /^\/hooks\/([^/]+)$/,
    async handle(req, res, [path]) {
      try {
        const target = hooks().get(path!);
        if (!target) throw new WebhookRefusal(404, 'WEBHOOK_NOT_FOUND', `no webhook at /hooks/${path}`);
        const answer = await accept(o, target.role, target.hook, req.headers, await readBody(req));
        send(res, answer.status, answer.body);
      } catch (err) {
        refuse(o.log, res, path!, err);
      }
    },
  };
}

async function accept(
  o: WebhookDoor,
  role: Role,
  hook: WebhookTrigger,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Promise<{ status: number; body: unknown }> {
  const { path } = hook;
  const scheme = SCHEMES[hook.scheme];
  const settings = { secret: secretOf(o, role, hook), toleranceSeconds: hook.toleranceSeconds };
  const unusable = scheme.secretProblem?.(settings.secret);
  if (unusable) {
    // Our configuration, not the sender's fault: said as loudly as an unset secret.
    o.log.error(
      { hook: path, role: role.name, secret: hook.secret },
      `webhook refused: ${hook.secret} ${unusable}`,
    );
    throw new WebhookRefusal(503, 'WEBHOOK_SECRET_UNAVAILABLE', `webhook secret ${hook.secret} ${unusable}`);
  }
  const now = Date.now();
  // The raw bytes are checked before they are parsed: nothing of an unauthenticated body is interpreted.
  const check = scheme.verify(headers, body, settings, now);
  if (!check.ok) throw signatureRefusal(check.problem, check.reason);
  const payload = parseJson(body);
  const handshake = scheme.handshake?.(headers, payload);
  if (handshake !== undefined) {
    o.log.info({ hook: path, role: role.name, scheme: hook.scheme }, 'webhook handshake answered');
    return { status: 200, body: handshake };
  }
  const who = scheme.identify(headers, payload, check.signature);
  if (typeof who === 'string') throw new WebhookRefusal(400, 'WEBHOOK_BODY_INVALID', who);
  const window = scheme.window(settings);
  // A signature is good once: a captured request replayed inside the window is refused (past the window
  // its timestamp is). Remembered only once the body is known good, so a refusal writes nothing. It is
  // remembered until its timestamp goes stale (`at` = that moment), so the pruning every door does
  // (entries older than 10 min) cannot forget it early, however long the trigger's tolerance.
  // Claimed before the delivery (an atomic insert), so two identical requests at once cannot both pass
  // (for nightshift's scheme the delivery header is unsigned: only this stops a captured request from
  // starting a second run under another delivery id). A delivery that then fails on our side (a 5xx: the
  // store unavailable) is forgotten again, so the sender's byte-identical retry is not taken for a replay.
  let remembered: string | undefined;
  if (window !== undefined) {
    const signature = hook.scheme === 'nightshift' ? check.signature : `${hook.scheme}:${check.signature}`;
    const staleAt = (check.timestamp + window) * 1000;
    if (
      !(await o.runtime.store.rememberSignature(signature, staleAt, now - 2 * REPLAY_WINDOW_SECONDS * 1000))
    )
      throw new WebhookRefusal(401, 'WEBHOOK_REPLAYED', 'this signature was already used (a replay)');
    remembered = signature;
  }
  const key =
    hook.scheme === 'nightshift'
      ? `webhook:${path}:${who.dedupeKey}`
      : `webhook:${path}:${hook.scheme}:${who.dedupeKey}`;
  const trigger = {
    kind: 'webhook',
    path,
    scheme: hook.scheme,
    deliveryId: who.deliveryId,
    ...(who.event === undefined ? {} : { event: who.event }),
  };
  const input =
    hook.input === 'envelope'
      ? { scheme: hook.scheme, event: who.event ?? null, deliveryId: who.deliveryId, payload }
      : payload;
  let run: Delivery;
  try {
    run = await o.deliver(role, input, key, trigger);
  } catch (err) {
    const first = who.deliveryId !== who.dedupeKey ? firstDelivery(err, role.name) : undefined;
    if (first === undefined) {
      if (remembered !== undefined && failedOnOurSide(err))
        await forgetUnlessRecorded(o, remembered, key, path);
      throw err;
    }
    run = first;
  }
  o.log.info(
    {
      hook: path,
      role: role.name,
      scheme: hook.scheme,
      runId: run.runId,
      inboxId: run.inboxId,
      created: run.created,
    },
    'webhook accepted',
  );
  return { status: 202, body: { ...run, deliveryId: who.deliveryId } };
}

/**
 * The first delivery, when `err` says the key was used with another input and the key is the signed body
 * itself (GitHub's signature): the same signed bytes are the same delivery, so the input can differ only
 * by what the sender does not sign — the delivery id `input: envelope` carries, which a redelivery may
 * change. Answered as a redelivery (`created: false`), not 409.
 */
function firstDelivery(err: unknown, role: string): Delivery | undefined {
  if (!isNightshiftError(err) || err.code !== 'IDEMPOTENCY_KEY_REUSED') return undefined;
  const { runId, inboxId, status, role: of } = (err.details ?? {}) as Record<string, unknown>;
  if (typeof status !== 'string') return undefined;
  if (typeof runId === 'string' && of === role) return { role, runId, status, created: false };
  if (typeof inboxId === 'string') return { role, inboxId, status, created: false };
  return undefined;
}

/** Whether `err` is answered 5xx (nothing the sender did; its retry deserves another try), not a 4xx. */
function failedOnOurSide(err: unknown): boolean {
  if (err instanceof WebhookRefusal || err instanceof HttpError) return err.status >= 500;
  const answer = apiErrorAnswer(err);
  return answer === undefined || answer.status >= 500;
}

/**
 * Forgets a claimed signature after its delivery failed, unless the delivery was recorded all the same:
 * a failure can come after the write committed (a reply lost on the way back from Postgres, a client
 * query timeout after COMMIT), and forgetting then would make a captured request good for a second run
 * (nightshift's delivery header is unsigned, so a replay under another delivery id is another key). So
 * the signature is forgotten only when nothing is found under the delivery's key; when that cannot be
 * told (the store is down for the lookup too) it stays remembered, as it does when the forgetting
 * fails. Either way the sender's retry is then refused as a replay (logged here, so an operator can see
 * why): for a recorded delivery nothing is lost, the run or inbox item is there.
 */
async function forgetUnlessRecorded(
  o: WebhookDoor,
  signature: string,
  key: string,
  path: string,
): Promise<void> {
  let recorded: Awaited<ReturnType<WebhookReplay['recordedUnder']>>;
  try {
    recorded = await o.runtime.store.recordedUnder(key);
  } catch (err) {
    o.log.error(
      { hook: path, err: (err as Error).message },
      'webhook delivery failed and whether it was recorded cannot be read: its signature stays remembered, a retry of it will be refused as a replay',
    );
    return;
  }
  if (recorded) {
    o.log.warn(
      { hook: path, ...recorded },
      'webhook delivery was recorded but its answer failed: its signature stays remembered, a retry of it will be refused as a replay',
    );
    return;
  }
  try {
    await o.runtime.store.forgetSignature(signature);
  } catch (err) {
    o.log.error(
      { hook: path, err: (err as Error).message },
      'webhook delivery failed and its signature could not be forgotten: a retry of it will be refused as a replay',
    );
  }
}

/** The hook's secret; unreadable or unset here, every delivery is refused (503): nothing can be verified. */
function secretOf(o: WebhookDoor, role: Role, hook: WebhookTrigger): string {
  let secret: string | undefined;
  try {
    secret = loadSecrets(role, o.env).get(hook.secret);
  } catch (err) {
    o.log.error({ hook: hook.path, role: role.name, err: (err as Error).message }, 'webhook refused');
    throw new WebhookRefusal(
      503,
      'WEBHOOK_SECRET_UNAVAILABLE',
      `webhook secret ${hook.secret} cannot be read on this worker`,
    );
  }
  if (!secret) {
    o.log.warn(
      { hook: hook.path, role: role.name, secret: hook.secret },
      `webhook refused (503): its secret ${secretNameForMessage(hook.secret)} is not set on this worker`,
    );
    throw new WebhookRefusal(
      503,
      'WEBHOOK_SECRET_UNAVAILABLE',
      `webhook secret ${secretNameForMessage(hook.secret)} is not set on this worker`,
    );
  }
  return secret;
}

/** Answers a refusal as `{ error: { code, message } }`; anything else (a store outage) goes to the daemon. */
function refuse(log: Logger, res: ServerResponse, path: string, err: unknown): void {
  let refusal: WebhookRefusal | undefined;
  if (err instanceof WebhookRefusal) refusal = err;
  else if (err instanceof HttpError)
    refusal = new WebhookRefusal(
      err.status,
      err.status === 413 ? 'WEBHOOK_BODY_TOO_LARGE' : 'WEBHOOK_BODY_INVALID',
      err.message,
      err.close,
    );
  else if (isNightshiftError(err) && err.code === 'INPUT_INVALID')
    refusal = new WebhookRefusal(400, 'INPUT_INVALID', err.message);
  if (!refusal) throw err;
  if (refusal.status === 401)
    log.warn({ hook: path, code: refusal.code, reason: refusal.message }, 'webhook refused');
  send(res, refusal.status, { error: { code: refusal.code, message: refusal.message } }, refusal.close);
}
