// What a manager agent is told about the matter it decides: the escalated run's role, input, the
// escalation (category, reason, what is missing), the held call, and a summary of what the run did so
// far. Everything comes from the store, where secret values are already scrubbed (names only).
import type { RunState } from '../engine/state.js';
import type { ApprovalRecord, EscalationRecord } from '../store/types.js';

/** Longest rendering of one argument list or result in the summary. */
const MAX_VALUE_CHARS = 300;
/** Calls listed in the summary: the most recent ones. */
const MAX_CALLS = 20;

function short(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

/** The manager run's input. */
export function managerInput(escalation: EscalationRecord, escalated: RunState): Record<string, unknown> {
  const held = escalation.callKey ? escalated.calls.get(escalation.callKey) : undefined;
  return {
    escalation: {
      id: escalation.id,
      category: escalation.category,
      reason: escalation.reason,
      missing: escalation.missing,
      source: escalation.source,
    },
    run: {
      id: escalated.run.id,
      role: escalated.run.role,
      input: escalated.run.input,
      turns: escalated.run.turns,
      costUsd: escalated.run.usage.costUsd,
    },
    heldCall:
      held && held.tool !== 'escalate' ? { tool: held.tool, args: held.args, why: held.reason } : null,
    soFar: soFar(escalated),
    decide:
      'Decide with escalation.answer {text} (the run continues with your answer), escalation.allow {note} (the held call runs once; only within your own authority) or escalation.deny {reason} (the held call is refused and the run is told why). Use escalate to pass the matter to people.',
  };
}

/**
 * The input of a manager run deciding a drafted change set: the drafting run's role and input, the change
 * set exactly as it will run (each call's tool, arguments, effect and why it was drafted; file writes carry
 * their content), its hash (what an approval binds to), and what the run did so far.
 */
export function draftManagerInput(approval: ApprovalRecord, drafted: RunState): Record<string, unknown> {
  return {
    changeSet: {
      approvalId: approval.id,
      hash: approval.changeSetHash,
      autonomy: approval.autonomy,
      calls: approval.calls.map((c) => ({
        key: c.key,
        tool: c.tool,
        args: c.args,
        effect: c.effect,
        why: c.reason,
      })),
    },
    run: {
      id: drafted.run.id,
      role: drafted.run.role,
      input: drafted.run.input,
      turns: drafted.run.turns,
      costUsd: drafted.run.usage.costUsd,
    },
    soFar: soFar(drafted),
    decide:
      'Decide with approval.approve {note} (every call runs once, exactly as drafted; only within your own authority) or approval.reject {reason} (none runs; the drafting agent is told why). Use escalate to pass the change set to people.',
  };
}

/** What the run did so far, one line per tool call (oldest first), then its last words. */
function soFar(state: RunState): string[] {
  const calls = [...state.calls.values()].sort((a, b) => a.step - b.step || a.index - b.index);
  const lines = calls
    .slice(-MAX_CALLS)
    .map((c) => `${c.tool} ${short(c.args)} → ${c.status}${c.result == null ? '' : `: ${short(c.result)}`}`);
  if (calls.length > MAX_CALLS) lines.unshift(`(${calls.length - MAX_CALLS} earlier calls left out)`);
  const said = state.lastModelTurn()?.data.text;
  if (said) lines.push(`the agent said: ${short(said)}`);
  return lines;
}
