// The result of a run as the CLI's `--json` and the library return it. Key names are a public contract.
import { roundUsd } from '../models/pricing.js';
import type { RunSnapshot, RunStatus } from '../store/types.js';

export interface RunSummary {
  runId: string;
  role: string;
  roleVersion: string;
  model: string;
  status: RunStatus;
  output: unknown;
  /**
   * Ids of pending approvals (change sets) of this run, then of the specialists' runs it waits on
   * (`approve <id>` continues the specialist, then this run).
   */
  pending: string[];
  /**
   * This run's escalations (every status), then the pending ones of the specialists' runs it waits on;
   * `runId` says whose each is (`answer <id>` continues that run, then its parents).
   */
  escalations: {
    id: string;
    runId: string;
    category: string;
    reason: string;
    source: string;
    status: string;
    answer: string | null;
  }[];
  /** Model turns taken: the unit of budget.maxSteps. */
  steps: number;
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number; costUsd: number };
  error?: { code: string; message: string; details?: Record<string, unknown> | undefined };
  /**
   * A specialist's child run this command did not drive: its role's `concurrency` runs were in flight. It is
   * `queued`, for serve's workers or its parent's driver to take up when a place frees (engine/place.ts).
   */
  waitsForPlace?: { role: string; concurrency: number };
}

type Snapshot = Pick<RunSnapshot, 'run' | 'approvals' | 'escalations'>;

/** `waitingOn`: the paused child runs below this one (delegation/waiting-children.ts), if any. */
export function summarize(snapshot: Snapshot, waitingOn: readonly Snapshot[] = []): RunSummary {
  const { run } = snapshot;
  const escalation = (e: Snapshot['escalations'][number]) => ({
    id: e.id,
    runId: e.runId,
    category: e.category,
    reason: e.reason,
    source: e.source,
    status: e.status,
    answer: e.answer,
  });
  const summary: RunSummary = {
    runId: run.id,
    role: run.role,
    roleVersion: run.roleVersion,
    model: run.model,
    status: run.status,
    output: run.output ?? null,
    pending: [snapshot, ...waitingOn].flatMap((s) =>
      s.approvals.filter((a) => a.status === 'pending').map((a) => a.id),
    ),
    escalations: [
      ...snapshot.escalations.map(escalation),
      ...waitingOn.flatMap((s) => s.escalations.filter((e) => e.status === 'pending').map(escalation)),
    ],
    steps: run.turns,
    usage: {
      inputTokens: run.usage.inputTokens,
      outputTokens: run.usage.outputTokens,
      cachedInputTokens: run.usage.cachedInputTokens,
      // Rounded as recorded (pricing.ts), also for a run recorded before costs were.
      costUsd: roundUsd(run.usage.costUsd),
    },
  };
  if (run.error) summary.error = run.error;
  return summary;
}
