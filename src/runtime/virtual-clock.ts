/**
 * A virtual clock for tests and the conformance runner: time moves only when `advance` is
 * called, timers fire in (time, creation) order, and after each timer the microtask queue is
 * allowed to drain, so everything a timer causes at one instant happens before the clock moves
 * on. A 5 s restart window or a 300 ms shutdown runs instantly and the same way every time.
 *
 * The timer queue is a small binary heap written here: it needs cancellation by handle and a
 * stable (time, sequence) order, which is a few lines, not a dependency.
 */
import { sleepOn, type Clock, type Timer } from './clock.ts';

interface Entry {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** Resolves after the current microtask queue (and anything it queues) has drained. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly heap: Entry[] = [];
  private live = 0;

  constructor(options: { startMs?: number } = {}) {
    this.current = options.startMs ?? 0;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    if (delayMs === Infinity) return { cancel() {} };
    const entry: Entry = {
      at: this.current + Math.max(0, delayMs),
      seq: this.seq++,
      callback,
      cancelled: false,
    };
    this.push(entry);
    this.live++;
    return {
      cancel: () => {
        if (!entry.cancelled) {
          entry.cancelled = true;
          this.live--;
        }
      },
    };
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }

  /** Number of timers that are scheduled and not cancelled. */
  pendingTimers(): number {
    return this.live;
  }

  /** When the next live timer is due, or `undefined` if none is scheduled. */
  nextTimerAt(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Move time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advance: ms must be >= 0 (got ${ms})`);
    await this.advanceTo(this.current + ms);
  }

  /** Move time forward to `target`, firing every timer due on the way, each followed by a settle. */
  async advanceTo(target: number): Promise<void> {
    await settle();
    for (;;) {
      this.dropCancelled();
      const next = this.heap[0];
      if (next === undefined || next.at > target) break;
      this.fire();
      await settle();
    }
    if (target > this.current) this.current = target;
  }

  /** Jump to the next timer and fire it (then settle). Returns false if no timer is scheduled. */
  async runNext(): Promise<boolean> {
    await settle();
    this.dropCancelled();
    if (this.heap.length === 0) return false;
    this.fire();
    await settle();
    return true;
  }

  /**
   * Advance timer by timer until `done()` holds; throws if no timer is left while it does not
   * (nothing could ever make it true) or after `maxTimers` timers.
   */
  async runUntil(done: () => boolean, maxTimers = 1_000_000): Promise<void> {
    await settle();
    for (let i = 0; !done(); i++) {
      if (i >= maxTimers) throw new Error(`runUntil: condition still false after ${maxTimers} timers`);
      if (!(await this.runNext())) {
        if (done()) return;
        throw new Error('runUntil: no timers left and the condition is still false');
      }
    }
  }

  private fire(): void {
    const entry = this.pop();
    if (entry === undefined) return;
    this.live--;
    entry.cancelled = true;
    if (entry.at > this.current) this.current = entry.at;
    entry.callback();
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && (this.heap[0] as Entry).cancelled) this.pop();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i] as Entry, h[parent] as Entry)) break;
      [h[i], h[parent]] = [h[parent] as Entry, h[i] as Entry];
      i = parent;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l] as Entry, h[m] as Entry)) m = l;
        if (r < h.length && this.less(h[r] as Entry, h[m] as Entry)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as Entry, h[i] as Entry];
        i = m;
      }
    }
    return top;
  }
}
