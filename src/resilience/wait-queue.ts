/**
 * A bounded FIFO queue of waiters, each with a deadline and an abort signal: the waiting part of
 * the semaphore, the token bucket and the resource locks.
 *
 * Guarantees: at most `capacity` waiters (the owner checks `isFull` before adding); waiters are
 * granted strictly in arrival order (the owner grants the head only); a waiter leaves the queue
 * exactly once: granted, timed out, or aborted, and its timer and abort listener are removed
 * then. Written here because it must run on the injected clock and carry per-waiter data (a
 * token cost, a holder); a generic promise-queue library offers neither.
 */
import type { Clock, Timer } from '../runtime/index.ts';

/** One queued request. `data` is the owner's (cost, holder, ...). */
export interface Waiter<D> {
  readonly data: D;
  readonly enqueuedAt: number;
}

interface Entry<D> extends Waiter<D> {
  resolve: () => void;
  reject: (reason: unknown) => void;
  timer: Timer | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  prev: Entry<D> | undefined;
  next: Entry<D> | undefined;
}

export class WaitQueue<D> {
  private head: Entry<D> | undefined;
  private tail: Entry<D> | undefined;
  private count = 0;
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  get length(): number {
    return this.count;
  }

  /** The waiter that will be granted next. */
  peek(): Waiter<D> | undefined {
    return this.head;
  }

  /** Every waiter, head first. */
  *[Symbol.iterator](): IterableIterator<Waiter<D>> {
    for (let e = this.head; e !== undefined; e = e.next) yield e;
  }

  /**
   * Queue a waiter. The promise resolves when the owner grants it (`grantHead`), or rejects with
   * `onTimeout()` after `timeoutMs` or with the signal's reason on abort (the waiter is removed
   * first, then `onLeave` runs so the owner can re-check its head).
   */
  wait(data: D, timeoutMs: number, signal: AbortSignal | undefined, onTimeout: (waiter: Waiter<D>) => unknown, onLeave?: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry: Entry<D> = {
        data,
        enqueuedAt: this.clock.now(),
        resolve,
        reject,
        timer: undefined,
        signal,
        onAbort: undefined,
        prev: this.tail,
        next: undefined,
      };
      if (this.tail === undefined) this.head = entry;
      else this.tail.next = entry;
      this.tail = entry;
      this.count++;
      if (timeoutMs !== Infinity) {
        entry.timer = this.clock.setTimer(timeoutMs, () => {
          entry.timer = undefined;
          this.remove(entry);
          reject(onTimeout(entry));
          onLeave?.();
        });
      }
      if (signal !== undefined) {
        entry.onAbort = () => {
          entry.onAbort = undefined;
          this.remove(entry);
          reject(signal.reason);
          onLeave?.();
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
    });
  }

  /** Grant the head waiter (resolve its promise). Returns false if the queue is empty. */
  grantHead(): boolean {
    const e = this.head;
    if (e === undefined) return false;
    this.remove(e);
    e.resolve();
    return true;
  }

  /** Reject a specific waiter (e.g. a deadlock victim). */
  rejectWaiter(waiter: Waiter<D>, reason: unknown): void {
    const e = waiter as Entry<D>;
    if (!this.contains(e)) return;
    this.remove(e);
    e.reject(reason);
  }

  private contains(e: Entry<D>): boolean {
    return e.prev !== undefined || e.next !== undefined || this.head === e;
  }

  private remove(e: Entry<D>): void {
    if (e.prev === undefined) this.head = e.next;
    else e.prev.next = e.next;
    if (e.next === undefined) this.tail = e.prev;
    else e.next.prev = e.prev;
    e.prev = undefined;
    e.next = undefined;
    this.count--;
    e.timer?.cancel();
    e.timer = undefined;
    if (e.onAbort !== undefined) {
      e.signal?.removeEventListener('abort', e.onAbort);
      e.onAbort = undefined;
    }
  }
}
