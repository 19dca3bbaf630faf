// `versions:` in nightshift.config.yaml: which definition of a role runs (the active version, or the role
// file as it is, for development) and the thresholds `nightshift autonomy` judges a role's record by.
import { z } from 'zod';

/** Defaults (docs/decisions/035-versions-and-autonomy.md says why each). */
export const AutonomyThresholds = z.strictObject({
  /** Human decisions (change sets decided plus escalations answered) before any move up is suggested. */
  minDecisions: z.number().int().min(1).default(20),
  /** Finished runs before any move is suggested. */
  minRuns: z.number().int().min(1).default(10),
  /** Up: at least this share of decided change sets approved as drafted. */
  upApprovalRate: z.number().min(0).max(1).default(0.95),
  /** Up: at least this share of answered escalations answered "go ahead" (the held call allowed). */
  upGoAheadRate: z.number().min(0).max(1).default(0.9),
  /** Up: at most this share of decided tool calls denied by the policy. */
  upMaxDenialRate: z.number().min(0).max(1).default(0.02),
  /** Up: at most this share of finished runs failed. */
  upMaxFailureRate: z.number().min(0).max(1).default(0.05),
  /** Down: at least this share of decided change sets rejected. */
  downRejectionRate: z.number().min(0).max(1).default(0.2),
  /** Down: at least this share of decided tool calls denied. */
  downDenialRate: z.number().min(0).max(1).default(0.1),
  /** Down: at least this share of finished runs failed. */
  downFailureRate: z.number().min(0).max(1).default(0.25),
});
export type AutonomyThresholds = z.infer<typeof AutonomyThresholds>;

export const VersionsConfig = z.strictObject({
  /**
   * `active` (default): once a role has an active version, new runs use it, whatever the file says now.
   * `file`: the role file always runs (development); promotions are still recorded.
   */
  source: z.enum(['active', 'file']).default('active'),
  autonomy: AutonomyThresholds.default(AutonomyThresholds.parse({})),
});
export type VersionsConfig = z.infer<typeof VersionsConfig>;
export type VersionSource = VersionsConfig['source'];
