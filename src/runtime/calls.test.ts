/**
 * Calls: the reply, CallTimeoutError (and the late reply dropped), CallTargetExitedError with
 * the target's reason or noproc, and calls by registered name. On the virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { CallTargetExitedError, Crash, Runtime, VirtualClock, isCall, isWardenError, settle, type ProcessContext } from './index.ts';

function setup(): { rt: Runtime; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { rt: new Runtime({ clock }), clock };
}

describe('call and cast', () => {
  const echo = async (ctx: ProcessContext): Promise<void> => {
    for (;;) {
      const m = await ctx.receive();
      if (isCall(m)) ctx.reply(m.from, { echo: m.request });
    }
  };

  it('returns the reply', async () => {
    const { rt } = setup();
    const pid = rt.spawn(echo);
    expect(await rt.call(pid, 42)).toEqual({ echo: 42 });
  });

  it('fails with CallTimeoutError after timeoutMs and drops the late reply', async () => {
    const { rt, clock } = setup();
    const held: Array<() => void> = [];
    const pid = rt.spawn(async (ctx) => {
      for (;;) {
        const m = await ctx.receive();
        if (isCall(m)) held.push(() => ctx.reply(m.from, 'late'));
      }
    });
    const p = rt.call(pid, 'q', { timeoutMs: 100 });
    const outcome = p.then(
      () => 'resolved',
      (e: unknown) => (isWardenError(e, 'CALL_TIMEOUT') ? 'timeout' : 'other'),
    );
    await clock.advance(100);
    expect(await outcome).toBe('timeout');
    held[0]?.();
    await settle();
  });

  it('fails with CallTargetExitedError carrying the reason when the target dies, and noproc for a dead target', async () => {
    const { rt } = setup();
    const pid = rt.spawn(async (ctx) => {
      await ctx.receive();
      throw new Error('died');
    });
    const err = await rt.call(pid, 'q').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallTargetExitedError);
    expect((err as CallTargetExitedError).reason).toBeInstanceOf(Crash);
    const again = await rt.call(pid, 'q').catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'CALL_TARGET_EXITED', reason: 'noproc' });
    await expect(rt.call('nobody', 'q')).rejects.toMatchObject({ reason: 'noproc' });
  });

  it('calls between processes and by registered name', async () => {
    const { rt } = setup();
    rt.spawn(echo, undefined, { name: 'echo' });
    const results: unknown[] = [];
    const pid = rt.spawn(async (ctx) => {
      results.push(await ctx.call('echo', 'hi'));
    });
    await rt.whenExited(pid);
    expect(results).toEqual([{ echo: 'hi' }]);
  });
});
