// The pass rate's confidence interval: the Wilson score interval (docs/decisions/034-evals.md says why
// Wilson rather than the normal approximation: it stays inside 0..1 and is honest at 0 or n successes
// and at the small n an eval suite has).

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/**
 * The Wilson score interval of `passes` out of `runs`, at 95 %. For 0 runs, the whole of 0..1.
 *
 * @example
 * wilson(9, 10); // { low: 0.5958…, high: 0.9821… }
 */
export function wilson(passes: number, runs: number, z = Z95): { low: number; high: number } {
  if (runs === 0) return { low: 0, high: 1 };
  const p = passes / runs;
  const z2 = z * z;
  const centre = p + z2 / (2 * runs);
  const spread = z * Math.sqrt((p * (1 - p)) / runs + z2 / (4 * runs * runs));
  const denominator = 1 + z2 / runs;
  return {
    low: Math.max(0, (centre - spread) / denominator),
    high: Math.min(1, (centre + spread) / denominator),
  };
}
