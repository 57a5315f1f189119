/**
 * Timeout: bound how long one call may take.
 *
 * - `'cooperative'` (default): at the deadline the work's signal aborts (reason: a
 *   {@link TimeoutError}) and the policy waits for the work to stop. If the work then fails, the
 *   caller gets the `TimeoutError` (the work's own error as its `cause`); if it finishes anyway,
 *   its value is returned (the work was done; throwing it away would waste it). Nothing is left
 *   running behind the caller's back, but the wait is only as short as the work is cooperative.
 * - `'aggressive'`: at the deadline the call rejects with a `TimeoutError` at once and the signal
 *   aborts; the work is not waited for (its late result or error is discarded, never unhandled).
 *
 * In both, the caller's own signal aborting aborts the work's signal too (cooperative waits for the
 * work; aggressive rejects at once with the caller's reason). The work's `AbortSignal` is created
 * only if the work reads `context.signal`, so calls that never look at it pay for no controller.
 */
import { z } from 'zod';
import { WardenError, realClock, type Clock, type EventBus } from '../runtime/index.ts';
import { LiveConfig, TunablePolicy, parseWith, schemas, type WiringOptions } from './options.ts';
import { NEVER_ABORTED, type Policy, type PolicyContext, type Work } from './policy.ts';

export type TimeoutStrategy = 'cooperative' | 'aggressive';

/** A call took longer than its timeout. Retryable: the next try may be faster. */
export class TimeoutError extends WardenError<'TIMEOUT', { policy: string; timeoutMs: number; strategy: TimeoutStrategy }> {
  constructor(policy: string, timeoutMs: number, strategy: TimeoutStrategy, options?: { cause?: unknown }) {
    super('TIMEOUT', `"${policy}" timed out after ${timeoutMs} ms (${strategy})`, { policy, timeoutMs, strategy }, { ...options, retryable: true });
  }
}

export interface TimeoutTunables {
  /** Name in events and errors. @default 'timeout' */
  readonly name: string;
  /** Deadline of each call, ms. Calls already running keep the deadline they started with. @default 30_000 */
  readonly timeoutMs: number;
  /** What happens at the deadline (see the module doc). @default 'cooperative' */
  readonly strategy: TimeoutStrategy;
}

export const TIMEOUT_DEFAULTS: TimeoutTunables = Object.freeze({
  name: 'timeout',
  timeoutMs: 30_000,
  strategy: 'cooperative',
});

export interface TimeoutOptions extends Partial<TimeoutTunables>, WiringOptions {}

const tunableShape = z.strictObject({
  name: schemas.name,
  timeoutMs: schemas.msOrInfinity,
  strategy: z.enum(['cooperative', 'aggressive']),
});
const optionsSchema = tunableShape.partial().extend({
  clock: schemas.clock.optional(),
  bus: schemas.bus.optional(),
});

/**
 * One call's context and deadline state. The controller is made on first read of `signal`; the
 * object is also the parent signal's abort listener (`handleEvent`), so no closure is needed.
 */
class TimeoutCall implements PolicyContext {
  private controller: AbortController | undefined;
  private readonly parent: AbortSignal;
  /** Reason the work's signal was (or must be, when created) aborted with. */
  private abortReason: unknown;
  private aborted = false;
  timedOut = false;
  /** Aggressive mode: settle the caller's promise early. */
  rejectCaller: ((reason: unknown) => void) | undefined;

  constructor(parent: AbortSignal) {
    this.parent = parent;
    if (parent !== NEVER_ABORTED) parent.addEventListener('abort', this);
  }

  get signal(): AbortSignal {
    let c = this.controller;
    if (c === undefined) {
      c = this.controller = new AbortController();
      if (this.aborted) c.abort(this.abortReason);
    }
    return c.signal;
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    this.abort(this.parent.reason);
    this.rejectCaller?.(this.parent.reason);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  detach(): void {
    if (this.parent !== NEVER_ABORTED) this.parent.removeEventListener('abort', this);
  }
}

export class Timeout extends TunablePolicy<TimeoutTunables> implements Policy {
  readonly clock: Clock;
  protected readonly bus: EventBus | undefined;
  protected readonly live: LiveConfig<TimeoutTunables>;

  constructor(options: TimeoutOptions = {}) {
    super('timeout');
    const subject = typeof options?.name === 'string' ? `timeout "${options.name}"` : 'timeout';
    const { clock, bus, ...rest } = parseWith(subject, optionsSchema, options);
    this.clock = clock ?? realClock;
    this.bus = bus;
    this.live = LiveConfig.withDefaults<TimeoutTunables>(subject, tunableShape, TIMEOUT_DEFAULTS, rest);
  }

  execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T> {
    const parent = signal ?? NEVER_ABORTED;
    if (parent.aborted) return Promise.reject(parent.reason);
    const cfg = this.live.current;
    return cfg.strategy === 'aggressive' ? this.runAggressive(fn, parent, cfg) : this.runCooperative(fn, parent, cfg);
  }

  private expire(call: TimeoutCall, cfg: Readonly<TimeoutTunables>): TimeoutError {
    call.timedOut = true;
    const error = new TimeoutError(cfg.name, cfg.timeoutMs, cfg.strategy);
    call.abort(error);
    if (this.bus?.wants('timeout.timed_out')) {
      this.bus.emit({ type: 'timeout.timed_out', policy: cfg.name, timeoutMs: cfg.timeoutMs, strategy: cfg.strategy });
    }
    return error;
  }

  private async runCooperative<T>(fn: Work<T>, parent: AbortSignal, cfg: Readonly<TimeoutTunables>): Promise<T> {
    const call = new TimeoutCall(parent);
    const timer = this.clock.setTimer(cfg.timeoutMs, () => this.expire(call, cfg));
    try {
      return await fn(call);
    } catch (error) {
      if (call.timedOut) throw new TimeoutError(cfg.name, cfg.timeoutMs, cfg.strategy, { cause: error });
      throw error;
    } finally {
      timer.cancel();
      call.detach();
    }
  }

  private runAggressive<T>(fn: Work<T>, parent: AbortSignal, cfg: Readonly<TimeoutTunables>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const call = new TimeoutCall(parent);
      const timer = this.clock.setTimer(cfg.timeoutMs, () => {
        call.detach();
        reject(this.expire(call, cfg));
      });
      call.rejectCaller = (reason) => {
        timer.cancel();
        call.detach();
        reject(reason);
      };
      const done = (): void => {
        timer.cancel();
        call.detach();
      };
      let pending: PromiseLike<T> | T;
      try {
        pending = fn(call);
      } catch (error) {
        done();
        reject(error);
        return;
      }
      Promise.resolve(pending).then(
        (value) => {
          done();
          resolve(value);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  }
}
