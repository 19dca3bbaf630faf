// What a model turn cost, in USD. The table holds list prices per million tokens for a handful of models;
// it is a default, overridable per model spec in nightshift.config.yaml (`models.prices`), because prices
// change and this table cannot know a negotiated rate. A model the table does not know costs 0 and is
// reported as unpriced, so the caller can say "cost unknown" instead of "free".
import type { Usage } from './types.js';

/**
 * USD per million tokens. `cachedInput` is the price of input tokens read from the provider's cache;
 * `cacheWriteInput` the price of input tokens written to it for the default 5-minute cache (Anthropic charges
 * 1.25 times the input price), `cacheWrite1hInput` for Anthropic's 1-hour cache (2 times the input price).
 * OpenAI caches without a charge and reports no writes.
 */
export interface Price {
  input: number;
  output: number;
  cachedInput?: number | undefined;
  cacheWriteInput?: number | undefined;
  cacheWrite1hInput?: number | undefined;
}

/** Anthropic's 5-minute prompt-cache write, as a multiple of the input price: the default `cacheWriteInput`. */
export const CACHE_WRITE_MULTIPLIER = 1.25;

/** Anthropic's 1-hour prompt-cache write, as a multiple of the input price: the default `cacheWrite1hInput`. */
export const CACHE_WRITE_1H_MULTIPLIER = 2;

export type PriceTable = Record<string, Price>;

/**
 * List prices by model spec, as published by the providers when this table was written. Check the providers'
 * pricing pages before trusting a cost, and override in nightshift.config.yaml. Newer ids (for example
 * `anthropic:claude-opus-4-8`) are left out rather than guessed: they come out unpriced.
 */
export const DEFAULT_PRICES: Readonly<PriceTable> = {
  'anthropic:claude-opus-4-5': { input: 5, output: 25, cachedInput: 0.5, cacheWriteInput: 6.25 },
  'anthropic:claude-opus-4-1': { input: 15, output: 75, cachedInput: 1.5, cacheWriteInput: 18.75 },
  'anthropic:claude-sonnet-4-5': { input: 3, output: 15, cachedInput: 0.3, cacheWriteInput: 3.75 },
  'anthropic:claude-sonnet-4': { input: 3, output: 15, cachedInput: 0.3, cacheWriteInput: 3.75 },
  'anthropic:claude-haiku-4-5': { input: 1, output: 5, cachedInput: 0.1, cacheWriteInput: 1.25 },
  'openai:gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'openai:gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'openai:gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005 },
  'openai:gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'openai:gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'openai:gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  'openai:gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
};

/** A dated snapshot id costs what its alias costs: `claude-sonnet-4-5-20250929`, `gpt-4.1-2025-04-14`. */
const SNAPSHOT_SUFFIX = /-(?:\d{8}|\d{4}-\d{2}-\d{2})$/;

/**
 * The price of a model spec: the overrides first, then the default table. Each is asked for the spec as given,
 * then without a date suffix, then (for `openai-compatible:<model>@<url>`) as `openai-compatible:<model>`;
 * `openai-chat:<model>` is priced as `openai:<model>` when it has no price of its own.
 */
export function priceOf(spec: string, overrides?: PriceTable): Price | undefined {
  const keys = [spec, spec.replace(SNAPSHOT_SUFFIX, '')];
  // The same model over Chat Completions costs what it costs over the Responses API.
  if (spec.startsWith('openai-chat:'))
    keys.push(...keys.map((k) => `openai:${k.slice('openai-chat:'.length)}`));
  if (spec.startsWith('openai-compatible:') && spec.includes('@'))
    keys.push(spec.slice(0, spec.lastIndexOf('@')));
  for (const table of [overrides, DEFAULT_PRICES]) {
    for (const key of keys) {
      const price = table && Object.hasOwn(table, key) ? table[key] : undefined;
      if (price) return price;
    }
  }
  return undefined;
}

export interface Cost {
  costUsd: number;
  /** False when no price is known for the model: `costUsd` is then 0 and means "unknown", not "free". */
  priced: boolean;
}

/**
 * The tokens a turn is charged for. `cacheWriteInputTokens` only from a provider that reports cache writes: all
 * of them, whatever the cache's lifetime; `cacheWrite1hInputTokens` the part of those written to a 1-hour cache
 * (Anthropic's usage.cache_creation.ephemeral_1h_input_tokens), the rest being 5-minute writes.
 */
export type PricedUsage = Pick<Usage, 'inputTokens' | 'outputTokens' | 'cachedInputTokens'> & {
  cacheWriteInputTokens?: number | undefined;
  cacheWrite1hInputTokens?: number | undefined;
};

/**
 * The cost of one turn. `inputTokens` counts the whole prompt, cached part included; the part read from the
 * cache is charged at `cachedInput` (or `input` when the price has none), the part written to the cache at
 * `cacheWriteInput` (or 1.25 × `input` when the price has none: a price override that names only input and
 * output still charges Anthropic's cache writes as Anthropic does), the part of those written to a 1-hour cache
 * at `cacheWrite1hInput` (or 2 × `input`).
 *
 * @example
 * costOf('anthropic:claude-sonnet-4-5', { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 400 });
 * // { costUsd: 0.00492, priced: true }
 */
export function costOf(spec: string, usage: PricedUsage, overrides?: PriceTable): Cost {
  const price = priceOf(spec, overrides);
  if (!price) return { costUsd: 0, priced: false };
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const written = Math.min(usage.cacheWriteInputTokens ?? 0, usage.inputTokens - cached);
  const writtenFor1h = Math.min(usage.cacheWrite1hInputTokens ?? 0, written);
  const micro =
    (usage.inputTokens - cached - written) * price.input +
    cached * (price.cachedInput ?? price.input) +
    (written - writtenFor1h) * (price.cacheWriteInput ?? price.input * CACHE_WRITE_MULTIPLIER) +
    writtenFor1h * (price.cacheWrite1hInput ?? price.input * CACHE_WRITE_1H_MULTIPLIER) +
    usage.outputTokens * price.output;
  return { costUsd: roundUsd(micro / 1_000_000), priced: true };
}

/**
 * An amount of USD rounded to 1e-10 (a hundredth of a millionth of a cent): prices per million tokens divided
 * out, and sums of such, carry binary noise that `--json` printed as 0.00020124999999999999.
 */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}

/**
 * An amount of USD for a message: at least 4 decimals, more when it has them (up to 10), so an amount just
 * over a small limit reads as over it ($0.000105 of $0.0001, not $0.0001 of $0.0001).
 */
export function formatUsd(usd: number): string {
  return `$${roundUsd(usd)
    .toFixed(10)
    .replace(/(\.\d{4}\d*?)0+$/, '$1')}`;
}
