// The CLI's look at a model spec before anything runs: a spec that cannot work is an error (before the store
// is opened), a model with no known price a warning, since its cost is recorded as 0 and no cost budget can
// stop it.
import { NightshiftError } from '../errors.js';
import { type ModelSettings, resolveAgent } from '../models/resolve.js';

export interface ModelCheck {
  /** Why the spec cannot run here, or undefined. */
  error: NightshiftError | undefined;
  /** True when the only problem is a missing API key (the environment's, not the role's). */
  missingKey: boolean;
  warnings: string[];
}

export function unpricedWarning(spec: string): string {
  return (
    `warning: no price is known for model ${spec}: its cost is recorded as $0 (unknown), so budget.maxCostUsd ` +
    'and budget.maxCostUsdPerDay cannot stop it; add its price under models.prices in nightshift.config.yaml'
  );
}

/** Builds the model (or executor) as a run would (no request is made) and reports what is wrong with it. */
export function checkModel(spec: string, config: ModelSettings | undefined, env = process.env): ModelCheck {
  try {
    const agent = resolveAgent(spec, { env, config });
    return {
      error: undefined,
      missingKey: false,
      warnings: agent.kind === 'model' && agent.model.priced === false ? [unpricedWarning(spec)] : [],
    };
  } catch (err) {
    if (!NightshiftError.isInstance(err)) throw err;
    return { error: err, missingKey: err.details?.problem === 'missing_key', warnings: [] };
  }
}
