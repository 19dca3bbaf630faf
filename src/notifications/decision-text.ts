// The words every channel uses for a pending decision: a one-line title and the context lines, so Slack,
// email and the confirm page say the same thing.
import type { PendingDecision } from './types.js';

export function decisionTitle(d: PendingDecision): string {
  return d.kind === 'approval'
    ? `Approval needed: ${d.role} drafted a change set`
    : `Escalation (${d.category}): ${d.role} needs an answer`;
}

/** Label/value pairs for the context: role, category, reason, run, id. */
export function decisionFacts(d: PendingDecision): [string, string][] {
  return [
    ['Role', d.role],
    ['Category', d.category],
    ['Reason', d.reason],
    ['Run', d.runId],
    [d.kind === 'approval' ? 'Approval' : 'Escalation', d.id],
  ];
}

/** Cuts text to `max` characters, saying so (Slack and mail clients have limits; the CLI shows it all). */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = '\n… (cut; `nightshift show` has the rest)';
  return text.slice(0, max - note.length) + note;
}

/** A word the shell takes as it is, or single-quoted (a person's name is the config's, not ours to trust). */
function shellWord(text: string): string {
  return /^[\w.@+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The CLI command that takes `action` on decision `id` as person `by`, with a placeholder for the text a
 * person writes: for a channel that cannot take the decision itself (Slack's Reject and Answer without the
 * bot token, decision 063).
 *
 * @example
 * decisionCommand('apr_1', 'reject', 'alice'); // nightshift reject apr_1 --reason "WHY" --as alice
 */
export function decisionCommand(id: string, action: 'approve' | 'reject' | 'answer', by: string): string {
  const as = `--as ${shellWord(by)}`;
  if (action === 'approve') return `nightshift approve ${shellWord(id)} ${as}`;
  if (action === 'reject') return `nightshift reject ${shellWord(id)} --reason "WHY" ${as}`;
  return `nightshift answer ${shellWord(id)} "YOUR ANSWER" ${as}`;
}
