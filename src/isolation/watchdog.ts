/**
 * Watchdogs: a child must show progress (`ctx.beat()`: an agent step done, a token streamed)
 * at least every `timeoutMs`. When it does not, it is asked to stop (its `ctx.stopSignal`
 * aborts and it gets a `SoftStopRequest`), and if it is still running after `graceMs` it is
 * killed with reason `{ watchdog: 'no_progress' }`, which its supervisor treats as a crash and
 * restarts per its strategy.
 *
 * The watcher is a small process that monitors the child and sleeps on the runtime's clock
 * until the next deadline; beats are just a timestamp on the child, so beating is cheap.
 * Works wherever the child runs: a thread's or process's beats are relayed to its pid here. An
 * inline child that blocks the event loop cannot beat, and its watchdog cannot fire until the
 * loop is free again; it is then stopped and killed, but no code can interrupt a synchronous
 * loop on the same thread: run such work in a `thread` (see `watchEventLoop` to detect it).
 */
import { DownMessage, InvalidSpecError, type ExitReason, type Pid, type ProcessContext, type Runtime, type StartResult } from '../runtime/index.ts';
import type { ChildStart } from '../supervisor/index.ts';
import './events.ts';

export interface WatchdogOptions {
  /** Longest time without a beat (counting from the start). */
  readonly timeoutMs: number;
  /** Time between the soft stop and the kill. @default 5000 */
  readonly graceMs?: number;
  /** The kill's reason. @default { watchdog: 'no_progress' } */
  readonly reason?: ExitReason;
}

export const WATCHDOG_DEFAULTS = Object.freeze({ graceMs: 5000, reason: { watchdog: 'no_progress' } as ExitReason });

function check(options: WatchdogOptions): Required<WatchdogOptions> {
  if (!(typeof options.timeoutMs === 'number' && options.timeoutMs > 0)) {
    throw new InvalidSpecError('watchdog', 'timeoutMs', options.timeoutMs, 'must be a number of ms > 0');
  }
  const graceMs = options.graceMs ?? WATCHDOG_DEFAULTS.graceMs;
  if (!(typeof graceMs === 'number' && graceMs >= 0)) {
    throw new InvalidSpecError('watchdog', 'graceMs', graceMs, 'must be a number of ms >= 0');
  }
  return { timeoutMs: options.timeoutMs, graceMs, reason: options.reason ?? WATCHDOG_DEFAULTS.reason };
}

/** Put a watchdog on `pid`; returns a function that removes it. */
export function armWatchdog(runtime: Runtime, pid: Pid, options: WatchdogOptions): () => void {
  const { timeoutMs, graceMs, reason } = check(options);
  const startedAt = runtime.clock.now();
  const watcher = runtime.spawn(
    async (ctx: ProcessContext) => {
      const ref = ctx.monitor(pid);
      const isDown = (m: unknown): boolean => m instanceof DownMessage && m.ref === ref;
      for (;;) {
        const last = runtime.lastBeatAt(pid) ?? startedAt;
        const dueInMs = Math.max(last, startedAt) + timeoutMs - runtime.clock.now();
        if (dueInMs > 0) {
          if ((await ctx.receive(isDown, { timeoutMs: dueInMs })) !== undefined) return;
          continue;
        }
        if (runtime.events.wants('watchdog.soft_stop')) {
          runtime.events.emit({ type: 'watchdog.soft_stop', pid, lastBeatAt: runtime.lastBeatAt(pid), timeoutMs });
        }
        runtime.softStop(pid, reason);
        if ((await ctx.receive(isDown, { timeoutMs: graceMs })) !== undefined) return;
        if (runtime.events.wants('watchdog.killed')) runtime.events.emit({ type: 'watchdog.killed', pid, graceMs });
        runtime.killWith(pid, reason);
        return;
      }
    },
    undefined,
    { label: `watchdog(${String(pid)})` },
  );
  return () => runtime.sendExit(watcher, 'kill');
}

/** Wrap a child's start function so that every incarnation gets a watchdog. Validates `options` now. */
export function withWatchdog(start: ChildStart, options: WatchdogOptions): ChildStart {
  check(options);
  const wrapped = async (ctx: ProcessContext, arg: unknown): Promise<StartResult> => {
    const result = await start(ctx, arg);
    if (result.status === 'started') armWatchdog(ctx.runtime, result.pid, options);
    return result;
  };
  return start.childType === undefined ? wrapped : Object.assign(wrapped, { childType: start.childType });
}
