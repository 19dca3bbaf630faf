// The commit observer behind the metrics: turns each committed batch's typed steps into counter and
// histogram updates. Everything comes from the step log (and the run patch committed with it), except
// when a queued run was first taken, which the tap reports from the claim (commit-tap.ts `claimed`).
//
// A few figures need a step from an earlier batch: a tool call's start (its duration ends at
// tool_finished) and the run's cumulative usage (its cost ends at run_finished). Those are kept in
// bounded maps, seeded at the claim, so a run resumed here after another process drove it still has
// its cost; a tool call started by another process has no duration here (its outcome still counts).
import { STEP_ENUMS } from '../../steps/schema.js';
import type { RunStep } from '../../steps/types.js';
import type { RunRecord } from '../../store/types.js';
import { boundedSet } from '../bounded-map.js';
import type { CommitObserver, CommittedBatch } from '../commit-tap.js';
import type { CommitMetrics } from './definitions.js';
import { firstSeenCodeLabel, knownLabel } from './labels.js';

/** Past this many tool calls or runs in flight remembered, the oldest are forgotten. */
const MAX_REMEMBERED = 10_000;

export interface MetricsLabelSets {
  /** The roles served: any other role is "other". */
  roles: Iterable<string>;
  /** The tools those roles may call: any other tool name is "other". */
  tools: Iterable<string>;
  /** Model providers (`anthropic`, `openai`, `script`, …). */
  providers: Iterable<string>;
}

export function metricsObserver(m: CommitMetrics, sets: MetricsLabelSets): CommitObserver {
  const role = knownLabel(sets.roles);
  const tool = knownLabel(sets.tools);
  const provider = knownLabel(sets.providers);
  const category = knownLabel(STEP_ENUMS.CATEGORIES);
  const source = knownLabel(STEP_ENUMS.SOURCES);
  const errorCode = firstSeenCodeLabel(50);
  const commitCode = firstSeenCodeLabel(20);
  /** Tool call key -> when it was claimed (ms). */
  const toolStarts = new Map<string, number>();
  /** Run id -> its cumulative cost so far (USD). */
  const runCosts = new Map<string, number>();

  function step(r: string, runId: string, s: RunStep, c: CommittedBatch): void {
    switch (s.kind) {
      case 'run_started':
        if (c.created) m.runsStarted.inc([r]);
        return;
      case 'model_turn': {
        const u = s.data.usage;
        m.modelTurns.observe([r, provider(s.data.provider)], s.data.latencyMs / 1000);
        if (u.inputTokens) m.tokens.inc([r, 'input'], u.inputTokens);
        if (u.outputTokens) m.tokens.inc([r, 'output'], u.outputTokens);
        if (u.cachedInputTokens) m.tokens.inc([r, 'cached_input'], u.cachedInputTokens);
        if (u.costUsd) m.cost.inc([r], u.costUsd);
        return;
      }
      case 'decision':
        m.toolDecisions.inc([r, tool(s.data.tool), s.data.decision]);
        return;
      case 'tool_started':
        boundedSet(toolStarts, s.data.key, s.at, MAX_REMEMBERED);
        return;
      case 'tool_finished': {
        const t = tool(s.data.tool);
        const outcome = s.data.stopped ? 'stopped' : s.data.ok ? 'succeeded' : 'failed';
        m.toolCalls.inc([r, t, outcome]);
        const started = toolStarts.get(s.data.key);
        if (started !== undefined) {
          toolStarts.delete(s.data.key);
          m.toolDuration.observe([r, t], Math.max(0, s.at - started) / 1000);
        }
        return;
      }
      case 'escalation_raised':
        m.escalations.inc([r, category(s.data.category), source(s.data.source)]);
        return;
      case 'escalation_answered':
        m.escalationsAnswered.inc([r, category(s.data.category)]);
        return;
      case 'approval_requested':
        m.approvalsRequested.inc([r]);
        return;
      case 'approval_decided':
        m.approvalsDecided.inc([r, s.data.decision]);
        return;
      case 'run_resumed':
        m.runsResumed.inc([r]);
        return;
      case 'run_retry_scheduled':
        m.runRetries.inc([r]);
        return;
      case 'run_finished': {
        const status = s.data.status;
        const code = s.data.error ? errorCode(s.data.error.code) : 'none';
        m.runsFinished.inc([r, status, code]);
        const activeMs = c.batch.run?.activeMs;
        if (activeMs !== undefined) m.runDuration.observe([r, status], activeMs / 1000);
        const cost = runCosts.get(runId);
        if (cost !== undefined) m.runCost.observe([r], cost);
        runCosts.delete(runId);
        return;
      }
      default:
        return;
    }
  }

  return {
    committed(c) {
      m.commitDuration.observe([], c.commitMs / 1000);
      const runId = c.batch.runId;
      const usage = c.batch.run?.usage;
      if (usage) boundedSet(runCosts, runId, usage.costUsd, MAX_REMEMBERED);
      else if (c.created) boundedSet(runCosts, runId, 0, MAX_REMEMBERED);
      if (c.steps.length === 0) return;
      const r = role(c.run?.role);
      for (const s of c.steps) step(r, runId, s, c);
    },
    failed(_runId, err) {
      const code = (err as { code?: unknown } | null)?.code;
      m.commitFailures.inc([commitCode(typeof code === 'string' ? code : undefined)]);
    },
    claimed(runs: readonly RunRecord[], now: number) {
      for (const run of runs) {
        if (!runCosts.has(run.id)) boundedSet(runCosts, run.id, run.usage.costUsd, MAX_REMEMBERED);
        // The first acquisition of a queued run: its epoch went from 0 to 1 (a takeover or a retry is later).
        if (run.leaseEpoch === 1)
          m.startDelay.observe([role(run.role)], Math.max(0, now - run.createdAt) / 1000);
      }
    },
  };
}
