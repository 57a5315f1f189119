/**
 * Time, injected. Everything in Warden that waits or reads the time takes a {@link Clock}, so
 * tests run on a virtual clock and never sleep for real. This file is the only place that
 * calls `setTimeout` and reads the system time.
 */
import { TimerHeap } from './timer-heap.ts';

/** A scheduled callback. `cancel()` is idempotent and safe after the timer fired. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (the real clock's origin is the Unix epoch, so it reads like `Date.now()`). */
  now(): number;
  /** Run `callback` once after `delayMs` (`Infinity` never fires). */
  setTimer(delayMs: number, callback: () => void): Timer;
  /** Resolve after `delayMs`; reject with the signal's reason if it aborts first. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

/** Longest delay `setTimeout` accepts; longer waits are re-armed. */
const MAX_TIMEOUT_MS = 2_147_483_647;

const NEVER: Timer = { cancel() {} };

/**
 * The system clock: `performance.now()` anchored at `performance.timeOrigin`. Its timers share
 * one native timeout armed for the earliest of them, so a timer costs a heap insertion, not a
 * `setTimeout`/`clearTimeout` pair (every call and timed receive has one). Like `setTimeout`,
 * pending timers keep the process alive; when none is left the native timeout no longer does.
 */
export class RealClock implements Clock {
  private readonly timers = new TimerHeap();
  private native: ReturnType<typeof setTimeout> | undefined;
  private nativeAt = Infinity;

  constructor() {
    this.timers.onEmpty = () => this.disarm();
  }

  now(): number {
    return performance.timeOrigin + performance.now();
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    if (delayMs === Infinity) return NEVER;
    const at = this.now() + Math.max(0, delayMs);
    const entry = this.timers.add(at, callback);
    if (at < this.nativeAt) this.arm(at);
    else if (this.timers.live === 1) this.native?.ref();
    return entry;
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }

  private arm(at: number): void {
    if (this.native !== undefined) clearTimeout(this.native);
    this.nativeAt = at;
    const delay = Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil(at - this.now())));
    this.native = setTimeout(this.fire, delay);
  }

  /**
   * No live timer left: keep the native timeout armed (the next timer is likely due no
   * sooner, and re-arming on every call would cost more than the timer saves) but stop it
   * from holding the process open.
   */
  private disarm(): void {
    this.native?.unref();
  }

  private readonly fire = (): void => {
    this.native = undefined;
    this.nativeAt = Infinity;
    const now = this.now();
    for (let next = this.timers.peek(); next !== undefined && next.at <= now; next = this.timers.peek()) {
      this.timers.take();
      next.callback();
    }
    const next = this.timers.peek();
    if (next !== undefined && next.at < this.nativeAt) this.arm(next.at);
  };
}

/** The shared real clock. */
export const realClock: Clock = new RealClock();

/** `sleep` for any clock: a timer raced against an abort signal. */
export function sleepOn(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimer(delayMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
