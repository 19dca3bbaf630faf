// The API's response shapes for the runtime's records, as zod schemas: what the OpenAPI document
// describes and what tests validate real answers against. They follow the store's records field for
// field (src/store/records/); a field added there is added here, or the OpenAPI test fails.
import { z } from 'zod';
import { AUTONOMY_LEVELS, RUN_STATUSES } from '../../../domain.js';
import { Emitted, RunError as ErrorInfo, Usage } from '../../../steps/schema.js';

const millis = z.number().int().describe('Unix epoch milliseconds');

export const RunStatusSchema = z.enum(RUN_STATUSES as unknown as [string, ...string[]]);

export const Run = z
  .object({
    id: z.string(),
    role: z.string(),
    roleVersion: z.string(),
    model: z.string(),
    status: RunStatusSchema,
    input: z.unknown(),
    output: z.unknown(),
    error: ErrorInfo.nullable(),
    seq: z.number().int(),
    turns: z.number().int(),
    usage: Usage,
    activeMs: z.number(),
    grant: z.object({ steps: z.number(), costUsd: z.number(), seconds: z.number() }),
    idempotencyKey: z.string().nullable(),
    leaseOwner: z.string().nullable(),
    leaseUntil: millis.nullable(),
    leaseEpoch: z.number().int(),
    attempt: z.number().int(),
    notBefore: millis.nullable(),
    createdAt: millis,
    updatedAt: millis,
    finishedAt: millis.nullable(),
    parentRunId: z.string().nullable().optional(),
    parentCallKey: z.string().nullable().optional(),
    autonomyCap: z.enum(AUTONOMY_LEVELS).nullable().optional(),
  })
  .meta({ id: 'Run', description: 'A run as the store keeps it.' });

/** What a decision, cancel or resume returns: where the run then is (the CLI's `--json` run summary). */
export const RunSummary = z
  .object({
    runId: z.string(),
    role: z.string(),
    roleVersion: z.string(),
    model: z.string(),
    status: RunStatusSchema,
    output: z.unknown(),
    pending: z
      .array(z.string())
      .describe('Ids of the run’s pending approvals, then those of the specialists’ runs it waits on'),
    escalations: z.array(
      z.object({
        id: z.string(),
        runId: z
          .string()
          .describe('The run the escalation belongs to: this run, or a specialist’s run it waits on'),
        category: z.string(),
        reason: z.string(),
        source: z.string(),
        status: z.string(),
        answer: z.string().nullable(),
      }),
    ),
    steps: z.number().int().describe('Model turns taken'),
    usage: Usage,
    error: ErrorInfo.optional(),
  })
  .meta({ id: 'RunSummary' });

export const Step = z
  .object({
    runId: z.string(),
    seq: z.number().int(),
    kind: z.string(),
    at: millis,
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Step', description: 'One committed step of a run; `data` depends on `kind`.' });

export const ToolCall = z
  .object({
    key: z.string(),
    runId: z.string(),
    step: z.number().int(),
    index: z.number().int(),
    callId: z.string(),
    tool: z.string(),
    args: z.unknown(),
    argsHash: z.string(),
    decision: z.string(),
    reason: z.string(),
    status: z.string(),
    result: z.unknown(),
    isError: z.boolean(),
    approvalId: z.string().nullable(),
    escalationId: z.string().nullable(),
    startedAt: millis.nullable(),
    finishedAt: millis.nullable(),
  })
  .meta({ id: 'ToolCall' });

export const Approval = z
  .object({
    id: z.string(),
    runId: z.string(),
    role: z.string(),
    roleVersion: z.string(),
    autonomy: z.enum(AUTONOMY_LEVELS),
    status: z.enum(['pending', 'approved', 'rejected', 'cancelled']),
    callKeys: z.array(z.string()),
    changeSetHash: z.string().describe('Send it back with approve to bind the decision to what you saw'),
    calls: z.array(
      z.object({
        key: z.string(),
        tool: z.string(),
        args: z.unknown(),
        effect: z.string(),
        reason: z.string(),
      }),
    ),
    requestedAt: millis,
    decidedAt: millis.nullable(),
    decidedBy: z.string().nullable(),
    note: z.string().nullable(),
  })
  .meta({ id: 'Approval', description: 'A drafted change set.' });

export const Escalation = z
  .object({
    id: z.string(),
    runId: z.string(),
    role: z.string(),
    category: z.string(),
    reason: z.string(),
    missing: z.string().nullable(),
    source: z.string(),
    callKey: z.string().nullable(),
    context: z.record(z.string(), z.unknown()),
    status: z.enum(['pending', 'answered', 'cancelled']),
    answer: z.string().nullable(),
    answeredBy: z.string().nullable(),
    answeredAt: millis.nullable(),
    allowCall: z.boolean(),
    createdAt: millis,
  })
  .meta({ id: 'Escalation' });

export const ChainLink = z
  .object({ runId: z.string(), role: z.string(), callKey: z.string().optional() })
  .meta({ id: 'ChainLink', description: 'One run of a delegation chain, outermost first.' });

export const Agent = z
  .object({
    role: z.string(),
    status: z.string(),
    owner: z.string().nullable(),
    heartbeatAt: millis.nullable(),
    leaseUntil: millis.nullable(),
    live: z.boolean(),
    restarts: z.number().int(),
    takeovers: z.number().int(),
    failures: z.number().int(),
    inbox: z.number().int(),
    runId: z.string().nullable(),
    lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
    escalationId: z.string().nullable(),
    context: z.unknown(),
  })
  .meta({ id: 'Agent', description: 'A continuous agent, as `nightshift status` shows it.' });

export const AuditEntry = z
  .object({
    id: z.number().int(),
    at: z.string().describe('ISO 8601'),
    actor: z.string(),
    action: z.string(),
    runId: z.string().nullable(),
    target: z.string().nullable(),
    data: z.unknown(),
    prevHash: z.string().nullable(),
    hash: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry', description: 'One hash-chained audit entry, as `nightshift audit` exports it.' });

/** Where an event went: one role's run or inbox item (a run's `emitted` step entries, less the event). */
export const Delivery = Emitted.omit({ event: true }).meta({ id: 'Delivery' });

const Percentiles = z.object({
  count: z.number().int(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
});

/** The `nightshift stats --json` entry of one role version (its nested counters are open maps). */
export const RoleStats = z
  .object({
    role: z.string(),
    roleVersion: z.string(),
    runs: z.looseObject({
      total: z.number().int(),
      byStatus: z.record(z.string(), z.number()),
      finished: z.number().int(),
      successRate: z.number().nullable(),
      failureRate: z.number().nullable(),
    }),
    latency: z.object({ queueWaitMs: Percentiles, durationMs: Percentiles, activeMs: Percentiles }),
    toolCalls: z.looseObject({ total: z.number().int() }),
    cost: z.looseObject({ totalUsd: z.number() }),
    escalations: z.looseObject({ total: z.number().int(), rate: z.number().nullable() }),
    approvals: z.looseObject({ total: z.number().int() }),
  })
  .meta({ id: 'RoleStats' });
