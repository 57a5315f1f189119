/**
 * Time, injected. Everything in Warden that waits or reads the time takes a {@link Clock}, so
 * tests run on a virtual clock and never sleep for real. This file is the only place that
 * calls `setTimeout` and reads the system time.
 */

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

/** Longest delay `setTimeout` accepts; longer waits are chained. */
const MAX_TIMEOUT_MS = 2_147_483_647;

const NEVER: Timer = { cancel() {} };

/** The system clock: `performance.now()` anchored at `performance.timeOrigin`. */
export class RealClock implements Clock {
  now(): number {
    return performance.timeOrigin + performance.now();
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    if (delayMs === Infinity) return NEVER;
    const delay = Math.max(0, delayMs);
    if (delay <= MAX_TIMEOUT_MS) {
      const handle = setTimeout(callback, delay);
      return { cancel: () => clearTimeout(handle) };
    }
    let inner: Timer | undefined;
    const handle = setTimeout(() => {
      inner = this.setTimer(delay - MAX_TIMEOUT_MS, callback);
    }, MAX_TIMEOUT_MS);
    return {
      cancel: () => {
        clearTimeout(handle);
        inner?.cancel();
      },
    };
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }
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
