/**
 * Per-provider rate control: one object that applies a provider's request rate (requests/min),
 * token rate (tokens/min) and concurrency cap to every call, in that order, within one overall
 * queue deadline.
 *
 * Guarantees: a call runs only after it holds a request token, its estimated tokens and a
 * concurrency permit; if a later stage refuses (queue full, timeout, abort), what the earlier
 * stages granted is given back (tokens refunded), so a refused call costs the budget nothing; the
 * permit is released on every exit path. Rate tokens are taken before the permit, so a call never
 * sits on a concurrency slot while it waits for the rate to allow it.
 */
import { z } from 'zod';
import { realClock, type Clock, type EventBus } from '../runtime/index.ts';
import { parseWith, schemas, type WiringOptions } from './options.ts';
import { NEVER_ABORTED_CONTEXT, contextFor, type Policy, type PolicyContext, type Work } from './policy.ts';
import { Semaphore } from './semaphore.ts';
import { TokenBucket } from './token-bucket.ts';

export interface ProviderLimits {
  /** Provider name; the parts are named `<provider>:rpm`, `<provider>:tpm`, `<provider>:concurrency`. */
  readonly provider: string;
  /** Request rate cap. @default unlimited */
  readonly requestsPerMinute?: number;
  /** Token rate cap (estimated tokens per call). @default unlimited */
  readonly tokensPerMinute?: number;
  /** Calls running at once. @default unlimited */
  readonly maxConcurrent?: number;
  /** Calls waiting at each stage. @default 100 */
  readonly maxQueue?: number;
  /** Longest total wait across all stages, ms. @default 30_000 */
  readonly queueTimeoutMs?: number;
}

export const PROVIDER_LIMITER_DEFAULTS = Object.freeze({ maxQueue: 100, queueTimeoutMs: 30_000 });

export interface ProviderLimiterOptions extends ProviderLimits, WiringOptions {}

const optionsSchema = z.strictObject({
  provider: schemas.name,
  requestsPerMinute: z.number().gt(0).finite().optional(),
  tokensPerMinute: z.number().gt(0).finite().optional(),
  maxConcurrent: schemas.positiveInt.optional(),
  maxQueue: schemas.nonNegativeInt.optional(),
  queueTimeoutMs: schemas.msOrInfinity.optional(),
  clock: schemas.clock.optional(),
  bus: schemas.bus.optional(),
});

export class ProviderLimiter implements Policy {
  readonly provider: string;
  readonly clock: Clock;
  /** The parts, for inspection and hot configuration (`limiter.requests?.configure(...)`). */
  readonly requests: TokenBucket | undefined;
  readonly tokens: TokenBucket | undefined;
  readonly concurrency: Semaphore | undefined;
  private readonly queueTimeoutMs: number;

  constructor(options: ProviderLimiterOptions) {
    const subject = typeof options?.provider === 'string' ? `provider limiter "${options.provider}"` : 'provider limiter';
    const o = parseWith(subject, optionsSchema, options);
    this.provider = o.provider;
    this.clock = o.clock ?? realClock;
    const bus: EventBus | undefined = o.bus;
    const maxQueue = o.maxQueue ?? PROVIDER_LIMITER_DEFAULTS.maxQueue;
    this.queueTimeoutMs = o.queueTimeoutMs ?? PROVIDER_LIMITER_DEFAULTS.queueTimeoutMs;
    const wiring = { clock: this.clock, ...(bus === undefined ? {} : { bus }) };
    const common = { maxQueue, queueTimeoutMs: this.queueTimeoutMs, ...wiring };
    this.requests = o.requestsPerMinute === undefined ? undefined : new TokenBucket({ name: `${o.provider}:rpm`, perMinute: o.requestsPerMinute, ...common });
    this.tokens = o.tokensPerMinute === undefined ? undefined : new TokenBucket({ name: `${o.provider}:tpm`, perMinute: o.tokensPerMinute, ...common });
    this.concurrency =
      o.maxConcurrent === undefined ? undefined : new Semaphore({ name: `${o.provider}:concurrency`, maxConcurrent: o.maxConcurrent, ...common });
  }

  /**
   * Run `fn` once the provider's limits allow a call of `tokens` estimated tokens. `fn` may
   * report the actual token count through `context.reportTokens(n)`; the difference is charged to
   * (or refunded from) the token bucket.
   */
  async run<T>(
    fn: (context: PolicyContext & { reportTokens(actual: number): void }) => PromiseLike<T> | T,
    options: { tokens?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    const estimate = options.tokens ?? 0;
    const signal = options.signal;
    const deadline = this.clock.now() + this.queueTimeoutMs;
    const left = (): number => Math.max(0, deadline - this.clock.now());
    await this.requests?.take(1, signal, left());
    try {
      await this.tokens?.take(estimate, signal, left());
    } catch (e) {
      this.requests?.refund(1);
      throw e;
    }
    try {
      await this.concurrency?.acquireWithin(left(), signal);
    } catch (e) {
      this.requests?.refund(1);
      this.tokens?.refund(estimate);
      throw e;
    }
    let reported = false;
    const base = contextFor(signal);
    const context = {
      signal: base.signal,
      reportTokens: (actual: number): void => {
        if (reported) return;
        reported = true;
        if (actual > estimate) this.tokens?.debit(actual - estimate);
        else if (actual < estimate) this.tokens?.refund(estimate - actual);
      },
    };
    try {
      return await fn(context);
    } finally {
      this.concurrency?.releaseOne();
    }
  }

  /** Run `fn` as a call of 0 estimated tokens (requests and concurrency only). */
  async execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T> {
    if (this.requests === undefined && this.tokens === undefined && this.concurrency === undefined) {
      return fn(signal === undefined ? NEVER_ABORTED_CONTEXT : contextFor(signal));
    }
    return this.run(fn, signal === undefined ? {} : { signal });
  }
}
