/**
 * The monitors tuned live from a HotConfig: a bound raised or lowered in the config takes effect
 * on the next observation, a bad bound is refused naming the field and the old one kept, and a
 * subagent limit changed keeps what its kind counts.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HotConfig } from '../config/index.ts';
import { Budget } from '../resilience/index.ts';
import { Runtime, VirtualClock, type ProcessContext } from '../runtime/index.ts';
import { startHarnessEvents } from '../testing/event-log.ts';
import { SpendRateMonitor, SubagentCountMonitor } from './index.ts';

const loose = z.object({
  spend: z.object({ maxPerWindow: z.number() }),
  subagents: z.object({ limits: z.array(z.object({ kind: z.string(), max: z.number() })) }),
});

describe('monitors bound to a live config', () => {
  it('follow a spend bound changed while running, and refuse a bad one naming the field', async () => {
    const { clock, bus, of } = startHarnessEvents();
    const config = new HotConfig({
      name: 'alerts',
      schema: loose,
      initial: { spend: { maxPerWindow: 5 }, subagents: { limits: [{ kind: 'sync', max: 1 }] } },
      clock,
      bus,
    });
    const spend = new SpendRateMonitor({ bus, clock, maxPerWindow: 100, windowMs: 60_000 });
    config.bind('spend', spend);
    const budget = new Budget({ scope: 'global', bus, clock });
    budget.reserve({ usd: 3 }).commit({ usd: 3 });
    expect(of('alert.raised')).toEqual([]);

    await config.patch({ spend: { maxPerWindow: 2 } });
    budget.reserve({ usd: 0.5 }).commit({ usd: 0.5 });
    expect(of('alert.raised').map((e) => e.alert)).toMatchObject([{ kind: 'spend_rate', value: 3.5, threshold: 2 }]);

    await expect(config.patch({ spend: { maxPerWindow: -1 } })).rejects.toMatchObject({ code: 'INVALID_SPEC', path: 'spend.maxPerWindow' });
    expect(config.current.spend.maxPerWindow).toBe(2);
    expect(of('policy.configured')).toMatchObject([{ kind: 'spend_rate_monitor', changed: ['maxPerWindow'] }, { changed: ['maxPerWindow'] }]);
  });

  it('keep what a subagent kind counts when its limit changes', async () => {
    const clock = new VirtualClock();
    const rt = new Runtime({ clock });
    const raised: string[] = [];
    rt.events.on('alert.raised', (e) => raised.push(`${e.alert.kind} ${e.alert.value}/${e.alert.threshold}`));
    const config = new HotConfig({
      name: 'alerts',
      schema: loose,
      initial: { spend: { maxPerWindow: 5 }, subagents: { limits: [{ kind: 'sync', max: 3 }] } },
      clock,
    });
    const monitor = new SubagentCountMonitor({ bus: rt.events, clock, limits: [{ kind: 'sync', max: 10 }], cooldownMs: 0 });
    config.bind('subagents', monitor);
    const idle = async (ctx: ProcessContext): Promise<void> => {
      await ctx.receive();
    };
    for (let i = 0; i < 3; i++) rt.spawn(idle, undefined, { label: 'sync' });
    expect(raised).toEqual([]);
    await config.patch({ subagents: { limits: [{ kind: 'sync', max: 2 }] } });
    expect(monitor.running('sync')).toBe(3);
    rt.spawn(idle, undefined, { label: 'sync' });
    expect(raised).toEqual(['subagent_count 4/2']);
    rt.killAll();
  });
});
