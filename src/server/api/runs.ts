// GET /runs (filters, keyset pages), /runs/{runId} (detail), /runs/{runId}/steps and /runs/{runId}/children:
// the reads `nightshift runs` and `nightshift show` make, through the same runtime calls.
import { z } from 'zod';
import { summarizeRun } from '../../delegation/waiting-children.js';
import { idNotFound } from '../../id-kinds.js';
import type { RunFilter, RunRecord, RunStatus } from '../../store/types.js';
import type { ApiContext } from './context.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { apiDoor } from './not-found.js';
import { type Operation, operation } from './operation.js';
import { cursor, id, limit, Next, when, wholeQuery } from './schemas/common.js';
import { Approval, Escalation, Run, RunStatusSchema, RunSummary, Step, ToolCall } from './schemas/records.js';

const RunPage = z.object({ runs: z.array(Run), next: Next }).meta({ id: 'RunPage' });
const RunParams = z.strictObject({ runId: id });

const statuses = z
  .string()
  .transform((text) => text.split(','))
  .pipe(z.array(RunStatusSchema).min(1))
  .describe('One status or several, comma-separated');

const RunsQuery = z.strictObject({
  role: z.string().min(1).max(200).optional(),
  status: statuses.optional(),
  since: when.optional().describe('Runs created at or after this'),
  until: when.optional().describe('Runs created before this'),
  parent: id.optional().describe('Only the child runs of this run'),
  limit: limit(50, 500),
  cursor,
});

/** A run's existence checked by one indexed read: 404 RUN_NOT_FOUND otherwise. */
export async function requireRun(ctx: ApiContext, runId: string): Promise<RunRecord> {
  const run = await ctx.runtime.store.getRun(runId);
  if (!run) throw idNotFound(runId, 'run', apiDoor);
  return run;
}

/**
 * How a listing of runs reads its cursor and writes the next one: `/runs` with a `runs` cursor, a run's
 * children with a `children` cursor naming that run, so neither listing takes the other's (docs/api.md).
 */
interface Paging {
  read(text: string): { at: number; id: string };
  next(position: { at: number; id: string }): string;
}

const allRuns: Paging = {
  read: (text) => decodeCursor('runs', text),
  next: (position) => encodeCursor('runs', position),
};

function childrenOf(parent: string): Paging {
  return {
    read(text) {
      const { at, id } = decodeCursor('children', text, (v) =>
        v.parent === parent ? undefined : "made for another run's children",
      );
      return { at, id };
    },
    next: (position) => encodeCursor('children', { ...position, parent }),
  };
}

/** One page of runs, newest first; `next` when a full page came back. */
async function runPage(
  ctx: ApiContext,
  filter: RunFilter,
  size: number,
  after: string | undefined,
  paging: Paging = allRuns,
) {
  const runs = await ctx.runtime.list({
    ...filter,
    ...(after ? { after: paging.read(after) } : {}),
    limit: size,
  });
  const last = runs[runs.length - 1];
  return {
    runs,
    next: runs.length === size && last ? paging.next({ at: last.createdAt, id: last.id }) : null,
  };
}

export function runOperations(ctx: ApiContext): Operation[] {
  return [
    operation({
      id: 'listRuns',
      method: 'GET',
      path: '/runs',
      summary: 'Runs, newest first, filtered by role, status, creation time and parent; paged by cursor',
      scope: 'runs:read',
      query: RunsQuery,
      responses: { 200: RunPage },
      async handle({ query: q }) {
        const filter: RunFilter = {
          ...(q.role ? { role: q.role } : {}),
          ...(q.status ? { status: q.status as RunStatus[] } : {}),
          ...(q.since !== undefined ? { createdSince: q.since } : {}),
          ...(q.until !== undefined ? { createdUntil: q.until } : {}),
          ...(q.parent ? { parentRunId: q.parent } : {}),
        };
        return { status: 200, body: await runPage(ctx, filter, q.limit, q.cursor) };
      },
    }),
    operation({
      id: 'getRun',
      method: 'GET',
      path: '/runs/{runId}',
      summary: 'One run: its record, summary, tool calls, approvals, escalations and parent',
      scope: 'runs:read',
      params: RunParams,
      responses: {
        200: z
          .object({
            run: Run,
            summary: RunSummary,
            toolCalls: z.array(ToolCall),
            approvals: z.array(Approval),
            escalations: z.array(Escalation),
            parent: z.object({ runId: z.string(), callKey: z.string().nullable() }).nullable(),
          })
          .meta({ id: 'RunDetail' }),
      },
      async handle({ params }) {
        const snapshot = await ctx.runtime.get(params.runId);
        if (!snapshot) throw idNotFound(params.runId, 'run', apiDoor);
        const { run } = snapshot;
        return {
          status: 200,
          body: {
            run,
            summary: await summarizeRun(ctx.runtime.store, snapshot),
            toolCalls: snapshot.toolCalls,
            approvals: snapshot.approvals,
            escalations: snapshot.escalations,
            parent: run.parentRunId ? { runId: run.parentRunId, callKey: run.parentCallKey ?? null } : null,
          },
        };
      },
    }),
    operation({
      id: 'listRunSteps',
      method: 'GET',
      path: '/runs/{runId}/steps',
      summary: "A run's steps in order, after a seq",
      scope: 'runs:read',
      params: RunParams,
      query: z.strictObject({
        after: wholeQuery(0, Number.POSITIVE_INFINITY).default(0).describe('Steps with a larger seq'),
        limit: limit(500, 1000),
      }),
      responses: {
        200: z
          .object({
            steps: z.array(Step),
            next: z.number().int().nullable().describe('Pass as `after` for the next page; null on the last'),
          })
          .meta({ id: 'StepPage' }),
      },
      async handle({ params, query }) {
        const snapshot = await ctx.runtime.get(params.runId);
        if (!snapshot) throw idNotFound(params.runId, 'run', apiDoor);
        const later = snapshot.steps.filter((s) => s.seq > query.after);
        const steps = later.slice(0, query.limit);
        const next = later.length > query.limit ? steps[steps.length - 1]!.seq : null;
        return { status: 200, body: { steps, next } };
      },
    }),
    operation({
      id: 'listChildRuns',
      method: 'GET',
      path: '/runs/{runId}/children',
      summary: 'The runs this run delegated to specialists, newest first',
      scope: 'runs:read',
      params: RunParams,
      query: z.strictObject({ limit: limit(50, 500), cursor }),
      responses: { 200: RunPage },
      async handle({ params, query }) {
        await requireRun(ctx, params.runId);
        return {
          status: 200,
          body: await runPage(
            ctx,
            { parentRunId: params.runId },
            query.limit,
            query.cursor,
            childrenOf(params.runId),
          ),
        };
      },
    }),
  ];
}
