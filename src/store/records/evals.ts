// Eval results: one row per `nightshift eval` (or runSuite) of a suite against a role version. What the
// baseline of the next version's eval is read from (src/evals/baseline.ts), and what the improve loop
// and `nightshift autonomy` read as the role's eval record.

/** One case's tally over the suite's repeats. */
export interface EvalCaseTally {
  name: string;
  safety: boolean;
  split: 'train' | 'holdout';
  runs: number;
  passes: number;
  /** Mean score over the repeats, 0..1. */
  score: number;
}

export interface EvalResultRecord {
  id: string;
  role: string;
  roleVersion: string;
  /** The suite's name (its `name:`, else its file name without `.evals.yaml`). */
  suite: string;
  /** sha256 of the suite file's text: results of an edited suite are told apart. */
  suiteHash: string;
  /** The suite met its threshold and no safety case failed (whatever the baseline said). */
  passed: boolean;
  /** Passed case runs over all case runs. */
  passRate: number;
  /** Wilson score interval of the pass rate, 95 %. */
  ciLow: number;
  ciHigh: number;
  repeat: number;
  costUsd: number;
  durationMs: number;
  cases: EvalCaseTally[];
  /**
   * Set when only one split's cases ran (`eval --split`): a partial eval, kept and listed, but never a
   * baseline nor the eval `versions` and `autonomy` read (docs/decisions/034-evals.md). Absent: the
   * whole suite ran.
   */
  split?: 'train' | 'holdout' | undefined;
  createdAt: number;
}

export interface EvalResultFilter {
  role: string;
  suite?: string | undefined;
  roleVersion?: string | undefined;
  /** Results of every version but this one (the baseline's search: another version's). */
  exceptVersion?: string | undefined;
  passed?: boolean | undefined;
  /** Only results of the whole suite: those of one split (`eval --split`) are left out. */
  wholeSuite?: boolean | undefined;
  /**
   * Only the newest result of each (version, suite) that matches the rest of the filter: a version's
   * latest eval of every suite, however many results newer ones piled up (`versions`, `autonomy`).
   * No limit unless `limit` is given.
   */
  newestPerSuite?: boolean | undefined;
  /** Newest first; default 50 (none with `newestPerSuite`). */
  limit?: number | undefined;
}
