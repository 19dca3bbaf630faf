// Money as nightshift shows it: USD rounded to a nano-dollar (1e-9). Costs are sums of per-turn prices in
// binary floating point, so 0.11 + 0.22 is 0.33000000000000003; every figure a person or a scraper reads
// (stats, the console, /metrics) is rounded here, the same way, so they agree and show no noise. A
// nano-dollar is far below any price step (the price table works in micro-dollars per token batch).

/** Decimal places kept in USD figures. */
export const USD_DECIMALS = 9;

/** `v` rounded to 1e-9 USD (through its decimal form, which stays exact for any realistic amount). */
export function roundUsd(v: number): number {
  if (!Number.isFinite(v)) return v;
  const rounded = Number(v.toFixed(USD_DECIMALS));
  // -0 reads oddly in JSON consumers that keep it.
  return rounded === 0 ? 0 : rounded;
}
