/**
 * Exit signals and deaths, with Erlang's rules: ctx.exit, the cancelled receive of a killed
 * process, propagation over links by reason, exit trapping, kill (untrappable when sent,
 * ordinary over a link), normal signals ignored, and a 100,000-process cascade. On the
 * virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { Crash, ExitMessage, Runtime, VirtualClock, settle, type ExitReason, type Pid, type ProcessContext } from './index.ts';

function setup(): { rt: Runtime; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { rt: new Runtime({ clock }), clock };
}

const hang = async (ctx: ProcessContext): Promise<void> => {
  await ctx.receive(() => false);
};

describe('process lifecycle', () => {
  it('exits with the reason given to ctx.exit and runs no code after it', async () => {
    const { rt } = setup();
    let after = false;
    const pid = rt.spawn(async (ctx) => {
      ctx.exit({ shutdown: 'done' });
      after = true;
    });
    expect(await rt.whenExited(pid)).toEqual({ shutdown: 'done' });
    expect(after).toBe(false);
  });

  it('rejects a pending receive when the process is killed, so finally blocks run', async () => {
    const { rt } = setup();
    let cleaned = false;
    const pid = rt.spawn(async (ctx) => {
      try {
        await ctx.receive();
      } finally {
        cleaned = true;
      }
    });
    await settle();
    rt.sendExit(pid, 'kill');
    await settle();
    expect(cleaned).toBe(true);
    expect(rt.exitReasonOf(pid)).toBe('killed');
  });
});

describe('links and exit signals', () => {
  it.each<[string, ExitReason, boolean]>([
    ['crash', 'crash', true],
    ['shutdown', 'shutdown', true],
    ['{shutdown, x}', { shutdown: 'x' }, true],
    ['normal', 'normal', false],
  ])('a linked, non-trapping process %s-exit propagates: %s', async (_name, reason, dies) => {
    const { rt } = setup();
    let partner: Pid | undefined;
    const a = rt.spawn(async (ctx) => {
      partner = ctx.spawnLink(hang);
      await ctx.receive();
    });
    await settle();
    rt.sendExit(partner as Pid, reason === 'normal' ? 'kill' : reason);
    if (reason === 'normal') {
      // a normal exit of the partner: spawn another linked one that returns normally
      const b = rt.spawn(async (ctx) => {
        ctx.spawnLink(async () => {});
        await ctx.receive();
      });
      await settle();
      expect(rt.isAlive(b)).toBe(true);
      return;
    }
    await settle();
    expect(rt.isAlive(a)).toBe(!dies);
    expect(rt.exitReasonOf(a)).toEqual(reason);
  });

  it('turns exit signals into EXIT messages for a process that traps exits', async () => {
    const { rt } = setup();
    const got: unknown[] = [];
    let child: Pid | undefined;
    const parent = rt.spawn(
      async (ctx) => {
        child = ctx.spawnLink(async () => {
          throw new Error('bad');
        });
        got.push(await ctx.receive());
      },
      undefined,
      { trapExits: true },
    );
    await rt.whenExited(parent);
    expect(got[0]).toBeInstanceOf(ExitMessage);
    const m = got[0] as ExitMessage;
    expect(m.from).toBe(child);
    expect(m.reason).toBeInstanceOf(Crash);
    expect(rt.exitReasonOf(parent)).toBe('normal');
  });

  it('kills even a trapping process with kill, which then exits killed and signals killed to its links', async () => {
    const { rt } = setup();
    const got: unknown[] = [];
    let victim: Pid | undefined;
    rt.spawn(
      async (ctx) => {
        victim = ctx.spawnLink(async (c) => {
          c.trapExits(true);
          await c.receive(() => false);
        });
        got.push(await ctx.receive());
      },
      undefined,
      { trapExits: true },
    );
    await settle();
    rt.sendExit(victim as Pid, 'kill');
    await settle();
    expect(rt.exitReasonOf(victim as Pid)).toBe('killed');
    expect((got[0] as ExitMessage).reason).toBe('killed');
  });

  it('treats a kill reason arriving over a link as an ordinary, trappable reason', async () => {
    const { rt } = setup();
    const got: unknown[] = [];
    const watcher = rt.spawn(
      async (ctx) => {
        ctx.spawnLink(async (c) => c.exit('kill'));
        got.push(await ctx.receive());
      },
      undefined,
      { trapExits: true },
    );
    await rt.whenExited(watcher);
    expect((got[0] as ExitMessage).reason).toBe('kill');
    expect(rt.exitReasonOf(watcher)).toBe('normal');
  });

  it('ignores a normal exit signal sent to a non-trapping process', async () => {
    const { rt } = setup();
    const pid = rt.spawn(hang);
    await settle();
    rt.sendExit(pid, 'normal');
    await settle();
    expect(rt.isAlive(pid)).toBe(true);
  });

  it('propagates a crash down a chain of 100,000 linked processes without overflowing the stack', async () => {
    const { rt } = setup();
    const chain = async (ctx: ProcessContext, n: number): Promise<void> => {
      if (n > 0) ctx.spawnLink(chain, n - 1);
      await ctx.receive(() => false);
    };
    const first = rt.spawn(chain, 100_000);
    for (let i = 0; i < 100_001 && rt.processCount < 100_001; i++) await settle();
    expect(rt.processCount).toBe(100_001);
    rt.sendExit(first, 'boom');
    expect(rt.processCount).toBe(0);
  });
});
