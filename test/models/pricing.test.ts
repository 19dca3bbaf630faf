// The price table: cost of a turn, overrides, dated snapshots, and unknown models reported as unpriced.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { costOf, DEFAULT_PRICES, priceOf } from '../../src/models/pricing.js';

const usage = { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 400 };

describe('pricing', () => {
  it('charges uncached input, cached input and output at their own prices', () => {
    // 600 × $3 + 400 × $0.30 + 200 × $15, per million tokens.
    const cost = costOf('anthropic:claude-sonnet-4-5', usage);
    assert.equal(cost.priced, true);
    assert.ok(Math.abs(cost.costUsd - 0.00492) < 1e-12, String(cost.costUsd));
  });

  it('charges cached input at the input price when the price has no cached rate', () => {
    const cost = costOf('x:y', usage, { 'x:y': { input: 1, output: 0 } });
    assert.equal(cost.costUsd, 1000 / 1e6);
  });

  it('charges cache writes at 1.25 × input and cache reads at 0.1 × input for Anthropic models', () => {
    // 1000 input: 300 read from the cache, 500 written to it, 200 plain; sonnet 4.5 is $3 input per million.
    const cost = costOf('anthropic:claude-sonnet-4-5', {
      inputTokens: 1000,
      outputTokens: 0,
      cachedInputTokens: 300,
      cacheWriteInputTokens: 500,
    });
    assert.ok(
      Math.abs(cost.costUsd - (200 * 3 + 300 * 0.3 + 500 * 3.75) / 1e6) < 1e-12,
      String(cost.costUsd),
    );
    for (const [spec, price] of Object.entries(DEFAULT_PRICES).filter(([s]) => s.startsWith('anthropic:'))) {
      assert.ok(Math.abs((price.cacheWriteInput ?? 0) - price.input * 1.25) < 1e-9, spec);
      assert.ok(Math.abs((price.cachedInput ?? 0) - price.input * 0.1) < 1e-9, spec);
    }
  });

  it('charges cache writes at 1.25 × input when an override names no cache-write price, and at its own when it does', () => {
    const written = { inputTokens: 1000, outputTokens: 0, cachedInputTokens: 0, cacheWriteInputTokens: 1000 };
    assert.equal(costOf('x:y', written, { 'x:y': { input: 2, output: 0 } }).costUsd, 2500 / 1e6);
    assert.equal(
      costOf('x:y', written, { 'x:y': { input: 2, output: 0, cacheWriteInput: 4 } }).costUsd,
      4000 / 1e6,
    );
  });

  it("charges the 1-hour part of the cache writes at 2 × input, or at an override's cacheWrite1hInput", () => {
    const written = {
      inputTokens: 1000,
      outputTokens: 0,
      cachedInputTokens: 0,
      cacheWriteInputTokens: 1000,
      cacheWrite1hInputTokens: 600,
    };
    // 400 written for 5 minutes at 2.5, 600 for an hour at 4.
    assert.equal(costOf('x:y', written, { 'x:y': { input: 2, output: 0 } }).costUsd, 3400 / 1e6);
    assert.equal(
      costOf('x:y', written, { 'x:y': { input: 2, output: 0, cacheWrite1hInput: 5 } }).costUsd,
      4000 / 1e6,
    );
    // More 1-hour writes than writes (a confused gateway) charges no more than the writes.
    assert.equal(
      costOf('x:y', { ...written, cacheWrite1hInputTokens: 5000 }, { 'x:y': { input: 2, output: 0 } })
        .costUsd,
      4000 / 1e6,
    );
  });

  it('reports an unknown model as unpriced, costing 0', () => {
    assert.deepEqual(costOf('anthropic:claude-future-9', usage), { costUsd: 0, priced: false });
    assert.deepEqual(costOf('openai-compatible:llama3@http://127.0.0.1:1/v1', usage), {
      costUsd: 0,
      priced: false,
    });
  });

  it('prefers an override to the default table', () => {
    const cost = costOf('openai:gpt-5', usage, { 'openai:gpt-5': { input: 0, output: 1000 } });
    assert.equal(cost.costUsd, 0.2);
  });

  it('prices dated snapshots like their alias', () => {
    assert.equal(
      priceOf('anthropic:claude-sonnet-4-5-20250929'),
      DEFAULT_PRICES['anthropic:claude-sonnet-4-5'],
    );
    assert.equal(priceOf('openai:gpt-4.1-mini-2025-04-14'), DEFAULT_PRICES['openai:gpt-4.1-mini']);
  });

  it('prices an openai-compatible model by its spec with or without the URL', () => {
    const price = { input: 0.1, output: 0.2 };
    assert.equal(
      priceOf('openai-compatible:llama3@http://h/v1', { 'openai-compatible:llama3': price }),
      price,
    );
    assert.equal(
      priceOf('openai-compatible:llama3@http://h/v1', { 'openai-compatible:llama3@http://h/v1': price }),
      price,
    );
  });

  it('does not mistake object keys for prices', () => {
    assert.equal(priceOf('constructor'), undefined);
    assert.equal(priceOf('__proto__'), undefined);
  });
});
