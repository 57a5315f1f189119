/**
 * Event-loop stall detection: a loop blocked by a synchronous inline process is reported once it
 * runs again, and a sampling interval that is not shorter than the stall threshold is refused.
 * The stall is a real busy loop on this thread, watched from a real worker thread.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Runtime, type ProcessContext } from '../runtime/index.ts';
import { watchEventLoop } from './index.ts';

const runtimes: Runtime[] = [];
function runtime(): Runtime {
  const rt = new Runtime();
  runtimes.push(rt);
  return rt;
}
afterEach(() => {
  for (const rt of runtimes.splice(0)) rt.killAll();
});

describe('event loop stalls', () => {
  it('reports a loop blocked by a synchronous inline process once it runs again', async () => {
    const rt = runtime();
    const watch = watchEventLoop({ runtime: rt, stallMs: 50, intervalMs: 10, warn: false });
    const blocked = rt.events.next('runtime.loop_blocked');
    const spinner = rt.spawn(async (ctx: ProcessContext) => {
      await ctx.receive();
      // A synchronous loop: nothing else on this thread runs until it ends.
      for (const until = performance.now() + 300; performance.now() < until; );
    });
    rt.send(spinner, 'go');
    const event = await blocked;
    watch.stop();
    expect(event.durationMs).toBeGreaterThan(0);
  });

  it('rejects an interval that is not shorter than the stall threshold', () => {
    expect(() => watchEventLoop({ runtime: runtime(), stallMs: 50, intervalMs: 50 })).toThrow(expect.objectContaining({ path: 'intervalMs' }));
  });
});
