// Human-readable output. Every command also has --json; this file only serves people at a terminal.
// `cmd` is how the user runs nightshift (`nightshift` or `npx nightshift`), for the next-step hints.
// Everything printed comes from the store, where secret values are already replaced by their names.

import { type ChainLink, formatChain } from '../delegation/chain.js';
import type { RunSummary } from '../engine/summary.js';
import type { AgentStatusView } from '../runtime.js';
import { readStep } from '../steps/read.js';
import type { RunStep } from '../steps/types.js';
import type {
  ApprovalRecord,
  EscalationRecord,
  RunRecord,
  RunSnapshot,
  StepRecord,
  ToolCallRecord,
} from '../store/types.js';
import { approvalChains, escalationChains } from './escalation-chain.js';
import { oneLine } from './terminal-text.js';

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

export function short(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return 'undefined';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function modelLabel(model: string): string {
  return model.startsWith('script:') ? `${model} (scripted, not a real model)` : model;
}

/** `2 calls denied`, for a status line; empty when none was. */
function deniedNote(denied: number): string {
  if (denied === 0) return '';
  return ` (${denied} call${denied === 1 ? '' : 's'} denied)`;
}

/** Calls the policy denied in a run: a run can succeed while some of what it tried was refused. */
export function deniedCalls(calls: readonly Pick<ToolCallRecord, 'status'>[]): number {
  return calls.filter((c) => c.status === 'denied').length;
}

export function formatSummary(s: RunSummary, o: { cmd?: string; denied?: number } = {}): string {
  const cmd = o.cmd ?? 'nightshift';
  const lines = [
    `run ${s.runId}  role ${s.role}@${s.roleVersion}`,
    `model: ${modelLabel(s.model)}`,
    `status: ${s.status}${deniedNote(o.denied ?? 0)}   model steps: ${s.steps}   tokens: ${s.usage.inputTokens} in / ${s.usage.outputTokens} out   cost: $${s.usage.costUsd.toFixed(4)}`,
  ];
  for (const id of s.pending)
    lines.push(`pending approval ${id}  →  ${cmd} approve ${id}   (or: ${cmd} reject ${id} --reason "...")`);
  for (const e of s.escalations.filter((x) => x.status === 'pending')) {
    const withhold = e.source === 'result_rule' ? ' [--withhold-result]' : '';
    // A specialist's escalation this run waits on says whose it is.
    const of = e.runId === s.runId ? '' : ` (run ${e.runId})`;
    // A reason is the model's words: one line, whatever it wrote (cli/terminal-text.ts).
    lines.push(
      `escalated ${e.id}${of} [${e.category}] ${oneLine(e.reason)}  →  ${cmd} answer ${e.id} "..."${withhold}`,
    );
  }
  if (s.status === 'succeeded') lines.push(`output: ${JSON.stringify(s.output, null, 2)}`);
  if (s.error) lines.push(oneLine(`error [${s.error.code}]: ${s.error.message}`));
  return lines.join('\n');
}

export function formatInbox(
  approvals: ApprovalRecord[],
  escalations: EscalationRecord[],
  cmd = 'nightshift',
  chains: Record<string, ChainLink[]> = {},
): string {
  if (approvals.length === 0 && escalations.length === 0) return 'inbox is empty: nothing waits for a human';
  const lines: string[] = [];
  for (const a of approvals) {
    lines.push(
      `approval ${a.id}  run ${a.runId}  role ${a.role} (${a.autonomy})  requested ${iso(a.requestedAt)}`,
    );
    const chain = chains[a.runId];
    if (chain) lines.push(`    chain: ${formatChain(chain, a.calls.map((c) => c.tool).join(', '))}`);
    for (const c of a.calls) lines.push(`    ${c.tool} [${c.effect}] ${short(c.args)}`);
    lines.push(`    → ${cmd} approve ${a.id}  |  ${cmd} reject ${a.id} --reason "..."`);
  }
  for (const e of escalations) {
    lines.push(`escalation ${e.id}  run ${e.runId}  role ${e.role}  [${e.category}] ${e.reason}`);
    if (e.missing) lines.push(`    missing: ${e.missing}`);
    const call = (e.context as { call?: { tool: string; args: unknown } }).call;
    const chain = chains[e.runId];
    if (chain) lines.push(`    chain: ${formatChain(chain, call?.tool)}`);
    // A result rule holds the result of a call that has run: --allow-call is refused for it.
    if (call && e.source === 'result_rule')
      lines.push(
        `    held result of: ${call.tool} ${short(call.args)}  (the call has run; --withhold-result keeps its result from the model)`,
      );
    else if (call && call.tool !== 'escalate')
      lines.push(`    held call: ${call.tool} ${short(call.args)}  (--allow-call runs it once)`);
    lines.push(`    → ${cmd} answer ${e.id} "..."`);
  }
  // Every entry above is one line, whatever a model wrote into a reason or an argument.
  return lines.map(oneLine).join('\n');
}

const RUN_COLUMNS = ['RUN', 'ROLE@VERSION', 'STATUS', 'STEPS', 'COST', 'CREATED', 'NOTE'] as const;

/** Runs as a table with a header; the last column holds the attempt and the error, when there are. */
export function formatRuns(runs: RunRecord[]): string {
  if (runs.length === 0) return 'no runs';
  const rows = runs.map((r) =>
    [
      r.id,
      `${r.role}@${r.roleVersion}`,
      r.status,
      String(r.turns),
      `$${r.usage.costUsd.toFixed(4)}`,
      iso(r.createdAt),
      [
        r.attempt > 1 ? `attempt ${r.attempt}` : '',
        r.error ? `[${r.error.code}] ${short(r.error.message, 60)}` : '',
      ]
        .filter(Boolean)
        .join('  '),
    ].map(oneLine),
  );
  const widths = RUN_COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(RUN_COLUMNS), ...rows.map(line)].join('\n');
}

/** Largest part of a tool result `show` prints (the whole result is in `show --json`). */
const SHOW_RESULT_CHARS = 300;

function describeStep(stored: StepRecord, calls: ReadonlyMap<string, ToolCallRecord>): string {
  let step: RunStep;
  try {
    step = readStep(stored);
  } catch {
    // A row this version cannot read (resuming it would say why): shown as it is stored.
    return short(stored.data);
  }
  switch (step.kind) {
    case 'run_started': {
      const d = step.data;
      return `input ${short(d.input)}  model ${d.model}  autonomy ${d.autonomy}`;
    }
    case 'model_turn': {
      const d = step.data;
      const what =
        d.calls.length > 0
          ? d.calls.map((c) => `${c.tool} ${short(c.args, 60)}`).join(', ')
          : `answer ${short(d.text, 80)}`;
      return `${what}  (${d.usage.inputTokens}/${d.usage.outputTokens} tokens, $${d.usage.costUsd.toFixed(4)}, ${d.latencyMs} ms)`;
    }
    case 'decision': {
      const d = step.data;
      return `${d.executorTool ? `${d.executor} ${d.executorTool} as ` : ''}${d.tool} → ${d.decision.toUpperCase()}: ${d.reason}`;
    }
    case 'executor_started': {
      const d = step.data;
      return `${d.spec} session started (attempt ${d.attempt})${d.note ? `: ${d.note}` : ''}`;
    }
    case 'executor_event': {
      const d = step.data;
      const what = [
        d.type,
        d.tool,
        d.input === undefined ? undefined : short(d.input, 60),
        d.text === undefined ? undefined : short(d.text, 80),
      ];
      return `${d.executor}: ${what.filter((x) => x !== undefined && x !== '').join(' ')}${d.isError ? ' (error)' : ''}`;
    }
    case 'tool_started':
      return `${step.data.tool} started (${step.data.key})`;
    case 'tool_finished': {
      const d = step.data;
      const call = calls.get(d.key);
      const result = call ? ` → ${short(call.result, SHOW_RESULT_CHARS)}` : '';
      const child = d.childRunId ? ` (child run ${d.childRunId})` : '';
      return `${d.tool} ${d.ok ? 'succeeded' : 'failed'}${child}${result}`;
    }
    case 'approval_requested':
      return `approval ${step.data.approvalId} requested for ${step.data.callKeys.length} call(s)`;
    case 'approval_decided': {
      const d = step.data;
      return `approval ${d.approvalId} ${d.decision} by ${d.by}${d.note ? `: ${d.note}` : ''}`;
    }
    case 'escalation_raised':
      return `escalation ${step.data.escalationId} [${step.data.category}] ${step.data.reason}`;
    case 'escalation_answered': {
      const d = step.data;
      const how =
        d.decision === 'allow'
          ? ' (call allowed)'
          : d.decision === 'deny'
            ? ' (call denied)'
            : d.allowCall
              ? ' (call allowed)'
              : d.withheldResult
                ? ' (result withheld from the agent)'
                : '';
      return `escalation ${d.escalationId} answered by ${d.by}${how}: ${short(d.answer)}`;
    }
    case 'escalation_hop': {
      const d = step.data;
      const to = d.to === 'manager' ? `manager ${d.manager} (run ${d.managerRunId})` : 'people';
      return `escalation ${d.escalationId} → ${to}, by ${d.by}: ${short(d.why, 120)}`;
    }
    case 'approval_hop': {
      const d = step.data;
      const to = d.to === 'manager' ? `manager ${d.manager} (run ${d.managerRunId})` : 'people';
      return `approval ${d.approvalId} → ${to}, by ${d.by}: ${short(d.why, 120)}`;
    }
    case 'output_invalid':
      return `output did not match the schema: ${step.data.errors.join('; ')} (one repair turn)`;
    case 'budget_exceeded':
      return `budget exceeded: ${step.data.dimension} ${step.data.used} of ${step.data.limit}`;
    case 'run_resumed':
      return `resumed by ${step.data.owner}`;
    case 'run_retry_scheduled': {
      const d = step.data;
      const when = typeof d.notBefore === 'number' ? ` not before ${iso(d.notBefore)}` : '';
      return `attempt ${d.nextAttempt} scheduled${when}${d.error ? ` after [${d.error.code}] ${short(d.error.message, 80)}` : d.why ? ` (${d.why})` : ''}`;
    }
    case 'run_finished': {
      const d = step.data;
      return `${d.status}${d.error ? ` [${d.error.code}] ${d.error.message}` : ''}`;
    }
    case 'tier_passed': {
      const d = step.data;
      return d.to === null
        ? `${d.kind} ${d.decisionId}: tier ${d.from + 1} did not answer in time; no tier left, the run stays paused`
        : `${d.kind} ${d.decisionId}: tier ${d.from + 1} did not answer in time; asked tier ${d.to + 1} (${d.people.join(', ') || 'nobody reachable'})`;
    }
    case 'child_started':
      return `delegated ${step.data.key} to ${step.data.role} (autonomy ${step.data.autonomy}): child run ${step.data.childRunId}`;
    case 'child_waiting':
      return `waiting: child run ${step.data.childRunId} is ${step.data.status}`;
    case 'child_queued':
      return `waiting for a place: child run ${step.data.childRunId} is queued (${step.data.role}'s concurrency is ${step.data.concurrency}, all in flight)`;
  }
}

export function formatShow(snapshot: RunSnapshot, summary: RunSummary, cmd = 'nightshift'): string {
  const calls = new Map(snapshot.toolCalls.map((c) => [c.key, c]));
  const lines = [formatSummary(summary, { cmd, denied: deniedCalls(snapshot.toolCalls) }), ''];
  const chains = escalationChains(snapshot);
  if (chains.length > 0) lines.push('escalation path:', ...chains.map((c) => `  ${oneLine(c)}`), '');
  const drafts = approvalChains(snapshot);
  if (drafts.length > 0) lines.push('approval path:', ...drafts.map((c) => `  ${oneLine(c)}`), '');
  lines.push('steps:');
  for (const step of snapshot.steps) {
    lines.push(
      `  ${String(step.seq).padStart(3)}  ${iso(step.at)}  ${step.kind.padEnd(19)} ${oneLine(describeStep(step, calls))}`,
    );
  }
  return lines.join('\n');
}

/** `show`'s lines about delegation: the run's parent and its child runs, when it has any. */
export function formatFamily(
  parent: { runId: string; callKey: string | null } | null,
  children: { runId: string; role: string; status: string; parentCallKey: string | null }[],
): string {
  const lines: string[] = [];
  if (parent) lines.push(`parent: run ${parent.runId} (call ${parent.callKey ?? '?'})`);
  if (children.length > 0) {
    lines.push('children:');
    for (const c of children)
      lines.push(oneLine(`  ${c.runId}  ${c.role}  ${c.status}  (call ${c.parentCallKey ?? '?'})`));
  }
  return lines.length > 0 ? `\n\n${lines.join('\n')}` : '';
}

export function formatAgents(agents: AgentStatusView[], now: number, cmd = 'nightshift'): string {
  if (agents.length === 0) return 'no continuous agents (roles with mode: continuous start one when served)';
  return agents
    .map((a) => {
      const beat = a.heartbeatAt === null ? 'never' : `${((now - a.heartbeatAt) / 1000).toFixed(1)} s ago`;
      const holder = a.live
        ? `held by ${a.owner}`
        : !a.owner
          ? 'not held'
          : (a.leaseUntil ?? 0) >= now
            ? `holder gone (${a.owner}, a process of this host that no longer runs)`
            : `lease expired (${a.owner})`;
      const lines = [
        `${a.role}  ${a.status.padEnd(9)}  ${holder}  heartbeat ${beat}  inbox ${a.inbox}  restarts ${a.restarts}  takeovers ${a.takeovers}  failures ${a.failures}`,
      ];
      if (a.runId) lines.push(`  current run ${a.runId}`);
      if (a.thread) lines.push(`  ${a.thread.executor} thread ${a.thread.id} (the next event continues it)`);
      if (a.lastError) lines.push(`  last error [${a.lastError.code}] ${short(a.lastError.message, 100)}`);
      if (a.escalationId) lines.push(`  escalated: ${cmd} answer ${a.escalationId} "<decision>" restarts it`);
      return lines.map(oneLine).join('\n');
    })
    .join('\n');
}
