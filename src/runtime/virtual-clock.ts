/**
 * A virtual clock for tests and the conformance runner: time moves only when `advance` is
 * called, timers fire in (time, creation) order, and after each timer the microtask queue is
 * allowed to drain, so everything a timer causes at one instant happens before the clock moves
 * on. A 5 s restart window or a 300 ms shutdown runs instantly and the same way every time.
 *
 * Timers live in the shared `TimerHeap` (stable (time, creation) order, cancellation by handle).
 */
import { sleepOn, type Clock, type Timer } from './clock.ts';
import { TimerHeap } from './timer-heap.ts';

/**
 * Something outside this thread's microtask queue that can still be busy at an instant (a
 * thread or child process running on this clock): `settle` waits until it is idle.
 */
export interface QuiescenceSource {
  isBusy(): boolean;
  /** Resolves the next time it becomes idle (or at once if it is). */
  whenIdle(): Promise<void>;
}

/** Resolves after the current microtask queue (and anything it queues) has drained. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class VirtualClock implements Clock {
  private current: number;
  private readonly timers = new TimerHeap();
  private readonly sources = new Set<QuiescenceSource>();

  constructor(options: { startMs?: number } = {}) {
    this.current = options.startMs ?? 0;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    if (delayMs === Infinity) return { cancel() {} };
    return this.timers.add(this.current + Math.max(0, delayMs), callback);
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }

  /** Include `source` in quiescence: `settle` (and so `advance`) waits until it is idle. Returns a remover. */
  addQuiescenceSource(source: QuiescenceSource): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  /** Let everything that can happen at this instant happen: microtasks, and busy sources going idle. */
  async settle(): Promise<void> {
    await settle();
    for (;;) {
      const busy = [...this.sources].filter((s) => s.isBusy());
      if (busy.length === 0) return;
      await Promise.race(busy.map((s) => s.whenIdle()));
      await settle();
    }
  }

  /** Number of timers that are scheduled and not cancelled. */
  pendingTimers(): number {
    return this.timers.live;
  }

  /** When the next live timer is due, or `undefined` if none is scheduled. */
  nextTimerAt(): number | undefined {
    return this.timers.peek()?.at;
  }

  /** Move time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advance: ms must be >= 0 (got ${ms})`);
    await this.advanceTo(this.current + ms);
  }

  /** Move time forward to `target`, firing every timer due on the way, each followed by a settle. */
  async advanceTo(target: number): Promise<void> {
    await this.settle();
    for (let next = this.timers.peek(); next !== undefined && next.at <= target; next = this.timers.peek()) {
      this.fire();
      await this.settle();
    }
    if (target > this.current) this.current = target;
  }

  /** Jump to the next timer and fire it (then settle). Returns false if no timer is scheduled. */
  async runNext(): Promise<boolean> {
    await this.settle();
    if (this.timers.peek() === undefined) return false;
    this.fire();
    await this.settle();
    return true;
  }

  /**
   * Advance timer by timer until `done()` holds; throws if no timer is left while it does not
   * (nothing could ever make it true) or after `maxTimers` timers.
   */
  async runUntil(done: () => boolean, maxTimers = 1_000_000): Promise<void> {
    await this.settle();
    for (let i = 0; !done(); i++) {
      if (i >= maxTimers) throw new Error(`runUntil: condition still false after ${maxTimers} timers`);
      if (!(await this.runNext())) {
        if (done()) return;
        throw new Error('runUntil: no timers left and the condition is still false');
      }
    }
  }

  private fire(): void {
    const entry = this.timers.take();
    if (entry === undefined) return;
    if (entry.at > this.current) this.current = entry.at;
    entry.callback();
  }
}
