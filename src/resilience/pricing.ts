/**
 * Model pricing: what a call's token usage costs in USD, from a table of per-million-token prices
 * keyed by model. A model missing from the table is an error, never a free call: a budget that
 * silently counts $0 is no budget.
 */
import { z } from 'zod';
import { WardenError } from '../runtime/index.ts';
import { parseWith } from './options.ts';

/** Prices of one model in USD per million tokens. */
export interface ModelPrice {
  /** Uncached input (prompt) tokens. */
  readonly inputPerMTok: number;
  /** Output (completion) tokens. */
  readonly outputPerMTok: number;
  /** Input tokens served from the provider's prompt cache. @default inputPerMTok */
  readonly cachedInputPerMTok?: number;
}

/** Prices by model name; the key `'*'`, if present, prices any model not listed. */
export type PricingTable = Readonly<Record<string, ModelPrice>>;

/**
 * A call's token usage and the model that used it, as pricing and budgets take it: the model
 * layer's `Usage` (same fields, same meaning: `inputTokens` excludes cached input) with the
 * `model` whose prices apply, so `{ model, ...answer.usage }` is one. It is a type of its own
 * because it names the model, and because this layer sits below the model layer: `totalTokens`
 * is not read (it is worked out) and `cachedInputTokens` may be left out (0).
 */
export interface TokenUsage {
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens?: number;
}

/** No price is known for the model a call used. */
export class UnpricedModelError extends WardenError<'UNPRICED_MODEL', { model: string }> {
  constructor(model: string) {
    super('UNPRICED_MODEL', `no price for model "${model}": add it (or a '*' entry) to the budget's pricing table`, { model });
  }
}

const price = z.strictObject({
  inputPerMTok: z.number().min(0).finite(),
  outputPerMTok: z.number().min(0).finite(),
  cachedInputPerMTok: z.number().min(0).finite().optional(),
});
export const pricingSchema = z.record(z.string().min(1), price);

const usageSchema = z.object({
  model: z.string().min(1),
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  cachedInputTokens: z.number().int().min(0).optional(),
});

/** Validate a pricing table (throws `InvalidSpecError` naming the model and field). */
export function definePricing(table: PricingTable): PricingTable {
  return Object.freeze(parseWith('pricing', pricingSchema, table) as PricingTable);
}

/** Total tokens of a usage (input + cached input + output). */
export function totalTokens(usage: TokenUsage): number {
  return usage.inputTokens + (usage.cachedInputTokens ?? 0) + usage.outputTokens;
}

/** USD cost of `usage` under `table`. */
export function costUsd(table: PricingTable, usage: TokenUsage): number {
  parseWith('usage', usageSchema, usage);
  const p = table[usage.model] ?? table['*'];
  if (p === undefined) throw new UnpricedModelError(usage.model);
  return (
    (usage.inputTokens * p.inputPerMTok + (usage.cachedInputTokens ?? 0) * (p.cachedInputPerMTok ?? p.inputPerMTok) + usage.outputTokens * p.outputPerMTok) /
    1_000_000
  );
}
