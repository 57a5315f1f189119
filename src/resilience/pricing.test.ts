/** Pricing: USD cost of token usage from a per-million-token table. */
import { describe, expect, it } from 'vitest';
import { costUsd, definePricing } from './pricing.ts';

const pricing = {
  'gpt-x': { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 },
  'claude-y': { inputPerMTok: 3, outputPerMTok: 15 },
};

describe('pricing', () => {
  it('prices input, cached input and output per million tokens', () => {
    expect(costUsd(pricing, { model: 'gpt-x', inputTokens: 1_000_000, cachedInputTokens: 2_000_000, outputTokens: 500_000 })).toBe(2 + 1 + 4);
    expect(costUsd(pricing, { model: 'claude-y', inputTokens: 1000, cachedInputTokens: 1000, outputTokens: 0 })).toBeCloseTo(0.006);
  });

  it('refuses to price an unknown model', () => {
    expect(() => costUsd(pricing, { model: 'mystery', inputTokens: 1, outputTokens: 1 })).toThrow(/no price for model "mystery"/);
  });

  it('uses the wildcard entry for unlisted models and validates tables and usage', () => {
    expect(costUsd({ '*': { inputPerMTok: 1, outputPerMTok: 1 } }, { model: 'any', inputTokens: 500_000, outputTokens: 500_000 })).toBe(1);
    expect(() => definePricing({ m: { inputPerMTok: 1 } as never })).toThrow(/pricing: m.outputPerMTok is required/);
    expect(() => costUsd(pricing, { model: 'gpt-x', inputTokens: -1, outputTokens: 0 })).toThrow(/usage: inputTokens must be >= 0/);
  });
});
