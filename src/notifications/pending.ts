// What a person is shown about a paused matter (PendingDecision), from the approval or escalation record:
// plain text that every channel can render. Records are stored scrubbed of secret values, so this is too.
import type { ApprovalRecord, EscalationRecord } from '../store/types.js';
import type { PendingDecision } from './types.js';

const MAX_SUMMARY = 4000;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const show = (v: unknown) => clip(typeof v === 'string' ? v : JSON.stringify(v), 600);

export function pendingApproval(a: ApprovalRecord): PendingDecision {
  const lines = [
    `Run ${a.runId} of role ${a.role} drafted ${a.calls.length} call(s) for approval:`,
    ...a.calls.map((c) => `- ${c.tool} (${c.effect}) ${show(c.args)}${c.reason ? `: ${c.reason}` : ''}`),
  ];
  return {
    kind: 'approval',
    id: a.id,
    runId: a.runId,
    role: a.role,
    category: 'approval',
    reason: `${a.calls.length} drafted call(s) wait for approval`,
    summary: clip(lines.join('\n'), MAX_SUMMARY),
    hash: a.changeSetHash,
    createdAt: a.requestedAt,
  };
}

export function pendingEscalation(e: EscalationRecord): PendingDecision {
  const lines = [`Run ${e.runId} of role ${e.role} escalated (${e.category}, ${e.source}): ${e.reason}`];
  if (e.missing) lines.push(`Missing: ${e.missing}`);
  // As `nightshift inbox` says it: a result rule holds a result (its call has run), and the model's own
  // `escalate` holds no call at all, so a person is never told there is a call to let run when there is none.
  const call = e.context.call as { tool?: unknown; args?: unknown } | undefined;
  if (call !== undefined && e.source === 'result_rule')
    lines.push(`Held result of: ${String(call.tool)} ${show(call.args)} (the call has run)`);
  else if (call !== undefined && call.tool !== 'escalate') lines.push(`Held call: ${show(call)}`);
  const input = e.context.input;
  if (input !== undefined) lines.push(`Input: ${show(input)}`);
  return {
    kind: 'escalation',
    id: e.id,
    runId: e.runId,
    role: e.role,
    category: e.category,
    reason: e.reason,
    summary: clip(lines.join('\n'), MAX_SUMMARY),
    createdAt: e.createdAt,
  };
}
