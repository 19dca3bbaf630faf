// Which spans a committed batch makes, as plain descriptions (the exporter's types stay in exporter.ts).
// Each span is built from steps the store accepted, with the steps' own times: a model turn ends at its
// step's `at` and started `latencyMs` before; a tool call runs from its claim (the ledger's startedAt) to
// its tool_finished step; a human decision spans the wait, from the request to the answer. A span's id
// comes from (run id, step seq), so the process that commits a step is the only one that emits its span,
// and a run resumed elsewhere continues the same trace (ids.ts).
import type { AttributeValue } from '@opentelemetry/api';
import type { RunStep } from '../../steps/types.js';
import type { ToolCallRecord } from '../../store/types.js';
import { boundedSet } from '../bounded-map.js';
import type { CommittedBatch, TappedRun } from '../commit-tap.js';
import { GEN_AI, NIGHTSHIFT } from './attributes.js';
import { rootSpanIdFor, stepSpanIdFor, traceIdFor } from './ids.js';

export type Attributes = Record<string, AttributeValue>;

export interface SpanSpec {
  traceId: string;
  spanId: string;
  /** Absent on the root span (the run). */
  parentSpanId?: string;
  name: string;
  /** A model turn is a call out to a provider; the rest happen here. */
  kind: 'client' | 'internal';
  startMs: number;
  endMs: number;
  attributes: Attributes;
  /** Set when the span's work failed: the status message. */
  error?: string;
}

export interface SpanOptions {
  /** Export prompt and output content (model text, tool arguments and results). Off by default. */
  captureContent: boolean;
}

/** The step kinds that make a span or inform one; the others (executor events, …) are skipped. */
const TRACED = new Set<RunStep['kind']>([
  'run_started',
  'model_turn',
  'decision',
  'tool_started',
  'tool_finished',
  'approval_decided',
  'escalation_answered',
  'run_finished',
]);

/** Beyond this many, the oldest remembered tool starts / autonomies are forgotten. */
const MAX_REMEMBERED = 10_000;

/** What every span of one committed batch shares. */
interface SpanContext {
  c: CommittedBatch;
  runId: string;
  common: Attributes;
  calls: Map<string, ToolCallRecord>;
  ids: { traceId: string; parentSpanId: string };
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** The seq of the model turn that asked for the call whose ledger key is `<runId>:<step>:<index>`. */
function turnOfKey(key: string): number | undefined {
  const parts = key.split(':');
  const step = Number(parts.at(-2));
  return Number.isInteger(step) ? step : undefined;
}

/**
 * Turns committed batches into spans. Holds only what makes spans richer when seen in this process (a
 * call's start when its ledger record is not in the finishing batch, a run's autonomy from its first
 * step); nothing it holds is needed for a span to be emitted with the right ids and times.
 */
export class SpanBuilder {
  private readonly toolStarts = new Map<string, number>();
  private readonly autonomy = new Map<string, string>();

  constructor(private readonly options: SpanOptions) {}

  spansOf(c: CommittedBatch): SpanSpec[] {
    const runId = c.batch.runId;
    const out: SpanSpec[] = [];
    // Built at the first step that makes a span: most batches (a claim, a tool start) make none, and the
    // ids are sha256 digests.
    let at: SpanContext | undefined;
    for (const step of c.steps) {
      if (!TRACED.has(step.kind) || this.noted(step, runId)) continue;
      at ??= {
        c,
        runId,
        common: this.commonAttributes(runId, c.run),
        calls: new Map((c.batch.toolCalls ?? []).map((t) => [t.key, t])),
        ids: { traceId: traceIdFor(runId), parentSpanId: rootSpanIdFor(runId) },
      };
      const span = this.spanOf(step, at);
      if (span) out.push(span);
    }
    return out;
  }

  /** Steps that make no span but enrich later ones: remembered here; true when `step` is one. */
  private noted(step: RunStep, runId: string): boolean {
    if (step.kind === 'run_started') boundedSet(this.autonomy, runId, step.data.autonomy, MAX_REMEMBERED);
    else if (step.kind === 'tool_started')
      boundedSet(this.toolStarts, step.data.key, step.at, MAX_REMEMBERED);
    else return false;
    return true;
  }

  private commonAttributes(runId: string, run: TappedRun | undefined): Attributes {
    const a: Attributes = { [NIGHTSHIFT.runId]: runId };
    if (run) {
      a[NIGHTSHIFT.role] = run.role;
      a[NIGHTSHIFT.roleVersion] = run.roleVersion;
    }
    const autonomy = this.autonomy.get(runId);
    if (autonomy) a[NIGHTSHIFT.autonomy] = autonomy;
    return a;
  }

  private spanOf(step: RunStep, at: SpanContext): SpanSpec | undefined {
    const { runId, common, calls, c } = at;
    const base = { ...at.ids, spanId: stepSpanIdFor(runId, step.seq), kind: 'internal' as const };
    const withStep = { ...common, [NIGHTSHIFT.step]: step.seq };
    const capture = this.options.captureContent;
    switch (step.kind) {
      case 'model_turn': {
        const d = step.data;
        const attributes: Attributes = {
          ...withStep,
          [GEN_AI.operationName]: 'chat',
          [GEN_AI.providerName]: d.provider,
          [GEN_AI.requestModel]: d.modelId,
          [GEN_AI.responseModel]: d.modelId,
          [GEN_AI.finishReasons]: [d.stopReason],
          [GEN_AI.inputTokens]: d.usage.inputTokens,
          [GEN_AI.outputTokens]: d.usage.outputTokens,
          [NIGHTSHIFT.costUsd]: d.usage.costUsd,
        };
        if (d.executor) attributes[NIGHTSHIFT.executor] = d.executor;
        if (capture) attributes[GEN_AI.outputMessages] = json([outputMessage(d.text, d.calls)]);
        return {
          ...base,
          kind: 'client',
          name: `chat ${d.modelId}`,
          startMs: step.at - d.latencyMs,
          endMs: step.at,
          attributes,
        };
      }
      case 'decision': {
        const d = step.data;
        const call = d.key ? calls.get(d.key) : undefined;
        const callId = call?.callId ?? d.callId;
        const attributes: Attributes = {
          ...withStep,
          [GEN_AI.toolName]: d.tool,
          [NIGHTSHIFT.decision]: d.decision,
          [NIGHTSHIFT.decisionReason]: d.reason,
        };
        if (callId) attributes[GEN_AI.toolCallId] = callId;
        if (d.rule) attributes[NIGHTSHIFT.ruleCategory] = d.rule.category;
        return { ...base, name: `policy ${d.tool}`, startMs: step.at, endMs: step.at, attributes };
      }
      case 'tool_finished': {
        const d = step.data;
        const call = calls.get(d.key);
        const started = call?.startedAt ?? this.toolStarts.get(d.key) ?? step.at;
        this.toolStarts.delete(d.key);
        const attributes: Attributes = {
          ...withStep,
          [GEN_AI.operationName]: 'execute_tool',
          [GEN_AI.toolName]: d.tool,
        };
        if (call) attributes[GEN_AI.toolCallId] = call.callId;
        if (d.stopped) attributes[NIGHTSHIFT.toolStopped] = d.stopped;
        if (capture && call) {
          attributes[GEN_AI.toolCallArguments] = json(call.args);
          attributes[GEN_AI.toolCallResult] = json(call.result);
        }
        const turn = turnOfKey(d.key);
        if (turn !== undefined) attributes[NIGHTSHIFT.modelTurnStep] = turn;
        return {
          ...base,
          name: `execute_tool ${d.tool}`,
          startMs: Math.min(started, step.at),
          endMs: step.at,
          attributes,
          ...(d.ok ? {} : { error: d.stopped ? `stopped: ${d.stopped}` : 'tool call failed' }),
        };
      }
      case 'approval_decided': {
        const d = step.data;
        const record = c.batch.approvals?.find((a) => a.record.id === d.approvalId)?.record;
        const attributes: Attributes = {
          ...withStep,
          [NIGHTSHIFT.decision]: d.decision,
          [NIGHTSHIFT.decidedBy]: d.by,
          [NIGHTSHIFT.approvalId]: d.approvalId,
        };
        if (record) attributes[NIGHTSHIFT.autonomy] = record.autonomy;
        if (capture && d.note !== null) attributes[NIGHTSHIFT.decisionReason] = d.note;
        const from = record?.requestedAt ?? step.at;
        return {
          ...base,
          name: 'approval_decided',
          startMs: Math.min(from, step.at),
          endMs: step.at,
          attributes,
        };
      }
      case 'escalation_answered': {
        const d = step.data;
        const record = c.batch.escalations?.find((e) => e.record.id === d.escalationId)?.record;
        const attributes: Attributes = {
          ...withStep,
          [NIGHTSHIFT.decision]: d.allowCall ? 'allow_call' : 'answered',
          [NIGHTSHIFT.decidedBy]: d.by,
          [NIGHTSHIFT.escalationId]: d.escalationId,
          [NIGHTSHIFT.escalationCategory]: d.category,
        };
        if (capture) attributes[NIGHTSHIFT.decisionReason] = d.answer;
        const from = record?.createdAt ?? step.at;
        return {
          ...base,
          name: 'escalation_answered',
          startMs: Math.min(from, step.at),
          endMs: step.at,
          attributes,
        };
      }
      case 'run_finished':
        this.autonomy.delete(runId);
        return this.rootSpan(step as RunStep<'run_finished'>, c, common, at.ids.traceId);
      default:
        return undefined;
    }
  }

  /** The run itself: emitted once, by the process that commits its end (a paused run has none yet). */
  private rootSpan(
    step: RunStep<'run_finished'>,
    c: CommittedBatch,
    common: Attributes,
    traceId: string,
  ): SpanSpec {
    const runId = c.batch.runId;
    const d = step.data;
    const attributes: Attributes = {
      ...common,
      [GEN_AI.operationName]: 'invoke_agent',
      [NIGHTSHIFT.runStatus]: d.status,
    };
    if (c.run) attributes[GEN_AI.agentName] = c.run.role;
    // The run's totals: this batch's, else the last known (an end without a turn carries none).
    const usage = c.batch.run?.usage ?? c.run?.usage;
    if (usage) {
      attributes[GEN_AI.inputTokens] = usage.inputTokens;
      attributes[GEN_AI.outputTokens] = usage.outputTokens;
      attributes[NIGHTSHIFT.costUsd] = usage.costUsd;
    }
    const started = c.run?.createdAt ?? step.at;
    return {
      traceId,
      spanId: rootSpanIdFor(runId),
      name: `invoke_agent ${c.run?.role ?? 'run'}`,
      kind: 'internal',
      startMs: Math.min(started, step.at),
      endMs: step.at,
      attributes,
      ...(d.status === 'failed' ? { error: d.error?.code ?? 'failed' } : {}),
    };
  }
}

/** A model turn's output in the GenAI conventions' message shape (only when content capture is on). */
function outputMessage(text: string, calls: readonly { id: string; tool: string; args: unknown }[]) {
  const parts: unknown[] = [];
  if (text) parts.push({ type: 'text', content: text });
  for (const call of calls)
    parts.push({ type: 'tool_call', id: call.id, name: call.tool, arguments: call.args });
  return { role: 'assistant', parts };
}
