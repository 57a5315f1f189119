/**
 * Token bucket: a rate limit such as 500 requests/min or 200,000 tokens/min. The bucket holds up
 * to `burst` tokens and refills continuously at `perMinute / 60_000` tokens per ms; a call takes
 * its cost in tokens, waiting in a bounded FIFO queue when there are not enough.
 *
 * Guarantees: over any window of W ms, the tokens granted never exceed `burst + W * rate`; calls
 * are served strictly in arrival order (a cheap call never overtakes an expensive one ahead of
 * it); a call that could not be served within `queueTimeoutMs` even after waiting is refused at
 * once with {@link RateLimitedError} (`retryAfterMs` says when it would fit); a cost above
 * `burst` can never be served and is refused as `over_capacity`. `debit(n)` charges usage found
 * out after the call (actual tokens above the estimate), which delays later calls accordingly.
 *
 * Written here rather than taken from a library: it must run on the injected clock (tests move
 * time by hand), serve a FIFO queue of weighted requests with deadlines and aborts, and report on
 * the event stream; the common rate-limit packages read the system time and hold no queue.
 */
import { z } from 'zod';
import { realClock, type Clock, type EventBus, type Timer } from '../runtime/index.ts';
import { LiveConfig, parseWith, reportConfigured, schemas, type WiringOptions } from './options.ts';
import { NEVER_ABORTED_CONTEXT, contextFor, type Policy, type Work } from './policy.ts';
import { RateLimitedError, type RateLimitReason } from './rate-limited-error.ts';
import { WaitQueue, type Waiter } from './wait-queue.ts';

export interface TokenBucketTunables {
  /** Name in events and errors (`'openai:rpm'`). @default 'bucket' */
  readonly name: string;
  /** Refill rate: tokens per minute. @default 60 */
  readonly perMinute: number;
  /** Most tokens the bucket holds (the largest burst). @default perMinute */
  readonly burst: number;
  /** Calls waiting at once. @default 100 */
  readonly maxQueue: number;
  /** Longest wait, ms. @default 30_000 */
  readonly queueTimeoutMs: number;
}

export const TOKEN_BUCKET_DEFAULTS = Object.freeze({
  name: 'bucket',
  perMinute: 60,
  maxQueue: 100,
  queueTimeoutMs: 30_000,
});

export interface TokenBucketOptions extends Partial<TokenBucketTunables>, WiringOptions {}

/** Float slack when comparing refilled amounts (refill is continuous arithmetic). */
const EPSILON = 1e-9;

const tunableShape = z.strictObject({
  name: schemas.name,
  perMinute: z.number().gt(0).finite(),
  burst: z.number().gt(0).finite(),
  maxQueue: schemas.nonNegativeInt,
  queueTimeoutMs: schemas.msOrInfinity,
});
const optionsSchema = tunableShape.partial().extend({ clock: schemas.clock.optional(), bus: schemas.bus.optional() });

export class TokenBucket implements Policy {
  readonly clock: Clock;
  private readonly bus: EventBus | undefined;
  private readonly live: LiveConfig<TokenBucketTunables>;
  private readonly queue: WaitQueue<number>;
  private tokens: number;
  private updatedAt: number;
  /** Sum of the costs of queued calls. */
  private queuedCost = 0;
  private timer: Timer | undefined;

  constructor(options: TokenBucketOptions = {}) {
    const subject = typeof options?.name === 'string' ? `token bucket "${options.name}"` : 'token bucket';
    const { clock, bus, ...rest } = parseWith(subject, optionsSchema, options);
    this.clock = clock ?? realClock;
    this.bus = bus;
    const perMinute = rest.perMinute ?? TOKEN_BUCKET_DEFAULTS.perMinute;
    this.live = LiveConfig.withDefaults<TokenBucketTunables>(subject, tunableShape, { ...TOKEN_BUCKET_DEFAULTS, burst: perMinute }, rest);
    this.queue = new WaitQueue(this.clock);
    this.tokens = this.live.current.burst;
    this.updatedAt = this.clock.now();
  }

  get config(): Readonly<TokenBucketTunables> {
    return this.live.current;
  }

  /** Change the rate or burst at run time; tokens accrued so far keep the old rate. */
  configure(patch: Partial<TokenBucketTunables>): void {
    this.refill();
    const { changed } = this.live.update(patch);
    this.tokens = Math.min(this.tokens, this.live.current.burst);
    reportConfigured(this.bus, 'token_bucket', this.live.current.name, changed);
    this.serve();
  }

  /** Tokens available now. */
  get available(): number {
    this.refill();
    return this.tokens;
  }

  /** Take `cost` tokens if the bucket has them and nobody is waiting. */
  tryTake(cost = 1): boolean {
    this.refill();
    if (this.queue.length > 0 || this.tokens + EPSILON < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** Take `cost` tokens, waiting in line if needed (at most `timeoutMs`, default `queueTimeoutMs`). */
  take(cost = 1, signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const cfg = this.live.current;
    if (!(cost >= 0) || !Number.isFinite(cost))
      return Promise.reject(new RangeError(`token bucket "${cfg.name}": cost must be a finite number >= 0 (got ${cost})`));
    if (cost > cfg.burst) return Promise.reject(this.refusal('over_capacity', undefined));
    this.refill();
    if (this.queue.length === 0 && this.tokens + EPSILON >= cost) {
      this.tokens -= cost;
      return Promise.resolve();
    }
    if (this.queue.length >= cfg.maxQueue) return Promise.reject(this.refusal('queue_full', this.waitFor(cost)));
    const wait = this.waitFor(cost);
    const limit = timeoutMs ?? cfg.queueTimeoutMs;
    if (wait > limit) return Promise.reject(this.refusal('would_wait_too_long', wait));
    this.queuedCost += cost;
    const start = this.clock.now();
    const p = this.queue.wait(
      cost,
      limit,
      signal,
      (w: Waiter<number>) => this.refusal('queue_timeout', this.waitFor(w.data)),
      () => {
        this.queuedCost -= cost;
        this.serve();
      },
    );
    this.schedule();
    if (!this.bus?.wants('limiter.waited')) return p;
    return p.then(() => {
      this.bus?.emit({ type: 'limiter.waited', limiter: cfg.name, kind: 'token_bucket', waitedMs: this.clock.now() - start });
    });
  }

  /** Charge tokens spent beyond what was taken (may leave the bucket in debt). */
  debit(amount: number): void {
    this.refill();
    this.tokens -= amount;
    this.schedule();
  }

  /** Give back tokens that were taken but not used (capped at `burst`). */
  refund(amount: number): void {
    this.refill();
    this.tokens = Math.min(this.live.current.burst, this.tokens + amount);
    this.serve();
  }

  async execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T> {
    await this.take(1, signal);
    return fn(signal === undefined ? NEVER_ABORTED_CONTEXT : contextFor(signal));
  }

  // ---- internals ---------------------------------------------------------------------------

  private rate(): number {
    return this.live.current.perMinute / 60_000;
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.live.current.burst, this.tokens + (now - this.updatedAt) * this.rate());
      this.updatedAt = now;
    }
  }

  /** ms until a new call of `cost` would be served (after everyone queued now). */
  private waitFor(cost: number): number {
    const missing = this.queuedCost + cost - this.tokens;
    return missing <= 0 ? 0 : missing / this.rate();
  }

  /** Grant queued calls in order while tokens last, then re-arm the timer for the new head. */
  private serve(): void {
    this.refill();
    for (;;) {
      const head = this.queue.peek();
      if (head === undefined || this.tokens + EPSILON < head.data) break;
      this.tokens -= head.data;
      this.queuedCost -= head.data;
      this.queue.grantHead();
    }
    this.schedule();
  }

  private schedule(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const head = this.queue.peek();
    if (head === undefined) return;
    const delay = Math.max(0, (head.data - this.tokens) / this.rate());
    this.timer = this.clock.setTimer(delay, () => {
      this.timer = undefined;
      this.serve();
    });
  }

  private refusal(reason: RateLimitReason, retryAfterMs: number | undefined): RateLimitedError {
    const name = this.live.current.name;
    if (this.bus?.wants('limiter.rejected')) {
      this.bus.emit({ type: 'limiter.rejected', limiter: name, kind: 'token_bucket', reason, queued: this.queue.length });
    }
    return new RateLimitedError(name, 'token_bucket', reason, retryAfterMs);
  }
}
