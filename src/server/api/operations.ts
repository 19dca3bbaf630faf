// Operating runs and reading the figures: cancel and resume (what `nightshift cancel` / `resume` call),
// sending an event (POST /events/<name>'s API twin), continuous agents and the queue (`status`), the
// figures of `stats` (same filters), and the audit log (keyset pages by entry id).
import { z } from 'zod';
import { exportedEntry } from '../../audit/read.js';
import { IdempotencyKey } from '../../runtime/idempotency-key.js';
import { computeStats } from '../../stats/report.js';
import { resolveVersionFilter } from '../../stats/version-filter.js';
import type { StatsFilter } from '../../store/types.js';
import type { ApiContext } from './context.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { type Operation, operation, recordAction } from './operation.js';
import { requireRun } from './runs.js';
import { CancelBody, EmptyBody, EventPayload } from './schemas/bodies.js';
import { cursor, limit, Next, when } from './schemas/common.js';
import { Agent, AuditEntry, Delivery, RoleStats, RunSummary } from './schemas/records.js';

export function operateOperations(ctx: ApiContext): Operation[] {
  const { runtime } = ctx;
  return [
    recordAction({
      id: 'cancelRun',
      path: '/runs/{runId}/cancel',
      param: 'runId',
      summary: 'Stop a run for good; nothing pending in it will run',
      scope: 'operate',
      body: CancelBody,
      answer: RunSummary,
      async handle({ caller, params, body }) {
        await requireRun(ctx, params.runId);
        return runtime.cancel(params.runId, {
          by: caller.name,
          ...(body.reason ? { reason: body.reason } : {}),
        });
      },
    }),
    recordAction({
      id: 'resumeRun',
      path: '/runs/{runId}/resume',
      param: 'runId',
      summary: 'Continue a run from its last persisted step (after a crash); answers where it stopped',
      scope: 'operate',
      body: EmptyBody,
      answer: RunSummary,
      async handle({ params }) {
        await requireRun(ctx, params.runId);
        return runtime.resume(params.runId);
      },
    }),
    operation({
      id: 'sendEvent',
      method: 'POST',
      path: '/events/{name}',
      summary: 'Send a named event to every role with that event trigger (an Idempotency-Key header dedupes)',
      scope: 'events:send',
      params: z.strictObject({ name: z.string().min(1).max(200) }),
      headers: z.object({
        'Idempotency-Key': IdempotencyKey.optional().describe(
          'Dedupes deliveries: the same key with the same payload answers the first runs (created: false); with another payload, 409 IDEMPOTENCY_KEY_REUSED. 1 to 200 visible ASCII characters (no spaces or control characters), else 400 BAD_REQUEST and nothing recorded',
        ),
      }),
      body: EventPayload,
      responses: {
        202: z.object({ event: z.string(), runs: z.array(Delivery) }).meta({ id: 'EventAccepted' }),
      },
      async handle({ caller, params, body, req }) {
        const key = req.headers['idempotency-key'];
        const runs = await runtime.emit(params.name, body, {
          // Checked against the header schema already (an empty or oversized key was refused).
          idempotencyKey: typeof key === 'string' ? key : undefined,
          actor: `api:${caller.name}`,
        });
        ctx.wake();
        return { status: 202, body: { event: params.name, runs } };
      },
    }),
    operation({
      id: 'listAgents',
      method: 'GET',
      path: '/agents',
      summary: 'Continuous agents (state, holder, heartbeat, restarts, inbox) and the queue',
      scope: 'runs:read',
      responses: {
        200: z
          .object({
            agents: z.array(Agent),
            queue: z.object({
              queued: z.number().int(),
              running: z.number().int(),
              failed: z.number().int(),
            }),
          })
          .meta({ id: 'Agents' }),
      },
      async handle() {
        const agents = await runtime.agents();
        const counts = await runtime.store.countRuns(['queued', 'running', 'failed']);
        const queue = {
          queued: counts.queued ?? 0,
          running: counts.running ?? 0,
          failed: counts.failed ?? 0,
        };
        return { status: 200, body: { agents, queue } };
      },
    }),
    operation({
      id: 'getStats',
      method: 'GET',
      path: '/stats',
      summary: 'The figures of `nightshift stats`, per role and version, with the same filters',
      scope: 'runs:read',
      query: z.strictObject({
        role: z.string().min(1).max(200).optional(),
        version: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .describe('a role version: its hash or a unique prefix'),
        since: when.optional(),
      }),
      responses: {
        200: z
          .object({
            filter: z.object({
              role: z.string().nullable(),
              version: z.string().nullable(),
              since: z.string().nullable(),
            }),
            groups: z.array(RoleStats),
          })
          .meta({ id: 'Stats' }),
      },
      async handle({ query }) {
        const filter: StatsFilter = {
          ...(query.role !== undefined ? { role: query.role } : {}),
          ...(query.version !== undefined ? { version: query.version } : {}),
          ...(query.since !== undefined ? { since: query.since } : {}),
        };
        return {
          status: 200,
          body: await computeStats(
            runtime.store,
            await resolveVersionFilter(runtime.store, filter, {
              version: 'query: version',
              role: 'the role parameter',
              // The versions that ran, each a group of this report: the ones a filter can find runs of.
              listed: 'GET /api/v1/stats without version lists the versions that ran, one group each',
            }),
          ),
        };
      },
    }),
    operation({
      id: 'listAudit',
      method: 'GET',
      path: '/audit',
      summary: 'The hash-chained audit log in entry order, paged (what `nightshift audit` exports)',
      scope: 'runs:read',
      query: z.strictObject({
        since: when.optional(),
        role: z.string().min(1).max(200).optional(),
        limit: limit(100, 1000),
        cursor,
      }),
      responses: {
        200: z.object({ entries: z.array(AuditEntry), next: Next }).meta({ id: 'AuditPage' }),
      },
      async handle({ query }) {
        const afterId = query.cursor ? decodeCursor('audit', query.cursor).id : 0;
        const rows = await runtime.store.readAuditChain({
          afterId,
          limit: query.limit,
          ...(query.since !== undefined ? { since: query.since } : {}),
          ...(query.role ? { role: query.role } : {}),
        });
        const last = rows[rows.length - 1];
        const next = rows.length === query.limit && last ? encodeCursor('audit', { id: last.id }) : null;
        return { status: 200, body: { entries: rows.map(exportedEntry), next } };
      },
    }),
  ];
}
