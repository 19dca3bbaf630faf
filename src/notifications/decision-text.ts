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
