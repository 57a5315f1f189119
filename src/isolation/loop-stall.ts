/**
 * Seeing an event loop that is blocked. An inline process that runs a long synchronous loop
 * stalls every inline process, and no code on the same thread can interrupt it (run such work
 * in a `thread`). This detector makes the stall visible:
 *
 * - while it lasts: a monitor thread watches a heartbeat the loop writes to shared memory and,
 *   once it has not moved for `stallMs`, writes a warning straight to stderr (the only output
 *   that does not need the blocked loop);
 * - when it ends: the loop sees how late its heartbeat timer ran and emits `runtime.loop_blocked`
 *   with the duration.
 *
 * Written here because it needs a heartbeat in a SharedArrayBuffer read by another thread;
 * libraries that measure event-loop delay (perf_hooks' histogram) only report afterwards.
 */
import { Worker } from 'node:worker_threads';
import { InvalidSpecError, realClock, type Runtime, type Timer } from '../runtime/index.ts';
import './events.ts';

export interface EventLoopWatchOptions {
  /** Emit `runtime.loop_blocked` on this runtime's event stream. */
  readonly runtime: Runtime;
  /** A gap this long counts as a stall. @default 1000 */
  readonly stallMs?: number;
  /** Heartbeat period. @default 100 */
  readonly intervalMs?: number;
  /** Warn on stderr while a stall lasts. @default true */
  readonly warn?: boolean;
}

const MONITOR = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const beats = new Int32Array(workerData.buffer);
let last = Atomics.load(beats, 0), still = 0, warned = false;
for (;;) {
  Atomics.wait(beats, 1, 0, workerData.intervalMs);
  if (Atomics.load(beats, 1) === 1) break;
  const now = Atomics.load(beats, 0);
  if (now !== last) { last = now; still = 0; warned = false; continue; }
  still += workerData.intervalMs;
  if (!warned && still >= workerData.stallMs && workerData.warn) {
    warned = true;
    writeSync(2, 'warden: the event loop has been blocked for ' + still + ' ms (a synchronous loop in an inline process? run it in a thread)\\n');
  }
}
`;

/** Start watching the event loop; `stop()` ends it. */
export function watchEventLoop(options: EventLoopWatchOptions): { stop(): void } {
  const stallMs = options.stallMs ?? 1000;
  const intervalMs = options.intervalMs ?? 100;
  if (!(stallMs > 0)) throw new InvalidSpecError('watchEventLoop', 'stallMs', stallMs, 'must be > 0');
  if (!(intervalMs > 0 && intervalMs < stallMs)) {
    throw new InvalidSpecError('watchEventLoop', 'intervalMs', intervalMs, 'must be > 0 and < stallMs');
  }
  const buffer = new SharedArrayBuffer(8);
  const beats = new Int32Array(buffer);
  const monitor = new Worker(MONITOR, { eval: true, workerData: { buffer, intervalMs, stallMs, warn: options.warn ?? true } });
  monitor.unref();
  let timer: Timer | undefined;
  let last = realClock.now();
  const tick = (): void => {
    const now = realClock.now();
    const gap = now - last;
    last = now;
    Atomics.add(beats, 0, 1);
    if (gap - intervalMs >= stallMs && options.runtime.events.wants('runtime.loop_blocked')) {
      options.runtime.events.emit({ type: 'runtime.loop_blocked', durationMs: Math.round(gap - intervalMs) });
    }
    timer = realClock.setTimer(intervalMs, tick);
  };
  timer = realClock.setTimer(intervalMs, tick);
  return {
    stop() {
      timer?.cancel();
      Atomics.store(beats, 1, 1);
      Atomics.notify(beats, 1);
      void monitor.terminate();
    },
  };
}
