/**
 * A guest's clock when its parent runtime runs on a virtual clock: the time is the parent's
 * (every frame from it carries it) and timers are scheduled on the parent's clock, which fires
 * them back. So a remote child waits on exactly the same virtual time as an inline one, and a
 * test or conformance run stays instant and deterministic across threads.
 */
import { sleepOn, type Clock, type Timer } from '../runtime/index.ts';
import type { Frame } from './channel.ts';

export class RemoteClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly callbacks = new Map<number, () => void>();
  private sendFrame: ((frame: Frame) => void) | undefined;

  constructor(startMs: number) {
    this.current = startMs;
  }

  /** Where timer requests go (the guest's channel). */
  attach(send: (frame: Frame) => void): void {
    this.sendFrame = send;
  }

  now(): number {
    return this.current;
  }

  setNow(now: number): void {
    this.current = now;
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    if (delayMs === Infinity) return { cancel() {} };
    const id = this.nextId++;
    this.callbacks.set(id, callback);
    this.sendFrame?.({ t: 'timer', id, ms: Math.max(0, delayMs) });
    return {
      cancel: () => {
        if (this.callbacks.delete(id)) this.sendFrame?.({ t: 'cancel', id });
      },
    };
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }

  /** The parent runtime fired timer `id`. */
  fire(id: number): void {
    const callback = this.callbacks.get(id);
    if (callback === undefined) return;
    this.callbacks.delete(id);
    callback();
  }
}
