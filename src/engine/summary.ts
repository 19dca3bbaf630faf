// The result of a run as the CLI's `--json` and the library return it. Key names are a public contract.
import type { RunSnapshot, RunStatus } from '../store/types.js';

export interface RunSummary {
  runId: string;
  role: string;
  roleVersion: string;
  model: string;
  status: RunStatus;
  output: unknown;
  /** Ids of pending approvals (change sets) of this run. */
  pending: string[];
  escalations: {
    id: string;
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
}

export function summarize(snapshot: Pick<RunSnapshot, 'run' | 'approvals' | 'escalations'>): RunSummary {
  const { run } = snapshot;
  const summary: RunSummary = {
    runId: run.id,
    role: run.role,
    roleVersion: run.roleVersion,
    model: run.model,
    status: run.status,
    output: run.output ?? null,
    pending: snapshot.approvals.filter((a) => a.status === 'pending').map((a) => a.id),
    escalations: snapshot.escalations.map((e) => ({
      id: e.id,
      category: e.category,
      reason: e.reason,
      source: e.source,
      status: e.status,
      answer: e.answer,
    })),
    steps: run.turns,
    usage: {
      inputTokens: run.usage.inputTokens,
      outputTokens: run.usage.outputTokens,
      cachedInputTokens: run.usage.cachedInputTokens,
      costUsd: run.usage.costUsd,
    },
  };
  if (run.error) summary.error = run.error;
  return summary;
}
