// Prices in USD per million tokens. A table of defaults, overridable per model spec in
// nightshift.config.yaml (models.prices). An unknown model costs 0 and is reported as unpriced.
import type { Usage } from './types.js';

export interface Price {
  input: number;
  output: number;
  cachedInput?: number | undefined;
}

export const DEFAULT_PRICES: Record<string, Price> = {
  'anthropic:claude-opus-4-5': { input: 5, output: 25, cachedInput: 0.5 },
  'anthropic:claude-sonnet-4-5': { input: 3, output: 15, cachedInput: 0.3 },
  'anthropic:claude-haiku-4-5': { input: 1, output: 5, cachedInput: 0.1 },
  'openai:gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'openai:gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'openai:gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'openai:gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
};

export function priceOf(spec: string, overrides?: Record<string, Price>): Price | undefined {
  return overrides?.[spec] ?? DEFAULT_PRICES[spec];
}

export function costOf(price: Price | undefined, usage: Omit<Usage, 'costUsd'>): number {
  if (!price) return 0;
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens);
  const cached = usage.cachedInputTokens * (price.cachedInput ?? price.input);
  return (uncached * price.input + cached + usage.outputTokens * price.output) / 1_000_000;
}
