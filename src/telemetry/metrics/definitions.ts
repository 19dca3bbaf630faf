// Every metric `serve` exposes from what the store committed (the scrape-time gauges are in gauges.ts).
// Names and units follow Prometheus conventions: the nightshift_ prefix, base units (seconds, USD,
// tokens), _total on counters. docs/observability.md ("Prometheus metrics") lists them for operators.

import type { Registry } from 'prom-client';
import { roundUsd } from '../../money.js';
import { CounterFamily, HistogramFamily } from './series.js';

/** Bucket bounds, in the metric's unit. */
const BUCKETS = {
  /** A run's active time: a scripted run takes milliseconds, a real one minutes. */
  runSeconds: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
  modelTurnSeconds: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  toolSeconds: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300],
  runCostUsd: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50],
  startDelaySeconds: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800],
  commitSeconds: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
};

export type CommitMetrics = ReturnType<typeof defineCommitMetrics>;

export function defineCommitMetrics(registry: Registry) {
  const counter = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    shown?: (v: number) => number,
  ) => new CounterFamily<L>(name, help, labelNames, registry, shown);
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
    shown?: (v: number) => number,
  ) => new HistogramFamily<L>(name, help, labelNames, buckets, registry, shown);
  return {
    runsStarted: counter('nightshift_runs_started_total', 'Runs created (queued or started).', ['role']),
    runsFinished: counter(
      'nightshift_runs_finished_total',
      'Runs finished, by status and error code ("none" when it succeeded).',
      ['role', 'status', 'error_code'],
    ),
    runDuration: histogram(
      'nightshift_run_duration_seconds',
      "A finished run's active time (executing; time paused for a human excluded).",
      ['role', 'status'],
      BUCKETS.runSeconds,
    ),
    runCost: histogram(
      'nightshift_run_cost_usd',
      "A finished run's model cost in USD (the cost per task).",
      ['role'],
      BUCKETS.runCostUsd,
      roundUsd,
    ),
    runRetries: counter('nightshift_run_retries_total', 'Runs queued again for a retry.', ['role']),
    runsResumed: counter(
      'nightshift_runs_resumed_total',
      'Runs picked up again after they got somewhere (run_resumed steps): a takeover, a retry, an answer.',
      ['role'],
    ),
    startDelay: histogram(
      'nightshift_run_start_delay_seconds',
      'From a run being queued to a worker first taking it.',
      ['role'],
      BUCKETS.startDelaySeconds,
    ),
    modelTurns: histogram(
      'nightshift_model_turn_duration_seconds',
      "A model turn's latency (an executor's whole session counts as one turn).",
      ['role', 'provider'],
      BUCKETS.modelTurnSeconds,
    ),
    tokens: counter('nightshift_tokens_total', 'Model tokens, by direction (input, output, cached_input).', [
      'role',
      'direction',
    ]),
    // Money is shown to the nano-dollar, as `stats` shows it (src/money.ts).
    cost: counter('nightshift_cost_usd_total', 'Model cost in USD.', ['role'], roundUsd),
    toolDecisions: counter(
      'nightshift_tool_decisions_total',
      "The policy's decisions on tool calls: allow, draft, escalate, deny.",
      ['role', 'tool', 'decision'],
    ),
    toolCalls: counter(
      'nightshift_tool_calls_total',
      'Tool calls that ran, by outcome: succeeded, failed, stopped (lease lost or budget).',
      ['role', 'tool', 'outcome'],
    ),
    toolDuration: histogram(
      'nightshift_tool_call_duration_seconds',
      'From a tool call being claimed to its result being committed.',
      ['role', 'tool'],
      BUCKETS.toolSeconds,
    ),
    escalations: counter('nightshift_escalations_total', 'Escalations raised, by category and source.', [
      'role',
      'category',
      'source',
    ]),
    escalationsAnswered: counter(
      'nightshift_escalations_answered_total',
      'Escalations answered (committed by this process).',
      ['role', 'category'],
    ),
    approvalsRequested: counter(
      'nightshift_approvals_requested_total',
      'Change sets (drafts) put to a human.',
      ['role'],
    ),
    approvalsDecided: counter(
      'nightshift_approvals_decided_total',
      'Change sets approved or rejected (committed by this process).',
      ['role', 'decision'],
    ),
    commitDuration: histogram(
      'nightshift_store_commit_duration_seconds',
      'How long the store took to accept a batch (a group commit shares one transaction).',
      [],
      BUCKETS.commitSeconds,
    ),
    commitFailures: counter(
      'nightshift_store_commit_failures_total',
      'Writes the store refused (a conflict) or could not make (an outage), by error code.',
      ['code'],
    ),
  };
}
