/**
 * Delivery: per-sender order (also as a property over interleavings), and what sending to a
 * dead process, an unknown name or an undefined message does. On the virtual clock.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Runtime, VirtualClock, settle, type Pid, type ProcessContext } from './index.ts';

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

describe('messages and receive', () => {
  it('delivers messages from one sender in send order', async () => {
    const { rt } = setup();
    const c = collector(rt);
    for (let i = 0; i < 100; i++) rt.send(c.pid, i);
    await settle();
    expect(c.got).toEqual([...Array(100).keys()]);
  });

  it('is a silent no-op to send to a dead process, and an error to send to an unknown name', async () => {
    const { rt } = setup();
    const pid = rt.spawn(async () => {});
    await rt.whenExited(pid);
    expect(() => rt.send(pid, 'x')).not.toThrow();
    expect(() => rt.send('nobody', 'x')).toThrow(expect.objectContaining({ code: 'NAME_NOT_REGISTERED' }));
    expect(() => rt.send(pid, undefined)).toThrow(expect.objectContaining({ code: 'INVALID_SPEC' }));
  });

  it('keeps per-sender order for any interleaving of two senders (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 60 }), async (pattern) => {
        const { rt } = setup();
        const c = collector(rt);
        const counters = { a: 0, b: 0 };
        for (const fromA of pattern) {
          const key = fromA ? 'a' : 'b';
          rt.send(c.pid, `${key}${counters[key]++}`);
        }
        await settle();
        const a = c.got.filter((m) => String(m).startsWith('a'));
        const b = c.got.filter((m) => String(m).startsWith('b'));
        expect(a).toEqual([...Array(counters.a).keys()].map((i) => `a${i}`));
        expect(b).toEqual([...Array(counters.b).keys()].map((i) => `b${i}`));
      }),
    );
  });
});
