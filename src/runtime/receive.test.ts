/**
 * Receiving: selective receive keeps the other messages queued in order, a timed receive
 * resolves undefined, and tryReceive never waits. On the virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { Runtime, VirtualClock, settle } from './index.ts';

function setup(): { rt: Runtime; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { rt: new Runtime({ clock }), clock };
}

describe('messages and receive', () => {
  it('receives selectively, leaving unmatched messages queued in order', async () => {
    const { rt } = setup();
    const seen: unknown[] = [];
    const pid = rt.spawn(async (ctx) => {
      seen.push(await ctx.receive((m): m is string => m === 'b'));
      seen.push(await ctx.receive());
      seen.push(await ctx.receive());
    });
    rt.send(pid, 'a');
    rt.send(pid, 'b');
    rt.send(pid, 'c');
    await rt.whenExited(pid);
    expect(seen).toEqual(['b', 'a', 'c']);
  });

  it('resolves undefined when a receive times out, on the virtual clock', async () => {
    const { rt, clock } = setup();
    const results: unknown[] = [];
    const pid = rt.spawn(async (ctx) => {
      results.push(await ctx.receive({ timeoutMs: 1000 }));
      results.push(await ctx.receive({ timeoutMs: 1000 }));
    });
    await clock.advance(999);
    expect(results).toEqual([]);
    await clock.advance(1);
    expect(results).toEqual([undefined]);
    rt.send(pid, 'x');
    await settle();
    expect(results).toEqual([undefined, 'x']);
  });

  it('tryReceive returns a queued message or undefined without waiting', async () => {
    const { rt } = setup();
    const seen: unknown[] = [];
    const pid = rt.spawn(async (ctx) => {
      seen.push(ctx.tryReceive());
      await ctx.receive((m) => m === 'go');
      seen.push(ctx.tryReceive());
    });
    await settle();
    rt.send(pid, 'queued');
    rt.send(pid, 'go');
    await rt.whenExited(pid);
    expect(seen).toEqual([undefined, 'queued']);
  });
});
