/**
 * Retry: run the work again after a transient failure, up to `maxAttempts` attempts, waiting an
 * exponential full-jitter backoff between attempts (or exactly what the server asked for in
 * `Retry-After`), on the injected clock and random source.
 *
 * Guarantees:
 * - at most `maxAttempts` calls of the work per `execute`;
 * - only failures `classify` calls transient are retried (by default {@link classifyFailure}:
 *   429/5xx/529/timeouts/network), and anything else is rethrown at once, so a plain `Error`
 *   gets one attempt: the `retry.gave_up` event says so (`reason: 'not_transient'`, with the
 *   classifier's verdict and a hint). `retryOn: 'all'` retries every error instead (what
 *   cockatiel's `handleAll` does); `classify` still supplies the `Retry-After`;
 * - a server's `Retry-After` longer than `maxRetryAfterMs` ends the retries instead of hammering
 *   early or sleeping for an hour;
 * - aborting the signal stops the wait at once (rejecting with the signal's reason) and no new
 *   attempt starts; the work sees the same signal;
 * - the error that ends the retries is the last attempt's own error, unchanged.
 */
import { z } from 'zod';
import { realClock, systemRandom, type Clock, type EventBus, type Random } from '../runtime/index.ts';
import { fullJitterDelay } from './backoff.ts';
import { LiveConfig, TunablePolicy, parseWith, schemas, type WiringOptions } from './options.ts';
import { NEVER_ABORTED, type Policy, type PolicyContext, type Work } from './policy.ts';
import { classifyFailure, type FailureClass } from './transient.ts';

/**
 * Why retrying stopped. `not_transient`: `classify` did not call the failure transient (and
 * `retryOn` is `'transient'`); it was called `permanent` before, a wrong name for an error that
 * is merely not known to be transient, such as a plain `Error`.
 */
export type RetryGiveUpReason = 'max_attempts' | 'not_transient' | 'aborted' | 'retry_after_too_long';

/** Which failures are retried: those `classify` calls transient, or every one. */
export type RetryOn = 'transient' | 'all';
export const RETRY_ON: readonly RetryOn[] = ['transient', 'all'];

/** The retry options that can be changed at run time. */
export interface RetryTunables {
  /** Name in events and errors. @default 'retry' */
  readonly name: string;
  /** Attempts in all, the first included (1 = never retry). @default 3 */
  readonly maxAttempts: number;
  /** Cap of the first backoff delay, ms. @default 500 */
  readonly baseDelayMs: number;
  /** Largest backoff delay, ms. @default 30_000 */
  readonly maxDelayMs: number;
  /** Growth of the backoff cap per retry. @default 2 */
  readonly factor: number;
  /** A server-requested delay (`Retry-After`) longer than this ends the retries, ms. @default 60_000 */
  readonly maxRetryAfterMs: number;
  /**
   * Which failures are retried: `'transient'`, those `classify` calls transient (429, 5xx,
   * timeouts, network; not a plain `Error`), or `'all'`, every error (an abort of the caller's
   * signal still stops at once). @default 'transient'
   */
  readonly retryOn: RetryOn;
}

export const RETRY_DEFAULTS: RetryTunables = Object.freeze({
  name: 'retry',
  maxAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  maxRetryAfterMs: 60_000,
  retryOn: 'transient',
});

export interface RetryOptions extends Partial<RetryTunables>, WiringOptions {
  /** Source of jitter. @default systemRandom */
  readonly random?: Random;
  /** Decides which failures are retried and how long the server asked to wait. @default classifyFailure */
  readonly classify?: (error: unknown, nowMs: number) => FailureClass;
}

/** What the work receives from a retry: the signal and the attempt number (1-based). */
export interface RetryContext extends PolicyContext {
  readonly attempt: number;
}

const tunableShape = z.strictObject({
  name: schemas.name,
  maxAttempts: schemas.positiveInt,
  baseDelayMs: schemas.ms,
  maxDelayMs: schemas.ms,
  factor: z.number().min(1).finite(),
  maxRetryAfterMs: schemas.msOrInfinity,
  retryOn: z.enum(RETRY_ON),
});
const tunableSchema = tunableShape.superRefine((c, ctx) => {
  if (c.baseDelayMs > c.maxDelayMs) {
    ctx.addIssue({ code: 'custom', path: ['baseDelayMs'], message: `must be <= maxDelayMs (${c.maxDelayMs})` });
  }
});
const optionsSchema = tunableShape.partial().extend({
  clock: schemas.clock.optional(),
  bus: schemas.bus.optional(),
  random: schemas.random.optional(),
  classify: schemas.fn<(error: unknown, nowMs: number) => FailureClass>().optional(),
});

export class Retry extends TunablePolicy<RetryTunables> implements Policy<RetryContext> {
  readonly clock: Clock;
  protected readonly bus: EventBus | undefined;
  private readonly random: Random;
  private readonly classify: (error: unknown, nowMs: number) => FailureClass;
  protected readonly live: LiveConfig<RetryTunables>;

  constructor(options: RetryOptions = {}) {
    super('retry');
    const subject = typeof options?.name === 'string' ? `retry "${options.name}"` : 'retry';
    const { clock, bus, random, classify, ...rest } = parseWith(subject, optionsSchema, options);
    this.clock = clock ?? realClock;
    this.bus = bus;
    this.random = random ?? systemRandom;
    this.classify = classify ?? classifyFailure;
    this.live = LiveConfig.withDefaults<RetryTunables>(subject, tunableShape, RETRY_DEFAULTS, rest, tunableSchema);
  }

  async execute<T>(fn: Work<T, RetryContext>, signal?: AbortSignal): Promise<T> {
    const sig = signal ?? NEVER_ABORTED;
    for (let attempt = 1; ; attempt++) {
      if (sig.aborted) throw sig.reason;
      try {
        const value = await fn({ signal: sig, attempt });
        if (attempt > 1 && this.bus?.wants('retry.recovered')) {
          this.bus.emit({ type: 'retry.recovered', policy: this.live.current.name, attempts: attempt });
        }
        return value;
      } catch (error) {
        const delayMs = this.delayAfter(error, attempt, sig);
        try {
          await this.clock.sleep(delayMs, sig);
        } catch (reason) {
          if (this.bus?.wants('retry.gave_up')) {
            this.bus.emit({ type: 'retry.gave_up', policy: this.live.current.name, attempts: attempt, error, reason: 'aborted' });
          }
          throw reason;
        }
      }
    }
  }

  /** The wait before the next attempt, or throw `error` (after reporting) if there is none. */
  private delayAfter(error: unknown, attempt: number, signal: AbortSignal): number {
    const cfg = this.live.current;
    const verdict = this.classify(error, this.clock.now());
    let reason: RetryGiveUpReason | undefined;
    let delayMs: number | undefined;
    if (signal.aborted) reason = 'aborted';
    else if (!verdict.transient && cfg.retryOn === 'transient') reason = 'not_transient';
    else if (attempt >= cfg.maxAttempts) reason = 'max_attempts';
    else if (verdict.retryAfterMs !== undefined) {
      if (verdict.retryAfterMs > cfg.maxRetryAfterMs) reason = 'retry_after_too_long';
      else delayMs = verdict.retryAfterMs;
    } else {
      delayMs = fullJitterDelay(attempt, cfg, this.random);
    }
    const bus = this.bus;
    if (bus !== undefined) {
      if (bus.wants('retry.attempt_failed')) {
        bus.emit({
          type: 'retry.attempt_failed',
          policy: cfg.name,
          attempt,
          error,
          transient: verdict.transient,
          delayMs,
        });
      }
      if (reason !== undefined && bus.wants('retry.gave_up')) {
        bus.emit(
          reason === 'not_transient'
            ? {
                type: 'retry.gave_up',
                policy: cfg.name,
                attempts: attempt,
                error,
                reason,
                classification: verdict.reason,
                hint: notTransientHint(verdict.reason),
              }
            : { type: 'retry.gave_up', policy: cfg.name, attempts: attempt, error, reason },
        );
      }
    }
    if (reason !== undefined || delayMs === undefined) throw error;
    return delayMs;
  }
}

/** Why a failure was not retried, and what would have it retried. */
function notTransientHint(classification: string): string {
  const why =
    classification === 'unknown' || classification === 'not an error object'
      ? 'it has no HTTP status, network error code or timeout name that marks it transient'
      : `it was classified as ${classification}, which is not transient`;
  return `not retried: ${why}; set retryOn: 'all' to retry every error, or pass classify to decide`;
}
