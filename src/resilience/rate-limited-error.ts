/**
 * The error every rate-control policy (semaphore, token bucket, provider limiter) throws when it
 * refuses a call, and the events they share. One error for the idea "not now, too much load":
 * `reason` says which limit, `retryAfterMs` (when known) when to come back.
 */
import { WardenError } from '../runtime/index.ts';

export type RateLimitReason =
  /** The wait queue is at capacity. */
  | 'queue_full'
  /** The call waited `queueTimeoutMs` without being served. */
  | 'queue_timeout'
  /** A token bucket could not serve the call within `queueTimeoutMs` even if it waited. */
  | 'would_wait_too_long'
  /** The call asks for more tokens than the bucket can ever hold. */
  | 'over_capacity';

export type LimiterKind = 'semaphore' | 'token_bucket' | 'provider';

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** A limiter refused a call. */
    'limiter.rejected': {
      readonly limiter: string;
      readonly kind: LimiterKind;
      readonly reason: RateLimitReason;
      readonly queued: number;
    };
    /** A queued call was let through after waiting. */
    'limiter.waited': { readonly limiter: string; readonly kind: LimiterKind; readonly waitedMs: number };
  }
}

/** A limiter refused a call. Retryable unless the call can never fit (`over_capacity`). */
export class RateLimitedError extends WardenError {
  readonly code = 'RATE_LIMITED';
  override readonly retryable: boolean;
  readonly limiter: string;
  readonly kind: LimiterKind;
  readonly reason: RateLimitReason;
  /** When the limiter expects room again, in ms from now (if it can tell). */
  readonly retryAfterMs: number | undefined;

  constructor(limiter: string, kind: LimiterKind, reason: RateLimitReason, retryAfterMs?: number) {
    super(`${kind.replace('_', ' ')} "${limiter}" refused the call: ${DESCRIPTIONS[reason]}` +
      (retryAfterMs === undefined ? '' : `; room expected in ${Math.ceil(retryAfterMs)} ms`));
    this.limiter = limiter;
    this.kind = kind;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
    this.retryable = reason !== 'over_capacity';
  }

  protected override details(): Record<string, unknown> {
    return { limiter: this.limiter, kind: this.kind, reason: this.reason, retryAfterMs: this.retryAfterMs };
  }
}

const DESCRIPTIONS: Record<RateLimitReason, string> = {
  queue_full: 'its wait queue is full',
  queue_timeout: 'the call waited too long in the queue',
  would_wait_too_long: 'the call would wait longer than the queue timeout',
  over_capacity: 'the call asks for more than the bucket can ever hold',
};
