// The data of each step kind, as zod schemas: what the engine writes (the types in types.ts are derived
// from these) and what a row read back from a store must match before the engine rebuilds a run from it.
//
// Old rows must keep reading: every field a past version did not write is optional here (noted "since"),
// and a field is never removed or narrowed. Extra fields are allowed (the row keeps them; they are not
// read). The fixture archive test/fixtures/runs/ holds runs written by earlier versions to check this.
//
// Only zod and the domain vocabulary (src/domain.ts, which imports nothing) are imported at run time, so
// this module stays free of the role and policy code. The escalation sources are the store's own list,
// checked against its type by test/steps/read.test.ts.
import { z } from 'zod';
import { AUTONOMY_LEVELS as AUTONOMY, ESCALATION_CATEGORIES as CATEGORIES, DECISIONS } from '../domain.js';
import type { EscalationSource, StepKind } from '../store/types.js';

const SOURCES = [
  'model',
  'tool_rule',
  'result_rule',
  'input_rule',
  'budget',
  'unknown_outcome',
  'agent_failures',
] as const satisfies readonly EscalationSource[];
/** The enums the schemas use, for the test that keeps them equal to the domain and store types. */
export const STEP_ENUMS = { AUTONOMY, DECISIONS, CATEGORIES, SOURCES };

/** A run's token and cost counters (also the HTTP API's, src/server/api/schemas/records.ts). */
export const Usage = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  cachedInputTokens: z.number(),
  costUsd: z.number(),
});
/** A run's error as stored (also the HTTP API's). */
export const RunError = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  /** Whether a job-mode retry may succeed (NightshiftError.retryable); since issue 11. */
  retryable: z.boolean().optional(),
});
/**
 * Where a run's output went when it succeeded (a role's `emit` events, runtime.ts); without `event`, the
 * HTTP API's Delivery.
 */
export const Emitted = z.object({
  event: z.string(),
  role: z.string(),
  runId: z.string().optional(),
  inboxId: z.string().optional(),
  status: z.string(),
  created: z.boolean(),
  error: z.string().optional(),
});

export const STEP_DATA = {
  run_started: z.object({
    input: z.unknown(),
    /** The model spec the run uses. */
    model: z.string(),
    autonomy: z.enum(AUTONOMY),
    roleVersion: z.string(),
    /** What started the run (manual, cron, event, webhook); since d33667a. */
    trigger: z.record(z.string(), z.unknown()).optional(),
    /** Queued for workers (`serve`) rather than driven by the process that started it; since issue 12. */
    queued: z.boolean().optional(),
  }),
  model_turn: z.object({
    text: z.string(),
    calls: z.array(z.object({ id: z.string(), tool: z.string(), args: z.unknown() })),
    usage: Usage,
    model: z.string(),
    provider: z.string(),
    modelId: z.string(),
    stopReason: z.enum(['end', 'tool_calls', 'max_tokens', 'refusal', 'other']),
    latencyMs: z.number(),
    /** The lease owner that took the turn (`host/pid/id`); since 18aca7f, not on executor sessions. */
    worker: z.string().optional(),
    /** Set when the turn is an executor's whole session (claude-code, codex); since 0dfd47a. */
    executor: z.string().optional(),
    /** Model turns the executor's session took. */
    sessionTurns: z.number().optional(),
    /** A continuous agent's session: the CLI thread it ran in, and whether it continued the stored one. */
    thread: z.object({ id: z.string(), resumed: z.boolean() }).optional(),
  }),
  decision: z.object({
    /** The call's ledger key; null for an executor's request, decided before it has one. */
    key: z.string().nullable(),
    tool: z.string(),
    decision: z.enum(DECISIONS),
    reason: z.string(),
    rule: z.object({ index: z.number(), category: z.enum(CATEGORIES) }).optional(),
    /** Executor requests only: the CLI's id and tool name for the request. */
    callId: z.string().optional(),
    executor: z.string().optional(),
    executorTool: z.string().optional(),
  }),
  tool_started: z.object({ key: z.string(), tool: z.string() }),
  tool_finished: z.object({
    key: z.string(),
    tool: z.string(),
    ok: z.boolean(),
    /** Why the call was stopped before it answered; since db4e9aa. */
    stopped: z.enum(['lease', 'budget']).optional(),
    /** A delegation's child run, its model turns and cost (counted against this run's budget); since 023. */
    childRunId: z.string().optional(),
    childTurns: z.number().optional(),
    childCostUsd: z.number().optional(),
  }),
  child_started: z.object({
    key: z.string(),
    childRunId: z.string(),
    role: z.string(),
    autonomy: z.enum(AUTONOMY),
  }),
  child_waiting: z.object({
    key: z.string(),
    childRunId: z.string(),
    status: z.enum(['escalated', 'awaiting_approval']),
  }),
  /** A child waiting for a place among its specialist's `concurrency` runs (a kind older logs lack). */
  child_queued: z.object({
    key: z.string(),
    childRunId: z.string(),
    role: z.string(),
    concurrency: z.number(),
  }),
  approval_requested: z.object({ approvalId: z.string(), callKeys: z.array(z.string()) }),
  approval_decided: z.object({
    approvalId: z.string(),
    decision: z.enum(['approved', 'rejected']),
    by: z.string(),
    /** The approver's note, or the rejection's reason. */
    note: z.string().nullable(),
  }),
  escalation_raised: z.object({
    escalationId: z.string(),
    category: z.enum(CATEGORIES),
    reason: z.string(),
    source: z.enum(SOURCES),
    callKey: z.string().nullable(),
  }),
  escalation_answered: z.object({
    escalationId: z.string(),
    category: z.enum(CATEGORIES),
    answer: z.string(),
    by: z.string(),
    callKey: z.string().nullable(),
    allowCall: z.boolean(),
    /** A result rule's escalation answered so that the model does not see the result; since issue 12. */
    withheldResult: z.boolean().optional(),
    /** A manager agent's decision (answer, allow or deny) rather than a person's answer; since issue 12. */
    decision: z.enum(['answer', 'allow', 'deny']).optional(),
  }),
  /** The escalation went on along its path (docs/escalation.md); since issue 12. */
  escalation_hop: z.object({
    escalationId: z.string(),
    /** `manager`: a manager agent's run started on it; `humans`: it now waits for people. */
    to: z.enum(['manager', 'humans']),
    /** Who passed it on: `policy` (the role's path), or the manager (`manager:<role>/<run id>`). */
    by: z.string(),
    why: z.string(),
    /** The manager's role and run, for a hop to a manager. */
    manager: z.string().optional(),
    managerRunId: z.string().optional(),
  }),
  /**
   * A drafted change set went on along its path, for a role whose manager approves drafts
   * (`manager.approveDrafts`, decision 029); since issue 12.
   */
  approval_hop: z.object({
    approvalId: z.string(),
    /** `manager`: a manager agent's run started on it; `humans`: it now waits for people. */
    to: z.enum(['manager', 'humans']),
    /** Who passed it on: `policy` (the role's path), or the manager (`manager:<role>/<run id>`). */
    by: z.string(),
    why: z.string(),
    manager: z.string().optional(),
    managerRunId: z.string().optional(),
  }),
  output_invalid: z.object({ errors: z.array(z.string()), text: z.string() }),
  budget_exceeded: z.object({
    dimension: z.enum(['steps', 'cost', 'seconds', 'cost_per_day']),
    limit: z.number(),
    used: z.number(),
    /** The model call in flight when time ran out was stopped; since b94e675. */
    stopped: z.literal('model_turn').optional(),
    /** Calls claimed but not started, put back to pending; since db4e9aa. */
    unclaimed: z.array(z.string()).optional(),
    /** The stopped model call was waiting to retry a failed attempt (models/types.ts RetryWait); since stop 37 (2026-12-03). */
    waitingToRetry: z
      .object({
        provider: z.string(),
        status: z.number().optional(),
        providerErrorType: z.string().optional(),
        waitMs: z.number(),
        retryAfter: z.boolean(),
        attempts: z.number(),
      })
      .optional(),
  }),
  run_resumed: z.object({
    owner: z.string(),
    /** The lease epoch the resuming worker holds; since db4e9aa. */
    epoch: z.number().optional(),
  }),
  /** A worker retry after a transient error (notBefore, error), or a failed run reopened (why). */
  run_retry_scheduled: z.object({
    attempt: z.number(),
    nextAttempt: z.number(),
    notBefore: z.number().optional(),
    error: RunError.optional(),
    why: z.string().optional(),
  }),
  run_finished: z.object({
    status: z.enum(['succeeded', 'failed', 'cancelled']),
    output: z.unknown(),
    error: RunError.nullable(),
    /** Where the output went (the role's `emit` events); since 754cd3b. */
    emitted: z.array(Emitted).optional(),
    /** Cancelled while a worker was executing it: that worker's lease owner; since 8bed23a. */
    interrupted: z.string().optional(),
  }),
  /** An executor began a session; a second one means the first was cut off. */
  executor_started: z.object({
    executor: z.string(),
    spec: z.string(),
    attempt: z.number(),
    note: z.string().optional(),
    /** A continuous agent's session: the stored thread it is to continue (null: the agent's first). */
    thread: z.object({ resume: z.string().nullable() }).optional(),
  }),
  /** One event of an executor's session (a message, a tool use, its result). */
  executor_event: z.object({
    executor: z.string(),
    /** The CLI's event type, e.g. `assistant`, `tool_result`. */
    type: z.string(),
    text: z.string().optional(),
    tool: z.string().optional(),
    input: z.unknown().optional(),
    isError: z.boolean().optional(),
    usage: Usage.optional(),
  }),
  tier_passed: z.object({
    decisionId: z.string(),
    kind: z.enum(['approval', 'escalation']),
    from: z.number(),
    /** The tier now asked; null: that was the last tier, and the run stays paused for whoever answers. */
    to: z.number().nullable(),
    /** Who the new tier notified. */
    people: z.array(z.string()),
  }),
} satisfies Record<StepKind, z.ZodType>;
