/**
 * Stop waiting for a promise when a signal aborts, without stopping the work behind it: the
 * caller gets the signal's reason at once, and the promise is left to settle on its own (its
 * result is dropped). For code that may ignore its signal, such as a step's user code or a run
 * that other callers still wait for.
 */

/**
 * `value` if it is not a promise; else a promise that settles like `value`, or rejects with
 * `signal.reason` as soon as `signal` aborts, whichever comes first. `onAbort` runs once when the
 * wait is given up (after the rejection), e.g. to count the callers still waiting.
 */
export function raceAbort<T>(value: PromiseLike<T>, signal: AbortSignal, onAbort?: () => void): Promise<T>;
export function raceAbort<T>(value: T | PromiseLike<T>, signal: AbortSignal, onAbort?: () => void): T | Promise<T>;
export function raceAbort<T>(value: T | PromiseLike<T>, signal: AbortSignal, onAbort?: () => void): T | Promise<T> {
  if (value === null || typeof value !== 'object' || typeof (value as PromiseLike<T>).then !== 'function') return value as T;
  if (signal.aborted) {
    const rejected = Promise.reject(signal.reason as unknown);
    onAbort?.();
    return rejected;
  }
  return new Promise<T>((resolve, reject) => {
    const giveUp = (): void => {
      reject(signal.reason);
      onAbort?.();
    };
    signal.addEventListener('abort', giveUp, { once: true });
    (value as PromiseLike<T>).then(
      (v) => {
        signal.removeEventListener('abort', giveUp);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', giveUp);
        reject(e);
      },
    );
  });
}
