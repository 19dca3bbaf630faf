// A run's snapshot read from SQLite, inside the caller's transaction (a load, or the claim that leased it).
import type { RunRecord, RunSnapshot } from '../types.js';
import { type Row, rowToApproval, rowToEscalation, rowToStep, rowToToolCall } from './rows.js';
import type { Statements } from './statements.js';

/** A run's records (read in the caller's transaction). */
export function snapshotOf(s: Statements, run: RunRecord): RunSnapshot {
  return {
    run,
    steps: (s.stepsOfRun.all(run.id) as Row[]).map(rowToStep),
    toolCalls: (s.toolCallsOfRun.all(run.id) as Row[]).map(rowToToolCall),
    approvals: (s.approvalsOfRun.all(run.id) as Row[]).map(rowToApproval),
    escalations: (s.escalationsOfRun.all(run.id) as Row[]).map(rowToEscalation),
  };
}
