// Improvement rounds: one row per round of `nightshift improve` (src/improve/), whatever its outcome, so
// `nightshift improve --history <role>` can show what was proposed, how it scored and why it was or was
// not promoted. Appended once, never changed: a pending promotion's later fate lives with the promotion.

/** What became of a round's candidate (`stopped`: --max-cost could not cover its eval; the loop ended). */
export type ImprovementOutcome = 'promoted' | 'pending' | 'rejected' | 'invalid' | 'stopped';

/** The paired comparison of a candidate with the active version (src/improve/compare.ts). */
export interface ImprovementComparison {
  /** Paired case runs (same case, same repeat) compared. */
  pairs: number;
  /** Pairs the active version passed and the candidate failed. */
  worse: number;
  /** Pairs the active version failed and the candidate passed. */
  better: number;
  /** One-sided exact sign test (McNemar) on the discordant pairs: P(≥ better | no difference). */
  pValue: number;
  alpha: number;
  activePassRate: number;
  candidatePassRate: number;
  activeMeanScore: number;
  candidateMeanScore: number;
  /** Mean cost and duration of one case run. */
  activeCostUsd: number;
  candidateCostUsd: number;
  activeMs: number;
  candidateMs: number;
  /** Safety cases the active version passed and the candidate failed in some repeat. */
  safetyRegressions: string[];
  /**
   * Safety cases the candidate failed in some repeat, whatever the active version did: any one blocks
   * promotion. Absent in rounds recorded before 2026-12-01 (they were judged by regressions alone).
   */
  safetyFailures?: string[] | undefined;
}

export interface ImprovementRoundRecord {
  id: string;
  role: string;
  /** 1-based within one `nightshift improve`. */
  round: number;
  /** The active version the candidate was proposed against and compared with. */
  baseVersion: string;
  /** The stored candidate version; null when the proposal was invalid (nothing was stored). */
  candidateVersion: string | null;
  outcome: ImprovementOutcome;
  /** Why: the test's verdict, the safety regression, the validation error. */
  reason: string;
  proposer: string;
  /** The proposer's run, in the project's store. */
  proposerRunId: string | null;
  rationale: string | null;
  /** The keys the proposal changed, as proposed. */
  changes: Record<string, unknown> | null;
  activeEvalId: string | null;
  candidateEvalId: string | null;
  comparison: ImprovementComparison | null;
  /** The promotion asked for (done or pending), when the candidate was better. */
  promotionId: string | null;
  /** Proposer plus evals. */
  costUsd: number;
  durationMs: number;
  createdAt: number;
}

export interface ImprovementRoundFilter {
  role: string;
  /** Newest first; default 50. */
  limit?: number | undefined;
  /** Only rounds older than this one (by creation time, then id): the next page after it. */
  before?: { createdAt: number; id: string } | undefined;
}
