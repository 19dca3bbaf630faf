// The next piece of work of a run, chosen from its persisted state alone, so a resumed run picks up exactly
// where its last commit left it.
import { isDelegation } from '../delegation/tools.js';
import type { ToolCallRecord } from '../store/types.js';
import { isIdempotent } from '../tools/types.js';
import type { PreparedRole } from './prepare.js';
import type { RunState } from './state.js';

export type Work =
  | { kind: 'execute'; call: ToolCallRecord }
  | { kind: 'unknown_outcome'; call: ToolCallRecord }
  | { kind: 'request_approval'; calls: ToolCallRecord[] }
  /** The turn's delegations not finished yet: their child runs are started (or found) and joined together. */
  | { kind: 'delegate'; calls: ToolCallRecord[] }
  | { kind: 'pause'; status: 'escalated' | 'awaiting_approval' }
  | { kind: 'model' };

/**
 * Whether a pending call may run now. A turn is decided as a whole: while any of its calls waits for a
 * human (held by an escalation, or drafted), its other side effects wait too — a refund held for a
 * manager must not be preceded by the e-mail announcing it. Read calls run regardless.
 */
export function mayRunNow(
  call: ToolCallRecord,
  turn: readonly ToolCallRecord[],
  prepared: PreparedRole,
): boolean {
  if (prepared.tools.get(call.tool)?.effect === 'read') return true;
  return !turn.some((c) => c.status === 'held' || c.status === 'drafted');
}

/** What the driver is doing, in words, for the message of an unexpected failure. */
export function describeWork(work: Work): string {
  switch (work.kind) {
    case 'execute':
      return `running tool call ${work.call.key} (${work.call.tool})`;
    case 'unknown_outcome':
      return `holding tool call ${work.call.key} whose outcome is unknown`;
    case 'request_approval':
      return 'filing drafted calls for approval';
    case 'delegate':
      return `running delegations ${work.calls.map((c) => `${c.key} (${c.tool})`).join(', ')}`;
    case 'pause':
      return `pausing the run (${work.status})`;
    case 'model':
      return 'taking a model turn';
  }
}

/** Picks the next piece of work from persisted state. `claimed` holds the calls this process started. */
export function nextWork(state: RunState, prepared: PreparedRole, claimed: Set<string>): Work {
  // A run-level escalation (the time budget ran out between two calls of a turn) holds every call, and so
  // does a held result: the rest of the turn waits for the answer, as the model would have.
  if (state.pendingEscalations().some((e) => e.callKey === null || e.source === 'result_rule'))
    return { kind: 'pause', status: 'escalated' };
  const turn = state.lastModelTurn();
  if (turn) {
    const calls = state.callsOfTurn(turn.seq);
    for (const call of calls) {
      if (isDelegation(call.tool) && (call.status === 'pending' || call.status === 'started')) {
        // Every delegation of the turn at once, so their child runs go concurrently. A started one is
        // always safe to take up again: its child's id is derived from the call's key.
        const open = calls.filter(
          (c) => isDelegation(c.tool) && (c.status === 'pending' || c.status === 'started'),
        );
        return { kind: 'delegate', calls: open };
      }
      if (call.status === 'pending' && mayRunNow(call, calls, prepared)) return { kind: 'execute', call };
      if (call.status === 'started') {
        const tool = prepared.tools.get(call.tool);
        if (claimed.has(call.key) || (tool !== undefined && isIdempotent(tool, call.args))) {
          return { kind: 'execute', call };
        }
        return { kind: 'unknown_outcome', call };
      }
    }
    const unfiled = calls.filter((c) => c.status === 'drafted' && c.approvalId === null);
    if (unfiled.length > 0) return { kind: 'request_approval', calls: unfiled };
  }
  const blocked = state.blockedStatus();
  if (blocked !== 'running') return { kind: 'pause', status: blocked };
  return { kind: 'model' };
}
