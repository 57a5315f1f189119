/**
 * The model client's options: their type, every default in one frozen const, the zod schema a
 * configuration is checked against, and {@link resolveClientOptions}, which checks a
 * configuration once at construction and resolves it into the {@link ClientSettings} the call
 * path reads. Nothing here runs per call.
 *
 * Beyond the schema, a configuration is refused when a budget caps USD and there is no `pricing`
 * (costs could not be counted), and when `pricing` has no price for one of the models (and no
 * `'*'` entry).
 */
import { z } from 'zod';
import { InvalidSpecError, realClock, systemRandom, type Clock, type EventBus, type Random } from '../runtime/index.ts';
import { Budget, ProviderLimiter, parseWith, type BreakerOptions, type PricingTable, type ResultCache, type RetryTunables } from '../resilience/index.ts';
import { ProviderAdapter } from './adapter.ts';
import { budgetCapsUsd } from './attempt-budget.ts';
import type { ModelRequest, ModelResponse } from './types.ts';

export type StreamFailurePolicy = 'discard' | 'resume';

export interface ModelClientOptions<Q = never> {
  /** Name in events and errors. @default 'model' */
  readonly name?: string;
  /** Models in order of preference: the first is `primary`, the others are fallbacks. */
  readonly models: readonly ProviderAdapter[];
  /** Retry options for every model, or `false` for one attempt per model. @default { maxAttempts: 3 } */
  readonly retry?: Partial<Omit<RetryTunables, 'name'>> | false;
  /** Breaker options (one breaker per model, named `provider:model`), or `false`. @default consecutive 5 failures, open 30 s */
  readonly breaker?: Omit<BreakerOptions, 'name' | 'clock' | 'bus'> | false;
  /** Deadline of each attempt (a stream's whole attempt included), ms. @default 120_000 */
  readonly timeoutMs?: number;
  /** Longest gap between two stream events, ms. @default 30_000 */
  readonly streamIdleTimeoutMs?: number;
  /** What happens to a stream's partial output when it fails midway (see the module doc). @default 'discard' */
  readonly streamFailure?: StreamFailurePolicy;
  /** Budget scope every attempt reserves from and commits to. @default none */
  readonly budget?: Budget;
  /** Prices for cost metering (required when the budget caps USD). @default none (costUsd undefined) */
  readonly pricing?: PricingTable;
  /** Rate limiters by provider name (an adapter's `name`). @default none */
  readonly limiters?: Readonly<Record<string, ProviderLimiter>>;
  /** Ladder level: serve a stored good answer for the same request. @default none */
  readonly cache?: ResultCache<ModelResponse>;
  /** Ladder level: a fixed answer text. @default none */
  readonly staticAnswer?: (request: ModelRequest, failures: readonly { readonly source: string; readonly error: unknown }[]) => string;
  /** Ladder level: park the request and return a ticket. @default none */
  readonly queue?: (request: ModelRequest, failures: readonly { readonly source: string; readonly error: unknown }[]) => PromiseLike<Q> | Q;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly bus?: EventBus;
}

export const MODEL_CLIENT_DEFAULTS = Object.freeze({
  name: 'model',
  retry: Object.freeze({ maxAttempts: 3 }),
  breaker: Object.freeze({ trip: Object.freeze({ kind: 'consecutive', failures: 5 }), openMs: 30_000 }),
  timeoutMs: 120_000,
  streamIdleTimeoutMs: 30_000,
  streamFailure: 'discard' as StreamFailurePolicy,
});

const optionsSchema = z.strictObject({
  name: z.string().min(1).optional(),
  models: z
    .array(z.custom<ProviderAdapter>((v) => v instanceof ProviderAdapter, { message: 'must be a model adapter (openaiChat, anthropicMessages)' }))
    .min(1),
  retry: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
  breaker: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
  timeoutMs: z.number().gt(0).optional(),
  streamIdleTimeoutMs: z.number().gt(0).optional(),
  streamFailure: z.enum(['discard', 'resume']).optional(),
  budget: z.custom<Budget>((v) => v instanceof Budget, { message: 'must be a Budget' }).optional(),
  pricing: z.record(z.string(), z.unknown()).optional(),
  limiters: z
    .record(
      z.string(),
      z.custom<ProviderLimiter>((v) => v instanceof ProviderLimiter, { message: 'must be a ProviderLimiter' }),
    )
    .optional(),
  cache: z
    .custom<ResultCache<ModelResponse>>((v) => typeof v === 'object' && v !== null && typeof (v as { get?: unknown }).get === 'function', {
      message: 'must be a cache (get, set)',
    })
    .optional(),
  staticAnswer: z.custom<(...a: never[]) => unknown>((v) => typeof v === 'function', { message: 'must be a function' }).optional(),
  queue: z.custom<(...a: never[]) => unknown>((v) => typeof v === 'function', { message: 'must be a function' }).optional(),
  clock: z.custom<Clock>((v) => typeof (v as Clock | undefined)?.now === 'function', { message: 'must be a Clock' }).optional(),
  random: z.custom<Random>((v) => typeof v === 'function', { message: 'must be a function' }).optional(),
  bus: z.custom<EventBus>((v) => typeof (v as EventBus | undefined)?.emit === 'function', { message: 'must be an EventBus' }).optional(),
});

/** What the client's calls read: the options checked, with every default filled in. */
export interface ClientSettings {
  /** Subject of configuration errors: `model client "writer"`. */
  readonly subject: string;
  readonly name: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly bus: EventBus | undefined;
  /** The client's own budget scope. */
  readonly budget: Budget | undefined;
  readonly pricing: PricingTable | undefined;
  readonly timeoutMs: number;
  /** Longest gap between two stream events, ms (`streamIdleTimeoutMs`). */
  readonly idleMs: number;
  readonly streamFailure: StreamFailurePolicy;
}

/** Check `options` (throws InvalidSpecError naming the field) and fill in the defaults. */
export function resolveClientOptions<Q>(options: ModelClientOptions<Q>): ClientSettings {
  const subject = typeof options.name === 'string' ? `model client "${options.name}"` : 'model client';
  const o = parseWith(subject, optionsSchema, options);
  const budget = o.budget;
  const pricing = o.pricing as PricingTable | undefined;
  if (budgetCapsUsd(budget) && pricing === undefined) {
    throw new InvalidSpecError(subject, 'pricing', undefined, 'is required when the budget caps usd (costs could not be counted)');
  }
  if (pricing !== undefined) {
    options.models.forEach((m, i) => {
      if (pricing[m.model] === undefined && pricing['*'] === undefined) {
        throw new InvalidSpecError(subject, `models[${i}]`, m.model, "has no price in `pricing` (add it or a '*' entry)");
      }
    });
  }
  return Object.freeze({
    subject,
    name: o.name ?? MODEL_CLIENT_DEFAULTS.name,
    clock: o.clock ?? realClock,
    random: o.random ?? systemRandom,
    bus: o.bus,
    budget,
    pricing,
    timeoutMs: o.timeoutMs ?? MODEL_CLIENT_DEFAULTS.timeoutMs,
    idleMs: o.streamIdleTimeoutMs ?? MODEL_CLIENT_DEFAULTS.streamIdleTimeoutMs,
    streamFailure: o.streamFailure ?? MODEL_CLIENT_DEFAULTS.streamFailure,
  });
}
