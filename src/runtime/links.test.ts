/**
 * Making links and monitors: noproc for a dead target, DOWN messages carrying the exit
 * reason, and demonitor's flush. On the virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { type DownMessage, Runtime, VirtualClock, settle, type ProcessContext } from './index.ts';

function setup(): { rt: Runtime; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { rt: new Runtime({ clock }), clock };
}

const hang = async (ctx: ProcessContext): Promise<void> => {
  await ctx.receive(() => false);
};

describe('links and exit signals', () => {
  it('signals noproc when linking to a dead process', async () => {
    const { rt } = setup();
    const dead = rt.spawn(async () => {});
    await rt.whenExited(dead);
    const got: unknown[] = [];
    const pid = rt.spawn(
      async (ctx) => {
        ctx.link(dead);
        got.push(await ctx.receive());
      },
      undefined,
      { trapExits: true },
    );
    await rt.whenExited(pid);
    expect(got[0]).toMatchObject({ type: 'EXIT', reason: 'noproc' });
  });
});

describe('monitors', () => {
  it('delivers DOWN with the exit reason, and noproc for a process already gone', async () => {
    const { rt } = setup();
    const dead = rt.spawn(async () => {});
    await rt.whenExited(dead);
    const target = rt.spawn(hang);
    const got: DownMessage[] = [];
    const refs: number[] = [];
    const watcher = rt.spawn(async (ctx) => {
      refs.push(ctx.monitor(target), ctx.monitor(dead));
      got.push(await ctx.receive(), await ctx.receive());
    });
    await settle();
    rt.sendExit(target, 'bye');
    await rt.whenExited(watcher);
    expect(got.map((d) => [d.ref, d.reason])).toEqual([
      [refs[1], 'noproc'],
      [refs[0], 'bye'],
    ]);
    expect(got[1]?.pid).toBe(target);
  });

  it('demonitor with flush removes a DOWN already queued', async () => {
    const { rt } = setup();
    const target = rt.spawn(async () => {});
    const seen: unknown[] = [];
    const pid = rt.spawn(async (ctx) => {
      const ref = ctx.monitor(target);
      await ctx.receive((m) => m === 'go');
      ctx.demonitor(ref, { flush: true });
      seen.push(ctx.tryReceive());
    });
    await settle();
    await rt.whenExited(target);
    rt.send(pid, 'go');
    await rt.whenExited(pid);
    expect(seen).toEqual([undefined]);
  });
});
