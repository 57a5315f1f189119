/**
 * The error every rate-control policy (semaphore, token bucket, provider limiter) throws when it
 * refuses a call (their shared events are in events.ts). One error for the idea "not now, too much load":
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

/** A limiter refused a call. Retryable unless the call can never fit (`over_capacity`). */
export class RateLimitedError extends WardenError<
  'RATE_LIMITED',
  {
    limiter: string;
    kind: LimiterKind;
    reason: RateLimitReason;
    /** When the limiter expects room again, in ms from now (if it can tell). */
    retryAfterMs: number | undefined;
  }
> {
  constructor(limiter: string, kind: LimiterKind, reason: RateLimitReason, retryAfterMs?: number) {
    super(
      'RATE_LIMITED',
      `${kind.replace('_', ' ')} "${limiter}" refused the call: ${DESCRIPTIONS[reason]}` +
        (retryAfterMs === undefined ? '' : `; room expected in ${Math.ceil(retryAfterMs)} ms`),
      { limiter, kind, reason, retryAfterMs },
      { retryable: reason !== 'over_capacity' },
    );
  }
}

const DESCRIPTIONS: Record<RateLimitReason, string> = {
  queue_full: 'its wait queue is full',
  queue_timeout: 'the call waited too long in the queue',
  would_wait_too_long: 'the call would wait longer than the queue timeout',
  over_capacity: 'the call asks for more than the bucket can ever hold',
};
