/**
 * The named registry: one name per process, a taken name refused, the name released on exit.
 */
import { describe, expect, it } from 'vitest';
import { NameTakenError, Runtime, VirtualClock, type ProcessContext } from './index.ts';

function setup(): { rt: Runtime; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { rt: new Runtime({ clock }), clock };
}

const hang = async (ctx: ProcessContext): Promise<void> => {
  await ctx.receive(() => false);
};

describe('registry', () => {
  it('registers one name per process, refuses a taken name, and releases it on exit', async () => {
    const { rt } = setup();
    const a = rt.spawn(hang, undefined, { name: 'svc' });
    expect(rt.whereis('svc')).toBe(a);
    expect(() => rt.spawn(hang, undefined, { name: 'svc' })).toThrow(NameTakenError);
    rt.sendExit(a, 'kill');
    expect(rt.whereis('svc')).toBeUndefined();
    const b = rt.spawn(hang, undefined, { name: 'svc' });
    expect(rt.whereis('svc')).toBe(b);
  });
});
