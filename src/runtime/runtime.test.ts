/**
 * The runtime's two faces: what the event stream reports of a process's life, and a dead
 * incarnation's ctx refusing every operation. On the virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { Runtime, VirtualClock, settle, type Pid, type ProcessContext, type WardenEvent } from './index.ts';

function setup(): { rt: Runtime; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { rt: new Runtime({ clock }), clock };
}

/** A process that records every message it gets until it receives 'stop'. */
function collector(rt: Runtime, options?: Parameters<Runtime['spawn']>[2]): { pid: Pid; got: unknown[] } {
  const got: unknown[] = [];
  const pid = rt.spawn(
    async (ctx: ProcessContext) => {
      for (;;) {
        const m = await ctx.receive();
        if (m === 'stop') return;
        got.push(m);
      }
    },
    undefined,
    options,
  );
  return { pid, got };
}

describe('process lifecycle', () => {
  it('emits process.spawned and process.exited on the event stream', async () => {
    const { rt } = setup();
    const events: WardenEvent[] = [];
    rt.events.onAny((e) => events.push(e));
    const pid = rt.spawn(async () => {}, undefined, { label: 'worker' });
    await rt.whenExited(pid);
    expect(events.map((e) => e.type)).toEqual(['process.spawned', 'process.exited']);
    expect(events[1]).toMatchObject({ pid, reason: 'normal', label: 'worker' });
  });

  it('refuses every operation of a process that has exited (a stale incarnation)', async () => {
    const { rt } = setup();
    let saved: ProcessContext | undefined;
    const target = collector(rt);
    const pid = rt.spawn(async (ctx) => {
      saved = ctx;
      await ctx.receive();
    });
    await settle();
    rt.sendExit(pid, 'kill');
    const ctx = saved as ProcessContext;
    expect(ctx.isAlive).toBe(false);
    expect(() => ctx.send(target.pid, 'late')).toThrow(expect.objectContaining({ code: 'PROCESS_EXITED' }));
    await expect(ctx.call(target.pid, 'x')).rejects.toMatchObject({ code: 'PROCESS_EXITED' });
    expect(() => ctx.spawn(async () => {})).toThrow(expect.objectContaining({ code: 'PROCESS_EXITED' }));
    expect(ctx.signal.aborted).toBe(true);
    await settle();
    expect(target.got).toEqual([]);
  });
});
