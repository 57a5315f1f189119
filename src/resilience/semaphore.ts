/**
 * Semaphore (bulkhead): at most `maxConcurrent` calls run at once; the next `maxQueue` wait in
 * FIFO order for at most `queueTimeoutMs`; beyond that calls are refused at once with
 * {@link RateLimitedError}.
 *
 * Guarantees: never more than `maxConcurrent` permits held (after `configure` lowers it, no new
 * permit is granted until enough are released); a freed permit goes straight to the oldest
 * waiter, so a newcomer can never overtake the queue; every permit is released exactly once
 * (`execute` releases on every exit path; a manual permit's `release()` is idempotent).
 */
import { z } from 'zod';
import { realClock, disposable, type Clock, type Disposable, type EventBus } from '../runtime/index.ts';
import { LiveConfig, TunablePolicy, parseWith, schemas, type WiringOptions } from './options.ts';
import { NEVER_ABORTED_CONTEXT, contextFor, type Policy, type Work } from './policy.ts';
import { RateLimitedError, type RateLimitReason } from './rate-limited-error.ts';
import { WaitQueue } from './wait-queue.ts';

export interface SemaphoreTunables {
  /** Name in events and errors. @default 'semaphore' */
  readonly name: string;
  /** Calls running at once. @default 10 */
  readonly maxConcurrent: number;
  /** Calls waiting at once (0: refuse when busy). @default 100 */
  readonly maxQueue: number;
  /** Longest wait for a permit, ms. @default 30_000 */
  readonly queueTimeoutMs: number;
}

export const SEMAPHORE_DEFAULTS: SemaphoreTunables = Object.freeze({
  name: 'semaphore',
  maxConcurrent: 10,
  maxQueue: 100,
  queueTimeoutMs: 30_000,
});

export interface SemaphoreOptions extends Partial<SemaphoreTunables>, WiringOptions {}

/** A held permit; `release()` (or dispose) gives it back, once. */
export interface Permit extends Disposable {
  release(): void;
}

const tunableShape = z.strictObject({
  name: schemas.name,
  maxConcurrent: schemas.positiveInt,
  maxQueue: schemas.nonNegativeInt,
  queueTimeoutMs: schemas.msOrInfinity,
});
const optionsSchema = tunableShape.partial().extend({ clock: schemas.clock.optional(), bus: schemas.bus.optional() });

export class Semaphore extends TunablePolicy<SemaphoreTunables> implements Policy {
  readonly clock: Clock;
  protected readonly bus: EventBus | undefined;
  protected readonly live: LiveConfig<SemaphoreTunables>;
  private readonly queue: WaitQueue<null>;
  private active = 0;

  constructor(options: SemaphoreOptions = {}) {
    super('semaphore');
    const subject = typeof options?.name === 'string' ? `semaphore "${options.name}"` : 'semaphore';
    const { clock, bus, ...rest } = parseWith(subject, optionsSchema, options);
    this.clock = clock ?? realClock;
    this.bus = bus;
    this.live = LiveConfig.withDefaults<SemaphoreTunables>(subject, tunableShape, SEMAPHORE_DEFAULTS, rest);
    this.queue = new WaitQueue(this.clock);
  }

  /** Change limits at run time; raising `maxConcurrent` lets waiters in at once. */
  override configure(patch: Partial<SemaphoreTunables>): void {
    super.configure(patch);
    this.grantWaiters();
  }

  /** Permits held now. */
  get running(): number {
    return this.active;
  }

  /** Calls waiting now. */
  get waiting(): number {
    return this.queue.length;
  }

  async execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T> {
    if (this.active < this.live.current.maxConcurrent && this.queue.length === 0) this.active++;
    else await this.enqueue(signal);
    try {
      return await fn(signal === undefined ? NEVER_ABORTED_CONTEXT : contextFor(signal));
    } finally {
      this.releaseOne();
    }
  }

  /** Take a permit (waiting in line if needed); release it when done. */
  async acquire(signal?: AbortSignal): Promise<Permit> {
    if (this.active < this.live.current.maxConcurrent && this.queue.length === 0) this.active++;
    else await this.enqueue(signal);
    const d = disposable(() => this.releaseOne());
    return { release: d.dispose, dispose: d.dispose, [Symbol.dispose]: d.dispose };
  }

  /** Take a permit only if one is free and nobody is waiting. */
  tryAcquire(): Permit | undefined {
    if (this.active >= this.live.current.maxConcurrent || this.queue.length > 0) return undefined;
    this.active++;
    const d = disposable(() => this.releaseOne());
    return { release: d.dispose, dispose: d.dispose, [Symbol.dispose]: d.dispose };
  }

  private enqueue(signal: AbortSignal | undefined, timeoutMs?: number): Promise<void> {
    const cfg = this.live.current;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.queue.length >= cfg.maxQueue) return Promise.reject(this.refusal('queue_full'));
    const waited = this.queue.wait(null, timeoutMs ?? cfg.queueTimeoutMs, signal, () => this.refusal('queue_timeout'));
    if (this.bus?.wants('limiter.waited')) {
      const start = this.clock.now();
      return waited.then(() => {
        this.bus?.emit({ type: 'limiter.waited', limiter: cfg.name, kind: 'semaphore', waitedMs: this.clock.now() - start });
      });
    }
    return waited;
  }

  /** @hidden Used by the provider limiter: wait at most `timeoutMs`. */
  acquireWithin(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.active < this.live.current.maxConcurrent && this.queue.length === 0) {
      this.active++;
      return Promise.resolve();
    }
    return this.enqueue(signal, timeoutMs);
  }

  /** @hidden */
  releaseOne(): void {
    this.active--;
    this.grantWaiters();
  }

  private grantWaiters(): void {
    while (this.active < this.live.current.maxConcurrent && this.queue.length > 0) {
      this.active++;
      this.queue.grantHead();
    }
  }

  private refusal(reason: RateLimitReason): RateLimitedError {
    const name = this.live.current.name;
    if (this.bus?.wants('limiter.rejected')) {
      this.bus.emit({ type: 'limiter.rejected', limiter: name, kind: 'semaphore', reason, queued: this.queue.length });
    }
    return new RateLimitedError(name, 'semaphore', reason);
  }
}
