// The nightshift MCP server's tool contracts: each tool's input and output as zod schemas. The SDK turns
// them into the JSON Schemas clients see (inputSchema / outputSchema) and checks every call's arguments
// and every answer's structuredContent against them.
import { z } from 'zod';
import { IdempotencyKey } from '../runtime/idempotency-key.js';
import {
  Delivery,
  Escalation,
  RunStatusSchema as RunStatus,
  RunSummary,
} from '../server/api/schemas/records.js';
import { RunError } from '../steps/schema.js';

const Json = z.unknown();

/** How long runs.start waits for the run to finish or pause before answering with it still going. */
export const WAIT_SECONDS = { default: 30, max: 300 } as const;

export const RolesListInput = z.object({});
export const RolesListOutput = z.object({
  roles: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      version: z.string(),
      autonomy: z.string(),
      mode: z.enum(['job', 'continuous']),
      model: z.string(),
      /** The JSON Schema runs.start checks the input against; null: any JSON. */
      input: Json.describe('JSON Schema of the run input, or null for any JSON'),
      output: Json.describe('JSON Schema of the run output, or null'),
      /** Named events that start the role (events.send). */
      events: z.array(z.string()),
      /** Whether runs.start takes it (a continuous role takes events through its inbox instead). */
      startable: z.boolean(),
    }),
  ),
});

export const RunsStartInput = z.object({
  role: z.string().min(1).describe('the role name, as roles.list gives it'),
  input: Json.optional().describe("the run input: JSON matching the role's input schema (default {})"),
  idempotencyKey: IdempotencyKey.optional().describe(
    'a repeated start with the same key returns the first run instead of a second one (1 to 200 visible ASCII characters)',
  ),
  waitSeconds: z
    .number()
    .int()
    .min(0)
    .max(WAIT_SECONDS.max)
    .optional()
    .describe(
      `how long to wait for the run to finish or pause (default ${WAIT_SECONDS.default}); after that it goes on and runs.get reads it`,
    ),
});

// The run summary and the inbox's escalations are the HTTP API's records (one definition,
// src/server/api/schemas/records.ts). Their fields are spread or picked into fresh objects, so the JSON
// Schemas clients see stay self-contained (a schema with a registered id would become a `$ref`).
const RunSummaryShape = {
  ...RunSummary.shape,
  // Open to more fields than the API names: an error's extra details must not fail a client's check.
  error: RunError.loose().optional(),
};
export const RunSummarySchema = z.object(RunSummaryShape);

export const RunsStartOutput = z.object({
  ...RunSummaryShape,
  /** False when the run is still going (queued or running) as the answer is sent. */
  settled: z.boolean(),
  /** What to do next, in words, for the agent that called. */
  next: z.string(),
});

export const RunsGetInput = z.object({
  runId: z.string().min(1),
  steps: z.boolean().optional().describe('include every step of the run (default true)'),
});
export const RunsGetOutput = z.object({
  ...RunSummaryShape,
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  input: Json,
  parentRunId: z.string().nullable(),
  children: z.array(z.object({ runId: z.string(), role: z.string(), status: RunStatus })),
  steps: z.number().int(),
  stepLog: z
    .array(z.object({ seq: z.number().int(), at: z.string(), kind: z.string(), data: Json }))
    .optional(),
  log: z.string().describe('the resource that holds the run log as text'),
});

export const RunsListInput = z.object({
  role: z.string().min(1).optional(),
  status: z.array(RunStatus).min(1).optional().describe('only runs in one of these statuses'),
  parentRunId: z.string().min(1).optional().describe('only the child runs this run delegated'),
  limit: z.number().int().min(1).max(200).optional().describe('at most this many, newest first (default 20)'),
});
export const RunsListOutput = z.object({
  runs: z.array(
    z.object({
      runId: z.string(),
      role: z.string(),
      status: RunStatus,
      createdAt: z.string(),
      updatedAt: z.string(),
      costUsd: z.number(),
      error: z.object({ code: z.string(), message: z.string() }).nullable(),
    }),
  ),
});

export const InboxListInput = z.object({
  role: z.string().min(1).optional().describe('only what waits in runs of this role'),
});
export const InboxListOutput = z.object({
  approvals: z.array(
    z.object({
      id: z.string(),
      runId: z.string(),
      role: z.string(),
      requestedAt: z.string(),
      calls: z.array(z.object({ tool: z.string(), args: Json, effect: z.string(), reason: z.string() })),
    }),
  ),
  escalations: z.array(
    Escalation.pick({
      id: true,
      runId: true,
      role: true,
      category: true,
      reason: true,
      missing: true,
      source: true,
    }).extend({ createdAt: z.string() }),
  ),
  /** Said once: what waits here is decided by people, never through this server. */
  note: z.string(),
});

export const EventsSendInput = z.object({
  event: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^/\s]+$/, 'an event name without slashes or spaces'),
  payload: Json.optional().describe('the event payload (default {})'),
  idempotencyKey: IdempotencyKey.optional().describe(
    'a repeated event with the same key records nothing new (1 to 200 visible ASCII characters)',
  ),
});
export const EventsSendOutput = z.object({
  event: z.string(),
  runs: z.array(z.object(Delivery.shape)),
  note: z.string(),
});

export type RunsStartInput = z.infer<typeof RunsStartInput>;
export type RunsStartOutput = z.infer<typeof RunsStartOutput>;
export type RunsGetInput = z.infer<typeof RunsGetInput>;
export type RunsListInput = z.infer<typeof RunsListInput>;
export type InboxListInput = z.infer<typeof InboxListInput>;
export type EventsSendInput = z.infer<typeof EventsSendInput>;
