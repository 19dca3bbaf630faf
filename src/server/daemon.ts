// `nightshift serve`: the HTTP face of a worker. Events and verified webhooks become queued runs — recorded
// in the store before the 202 answer, so an accepted event is never lost — and the worker runs them.
// GET /healthz (the process answers), GET /readyz (store open, worker running).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { isNightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';
import type { Runtime, WorkHandle } from '../runtime.js';
import { loadSecrets } from '../tools/secrets.js';
import { startCronTriggers } from '../triggers/cron.js';
import {
  decodeSegment,
  HttpError,
  parseJson,
  readBody,
  requestUrl,
  requireJsonContentType,
} from './http-body.js';
import { logLifecycleEvent, logRunOutcome, logWorkerError, unverifiableHooks } from './run-log.js';
import { logStoreOutages, storeFailureAnswer } from './store-outage.js';
import { REPLAY_WINDOW_SECONDS, verifySignature } from './webhook-signature.js';

export interface DaemonOptions {
  runtime: Runtime;
  roles: Role[];
  host: string;
  port: number;
  concurrency: number;
  pollMs?: number;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

export interface Daemon {
  url: string;
  worker: WorkHandle;
  /** Stops taking work, lets running steps finish (up to graceMs), closes the server. */
  close(graceMs: number): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(body));
}

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const abort = new AbortController();
  let ready = false;
  const outages = logStoreOutages(o.runtime.store, o.log);
  const worker = o.runtime.work({
    roles: o.roles,
    concurrency: o.concurrency,
    pollMs: o.pollMs,
    signal: abort.signal,
    onError: (err, runId, role) => outages.absorbs(err) || logWorkerError(o.log, err, runId, role),
    onLifecycleEvent: (event) => logLifecycleEvent(o.log, event),
    onRunSettled: (run) => logRunOutcome(o.log, run),
  });

  const byHook = new Map<string, { role: Role; secret: string }>();
  for (const role of o.roles) {
    for (const t of role.triggers) {
      if ('webhook' in t) byHook.set(t.webhook.path, { role, secret: t.webhook.secret });
    }
  }
  // Said once at start, loudly: until the secret is set, every delivery to the hook is refused (503).
  for (const h of unverifiableHooks(o.roles, o.env))
    o.log.error(
      { hook: h.path, role: h.role, secret: h.secret, why: h.why },
      `webhook /hooks/${h.path} cannot verify deliveries: its secret ${h.secret} is not set; each will be refused with 503`,
    );

  async function deliver(
    role: Role,
    input: unknown,
    idempotencyKey: string | undefined,
    trigger: Record<string, unknown> & { kind: string },
  ) {
    const d = await o.runtime.deliver(role, input, { idempotencyKey, trigger });
    worker.wake();
    return d;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, { ok: true });
    if (req.method === 'GET' && url.pathname === '/readyz') {
      // Not ready while the store cannot take writes (database unreachable, disk full): a load balancer
      // then sends events to a daemon that can record them.
      const health = o.runtime.store.health?.() ?? { ok: true };
      const now = ready && health.ok;
      return send(res, now ? 200 : 503, health.ok ? { ready: now } : { ready: now, store: health.code });
    }
    const event = /^\/events\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'POST' && event) {
      const name = decodeSegment(event[1]!);
      // Only declared JSON: a browser page cannot send that cross-site without a preflight.
      requireJsonContentType(req);
      const input = parseJson(await readBody(req));
      const key = req.headers['idempotency-key'];
      const runs = await o.runtime.emit(name, input, {
        idempotencyKey: typeof key === 'string' && key ? key : undefined,
        actor: 'trigger:event',
      });
      worker.wake();
      o.log.info({ event: name, runs: runs.map((r) => r.runId ?? r.inboxId) }, 'event accepted');
      return send(res, 202, { event: name, runs });
    }
    const hook = /^\/hooks\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'POST' && hook) {
      const path = decodeSegment(hook[1]!);
      const target = byHook.get(path);
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
        !(await o.runtime.store.rememberSignature(
          check.signature,
          now,
          now - 2 * REPLAY_WINDOW_SECONDS * 1000,
        ))
      ) {
        o.log.warn({ hook: path }, 'webhook replay refused');
        throw new HttpError(401, 'this signature was already used (replay)');
      }
      const input = parseJson(body);
      const delivery = req.headers['x-nightshift-delivery'];
      const key = `webhook:${path}:${typeof delivery === 'string' && delivery ? delivery : check.signature}`;
      const run = await deliver(target.role, input, key, { kind: 'webhook', path });
      o.log.info(
        { hook: path, role: target.role.name, runId: run.runId, inboxId: run.inboxId },
        'webhook accepted',
      );
      return send(res, 202, run);
    }
    throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
  }

  const cron = startCronTriggers({
    roles: o.roles,
    busy: async (role) =>
      (await o.runtime.store.listRuns({ role: role.name, status: ['queued', 'running'], limit: 1 })).length >
      0,
    fire: async (role, tick, key) => {
      const run = await deliver(role, {}, key, { kind: 'cron', tick: tick.toISOString() });
      o.log.info(
        { role: role.name, tick: tick.toISOString(), runId: run.runId, inboxId: run.inboxId },
        'cron tick',
      );
    },
    onError: (err, role) =>
      outages.absorbs(err) ||
      o.log.error({ role: role.name, err: (err as Error).message }, 'cron tick failed'),
  });

  const server = createServer((req, res) => {
    route(req, res).catch((err) => {
      if (err instanceof HttpError) return send(res, err.status, { error: err.message }, err.close);
      if (isNightshiftError(err) && err.code === 'INPUT_INVALID')
        return send(res, 400, { error: err.message, code: err.code });
      const unavailable = storeFailureAnswer(err);
      if (unavailable) {
        if (!outages.absorbs(err)) o.log.error({ err: (err as Error).message }, 'request failed: store');
        res.setHeader('retry-after', '1');
        return send(res, unavailable.status, unavailable.body);
      }
      o.log.error({ err: (err as Error).message }, 'request failed');
      send(res, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // Ready (and announced) only once wake-ups from other processes reach this one.
  await worker.listening;
  ready = true;
  const url = `http://${o.host}:${port}`;
  o.log.info({ url, roles: o.roles.map((r) => r.name), concurrency: o.concurrency }, 'serving');
  return {
    url,
    worker,
    async close(graceMs) {
      ready = false;
      outages.stop();
      cron.stop();
      abort.abort();
      server.close();
      server.closeIdleConnections();
      // Running steps get the grace period to finish; after it the process may exit: leases expire and
      // another worker (or this one, restarted) continues the runs from their last commit.
      await Promise.race([worker.done, new Promise((r) => setTimeout(r, graceMs).unref())]);
      server.closeAllConnections();
    },
  };
}
