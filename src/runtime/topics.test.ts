/**
 * Topics: a publication reaches every live subscriber, and a subscriber that exits is forgotten.
 */
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

describe('topics', () => {
  it('publishes to every live subscriber and forgets subscribers that exit', async () => {
    const { rt } = setup();
    const c1 = collector(rt);
    const c2 = collector(rt);
    await settle();
    rt.subscribe('news', c1.pid);
    rt.subscribe('news', c2.pid);
    expect(rt.publish('news', 'one')).toBe(2);
    await settle();
    rt.sendExit(c2.pid, 'kill');
    expect(rt.publish('news', 'two')).toBe(1);
    await settle();
    expect(c1.got).toEqual(['one', 'two']);
    expect(c2.got).toEqual(['one']);
  });
});
