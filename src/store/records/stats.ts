// What `StatsReads.statsRows` returns: grouped counts and percentiles, one row per (role, role version)
// and whatever else the figure is split by. The store only aggregates; src/stats/ turns these rows into
// the report (rates, maps). Numbers are plain numbers (Postgres' bigint counts are converted).

/**
 * Which runs the figures cover: those created at or after `since` and before `until`, of one role and
 * version if given.
 */
export interface StatsFilter {
  role?: string;
  version?: string;
  /** Epoch milliseconds; runs created at or after it. */
  since?: number;
  /** Epoch milliseconds; runs created before it (the console's charts ask bucket by bucket). */
  until?: number;
}

/** How `statsRows` answers. */
export interface StatsOptions {
  /** false: from the runs alone, not the rollup of closed hours (the figures are the same). */
  rollup?: boolean;
  /** The time that decides which hours are closed (epoch ms; default: the clock). */
  now?: number;
  /**
   * false: read the rollup as it stands, without first filling the hours closed since the last fill
   * (a caller asking many questions at one `now`, such as the console's charts, fills on the first).
   */
  fill?: boolean;
}

/** The group every row belongs to. */
export interface StatsGroup {
  role: string;
  roleVersion: string;
}

/** Nearest-rank percentiles (the smallest value with at least p% of values at or below it), over `count` values. */
export interface StatsPercentiles {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** The percentiles the store computes, by name. */
export type StatsDistribution = 'queueWaitMs' | 'durationMs' | 'activeMs' | 'costUsd' | 'decisionMs';

export interface StatsRows {
  /** Runs by status, with their usage summed. */
  runs: (StatsGroup & {
    status: string;
    count: number;
    costUsd: number;
    inputTokens: number;
    outputTokens: number;
    cachedInputTokens: number;
  })[];
  /** Failed runs by their error's code ('' when the run has none). */
  failures: (StatsGroup & { code: string; count: number })[];
  /** Tool calls by tool, the policy's decision and the ledger status. */
  toolCalls: (StatsGroup & { tool: string; decision: string; status: string; count: number })[];
  /** Escalations by category. */
  escalations: (StatsGroup & { category: string; count: number })[];
  /** Runs with at least one escalation. */
  escalatedRuns: (StatsGroup & { count: number })[];
  /** Approvals (change sets) by status. */
  approvals: (StatsGroup & { status: string; count: number })[];
  /** Percentiles per distribution and group. */
  distributions: (StatsGroup & StatsPercentiles & { name: StatsDistribution })[];
}
