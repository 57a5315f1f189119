/**
 * The scheduler: a body starts on the next microtask, never inside spawn, and its return or
 * throw is the process's exit reason. On the virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { Crash, Runtime, VirtualClock, settle } from './index.ts';

function setup(): { rt: Runtime; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { rt: new Runtime({ clock }), clock };
}

describe('process lifecycle', () => {
  it('starts a body on the next microtask, not inside spawn', async () => {
    const { rt } = setup();
    const order: string[] = [];
    rt.spawn(() => {
      order.push('body');
    });
    order.push('after spawn');
    await settle();
    expect(order).toEqual(['after spawn', 'body']);
  });

  it('exits normal when the body returns and with a Crash carrying the thrown error when it throws', async () => {
    const { rt } = setup();
    const boom = new Error('boom');
    const ok = rt.spawn(async () => {});
    const bad = rt.spawn(async () => {
      throw boom;
    });
    expect(await rt.whenExited(ok)).toBe('normal');
    const reason = await rt.whenExited(bad);
    expect(reason).toBeInstanceOf(Crash);
    expect((reason as Crash).error).toBe(boom);
  });
});
