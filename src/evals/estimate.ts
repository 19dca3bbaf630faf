// The cost of a suite, estimated before anything runs, so `--max-cost` can refuse a suite before it spends.
// A scripted model costs what its script declares (usually 0); a priced model, the suite's expected turns
// and tokens at its price; a judge, its whole budget (an upper bound). A model without a known price
// makes the estimate unknown, and a `--max-cost` then refuses rather than guess. Specialists count too, once
// each per case run (a lower bound when a case delegates to one several times; the spend cap is the backstop).

import { type PriceTable, priceOf } from '../models/pricing.js';
import { loadScript } from '../models/script/script-file.js';
import type { Role } from '../roles/schema.js';
import type { EvalCase, Suite } from './suite-file.js';

export interface CostEstimate {
  usd: number;
  /** Model specs with no known price: when any, `usd` leaves them out. */
  unpriced: string[];
}

/** One run of `spec`: a script's declared cost, or the suite's expected turns and tokens at its price. */
export function modelCost(spec: string, suite: Suite, prices: PriceTable | undefined): number | undefined {
  if (spec.startsWith('script:')) {
    const script = loadScript(spec.slice('script:'.length));
    return script.turns.reduce((sum, t) => sum + (t.usage?.costUsd ?? 0), 0);
  }
  const price = priceOf(spec, prices);
  if (!price) return undefined;
  const { turns, inputTokens, outputTokens } = suite.estimate;
  return (turns * (inputTokens * price.input + outputTokens * price.output)) / 1_000_000;
}

/** What the suite's cases may cost over `repeat` repeats. */
export function estimateCost(
  role: Role,
  suite: Suite,
  cases: readonly EvalCase[],
  repeat: number,
  prices?: PriceTable,
): CostEstimate {
  let usd = 0;
  const unpriced = new Set<string>();
  const cost = (spec: string): number => {
    const run = modelCost(spec, suite, prices);
    if (run === undefined) unpriced.add(spec);
    return run ?? 0;
  };
  // The specialists a case may delegate to (at any depth) run on their own models, replayed case or not:
  // counted once each per case run, and an unpriced one makes the estimate unknown like the role's own.
  let specialists = 0;
  const visit = (r: Role) => {
    for (const s of r.specialists ?? []) {
      specialists += cost(s.model);
      visit(s);
    }
  };
  visit(role);
  for (const c of cases) {
    // A replayed recording was paid for when it was recorded.
    const spec = c.replay ? undefined : (c.model ?? role.model);
    usd += (spec === undefined ? 0 : cost(spec)) + specialists + (c.grader?.maxCostUsd ?? 0);
  }
  return { usd: usd * repeat, unpriced: [...unpriced] };
}
