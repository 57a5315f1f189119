/**
 * Watchdogs on inline children, under a real supervisor on the virtual clock: a child that stops
 * beating is asked to stop, then killed with `{ watchdog: 'no_progress' }` and restarted; one that
 * keeps beating is left alone, and one that stops when asked ends on its own terms; bad options
 * are refused naming the field. The same for children in their own thread or process:
 * test/isolation.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Runtime, VirtualClock, type Pid, type ProcessContext } from '../runtime/index.ts';
import { startSupervisor, whichChildren, worker } from '../supervisor/index.ts';
import { withWatchdog } from './index.ts';

const runtimes: Runtime[] = [];
function runtime(clock: VirtualClock): Runtime {
  const rt = new Runtime({ clock });
  runtimes.push(rt);
  return rt;
}
afterEach(() => {
  for (const rt of runtimes.splice(0)) rt.killAll();
});

describe('watchdogs', () => {
  it('asks a silent inline child to stop, then kills it with {watchdog, no_progress}; its supervisor restarts it', async () => {
    const clock = new VirtualClock();
    const rt = runtime(clock);
    const events: string[] = [];
    rt.events.onAny((e) => {
      if (e.type.startsWith('watchdog.')) events.push(`${e.type}@${clock.now()}`);
    });
    const stuck = worker(async (ctx: ProcessContext) => {
      ctx.beat();
      await new Promise(() => {}); // waits forever on something that is not the runtime
    });
    const sup = await startSupervisor(rt, {
      intensity: 5,
      children: [{ id: 'agent', start: withWatchdog(stuck, { timeoutMs: 1000, graceMs: 200 }) }],
    });
    const [first] = await whichChildren(rt, sup);
    await clock.advance(1200);
    expect(rt.exitReasonOf(first?.pid as Pid)).toEqual({ watchdog: 'no_progress' });
    expect(events).toEqual(['watchdog.soft_stop@1000', 'watchdog.killed@1200']);
    const [second] = await whichChildren(rt, sup);
    expect(second?.pid).not.toBe(first?.pid);
  });

  it('leaves a child that keeps beating alone, and lets one that stops when asked end on its own', async () => {
    const clock = new VirtualClock();
    const rt = runtime(clock);
    const beating = worker(async (ctx: ProcessContext) => {
      for (;;) {
        ctx.beat();
        await ctx.sleep(300);
      }
    });
    const polite = worker(async (ctx: ProcessContext) => {
      await new Promise<void>((resolve) => ctx.stopSignal.addEventListener('abort', () => resolve()));
      ctx.exit({ stopped: 'softly' });
    });
    const sup = await startSupervisor(rt, {
      intensity: 5,
      children: [
        { id: 'beating', start: withWatchdog(beating, { timeoutMs: 1000 }) },
        { id: 'polite', start: withWatchdog(polite, { timeoutMs: 1000, graceMs: 500 }) },
      ],
    });
    const [b, p] = await whichChildren(rt, sup);
    await clock.advance(5000);
    expect(rt.isAlive(b?.pid as Pid)).toBe(true);
    expect(rt.exitReasonOf(p?.pid as Pid)).toEqual({ stopped: 'softly' });
  });

  it('rejects bad options naming the field', () => {
    expect(() =>
      withWatchdog(
        worker(() => {}),
        { timeoutMs: 0 },
      ),
    ).toThrow(expect.objectContaining({ code: 'INVALID_SPEC', path: 'timeoutMs' }));
    expect(() =>
      withWatchdog(
        worker(() => {}),
        { timeoutMs: 10, graceMs: -1 },
      ),
    ).toThrow(expect.objectContaining({ path: 'graceMs' }));
  });
});
