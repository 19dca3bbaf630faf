// Human-readable output. Every command also has --json; this file only serves people at a terminal.

import type { RunSummary } from '../engine/summary.js';
import type { AgentStatusView } from '../runtime.js';
import type { ApprovalRecord, EscalationRecord, RunRecord, RunSnapshot, StepRecord } from '../store/types.js';

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

export function short(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return 'undefined';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function modelLabel(model: string): string {
  return model.startsWith('script:') ? `${model} (scripted, not a real model)` : model;
}

export function formatSummary(s: RunSummary): string {
  const lines = [
    `run ${s.runId}  role ${s.role}@${s.roleVersion}`,
    `model: ${modelLabel(s.model)}`,
    `status: ${s.status}   model steps: ${s.steps}   tokens: ${s.usage.inputTokens} in / ${s.usage.outputTokens} out   cost: $${s.usage.costUsd.toFixed(4)}`,
  ];
  for (const id of s.pending)
    lines.push(
      `pending approval ${id}  →  nightshift approve ${id}   (or: nightshift reject ${id} --reason "...")`,
    );
  for (const e of s.escalations.filter((x) => x.status === 'pending')) {
    lines.push(`escalated ${e.id} [${e.category}] ${e.reason}  →  nightshift answer ${e.id} "..."`);
  }
  if (s.status === 'succeeded') lines.push(`output: ${JSON.stringify(s.output, null, 2)}`);
  if (s.error) lines.push(`error [${s.error.code}]: ${s.error.message}`);
  return lines.join('\n');
}

export function formatInbox(approvals: ApprovalRecord[], escalations: EscalationRecord[]): string {
  if (approvals.length === 0 && escalations.length === 0) return 'inbox is empty: nothing waits for a human';
  const lines: string[] = [];
  for (const a of approvals) {
    lines.push(
      `approval ${a.id}  run ${a.runId}  role ${a.role} (${a.autonomy})  requested ${iso(a.requestedAt)}`,
    );
    for (const c of a.calls) lines.push(`    ${c.tool} [${c.effect}] ${short(c.args)}`);
    lines.push(`    → nightshift approve ${a.id}  |  nightshift reject ${a.id} --reason "..."`);
  }
  for (const e of escalations) {
    lines.push(`escalation ${e.id}  run ${e.runId}  role ${e.role}  [${e.category}] ${e.reason}`);
    if (e.missing) lines.push(`    missing: ${e.missing}`);
    const call = (e.context as { call?: { tool: string; args: unknown } }).call;
    if (call && call.tool !== 'escalate')
      lines.push(`    held call: ${call.tool} ${short(call.args)}  (--allow-call runs it once)`);
    lines.push(`    → nightshift answer ${e.id} "..."`);
  }
  return lines.join('\n');
}

export function formatRuns(runs: RunRecord[]): string {
  if (runs.length === 0) return 'no runs';
  return runs
    .map(
      (r) =>
        `${r.id}  ${r.role}@${r.roleVersion}  ${r.status.padEnd(17)}  steps ${r.turns}  $${r.usage.costUsd.toFixed(4)}  ${iso(r.createdAt)}${r.attempt > 1 ? `  attempt ${r.attempt}` : ''}${r.error ? `  [${r.error.code}] ${short(r.error.message, 60)}` : ''}`,
    )
    .join('\n');
}

function describeStep(step: StepRecord): string {
  const d = step.data as Record<string, unknown>;
  switch (step.kind) {
    case 'run_started':
      return `input ${short(d.input)}  model ${d.model}  autonomy ${d.autonomy}`;
    case 'model_turn': {
      const calls = (d.calls as { tool: string; args: unknown }[]) ?? [];
      const u = d.usage as { inputTokens: number; outputTokens: number; costUsd: number };
      const what =
        calls.length > 0
          ? calls.map((c) => `${c.tool} ${short(c.args, 60)}`).join(', ')
          : `answer ${short(d.text, 80)}`;
      return `${what}  (${u.inputTokens}/${u.outputTokens} tokens, $${u.costUsd.toFixed(4)}, ${d.latencyMs} ms)`;
    }
    case 'decision':
      return `${d.executorTool ? `${d.executor} ${d.executorTool} as ` : ''}${d.tool} → ${String(d.decision).toUpperCase()}: ${d.reason}`;
    case 'executor_started':
      return `${d.spec} session started (attempt ${d.attempt})${d.note ? `: ${d.note}` : ''}`;
    case 'executor_event': {
      const what = [
        d.type,
        d.tool,
        d.input === undefined ? undefined : short(d.input, 60),
        d.text === undefined ? undefined : short(d.text, 80),
      ];
      return `${d.executor}: ${what.filter((x) => x !== undefined && x !== '').join(' ')}${d.isError ? ' (error)' : ''}`;
    }
    case 'tool_started':
      return `${d.tool} started (${d.key})`;
    case 'tool_finished':
      return `${d.tool} ${d.ok ? 'succeeded' : 'failed'}`;
    case 'approval_requested':
      return `approval ${d.approvalId} requested for ${(d.callKeys as string[]).length} call(s)`;
    case 'approval_decided':
      return `approval ${d.approvalId} ${d.decision} by ${d.by}${d.note ? `: ${d.note}` : ''}`;
    case 'escalation_raised':
      return `escalation ${d.escalationId} [${d.category}] ${d.reason}`;
    case 'escalation_answered':
      return `escalation ${d.escalationId} answered by ${d.by}${d.allowCall ? ' (call allowed)' : ''}: ${short(d.answer)}`;
    case 'output_invalid':
      return `output did not match the schema: ${(d.errors as string[]).join('; ')} (one repair turn)`;
    case 'budget_exceeded':
      return `budget exceeded: ${d.dimension} ${d.used} of ${d.limit}`;
    case 'run_resumed':
      return `resumed by ${d.owner}`;
    case 'run_retry_scheduled': {
      const e = d.error as { code: string; message: string } | undefined;
      const when = typeof d.notBefore === 'number' ? ` not before ${iso(d.notBefore)}` : '';
      return `attempt ${d.nextAttempt} scheduled${when}${e ? ` after [${e.code}] ${short(e.message, 80)}` : d.why ? ` (${d.why})` : ''}`;
    }
    case 'run_finished':
      return `${d.status}${d.error ? ` [${(d.error as { code: string }).code}] ${(d.error as { message: string }).message}` : ''}`;
    default:
      return short(d);
  }
}

export function formatShow(snapshot: RunSnapshot, summary: RunSummary): string {
  const lines = [formatSummary(summary), '', 'steps:'];
  for (const step of snapshot.steps) {
    lines.push(
      `  ${String(step.seq).padStart(3)}  ${iso(step.at)}  ${step.kind.padEnd(19)} ${describeStep(step)}`,
    );
  }
  return lines.join('\n');
}

export function formatAgents(agents: AgentStatusView[], now: number): string {
  if (agents.length === 0) return 'no continuous agents (roles with mode: continuous start one when served)';
  return agents
    .map((a) => {
      const beat = a.heartbeatAt === null ? 'never' : `${((now - a.heartbeatAt) / 1000).toFixed(1)} s ago`;
      const holder = a.live ? `held by ${a.owner}` : a.owner ? `lease expired (${a.owner})` : 'not held';
      const lines = [
        `${a.role}  ${a.status.padEnd(9)}  ${holder}  heartbeat ${beat}  inbox ${a.inbox}  restarts ${a.restarts}  takeovers ${a.takeovers}  failures ${a.failures}`,
      ];
      if (a.runId) lines.push(`  current run ${a.runId}`);
      if (a.lastError) lines.push(`  last error [${a.lastError.code}] ${short(a.lastError.message, 100)}`);
      if (a.escalationId)
        lines.push(`  escalated: nightshift answer ${a.escalationId} "<decision>" restarts it`);
      return lines.join('\n');
    })
    .join('\n');
}
