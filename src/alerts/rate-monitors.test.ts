/**
 * Spend-rate and restart-rate alerts from real parts on the virtual clock: a Budget committing
 * spend, a resilient model client metering calls to the simulated model server, and a
 * supervisor restarting a crashing child.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Budget } from '../resilience/index.ts';
import { Runtime, VirtualClock, type ExitReason, type ProcessContext, type WardenEvent } from '../runtime/index.ts';
import { startSupervisor, whichChildren, worker } from '../supervisor/index.ts';
import { startHarnessEvents } from '../testing/event-log.ts';
import { startSimHarness, thrownBy, type SimHarness } from '../testing/index.ts';
import { RestartRateMonitor, SpendRateMonitor } from './index.ts';

describe('spend rate', () => {
  it('alerts when a budget scope spends more than the bound within the window, once per cool-down', async () => {
    const { clock, bus, of } = startHarnessEvents();
    const monitor = new SpendRateMonitor({ bus, clock, maxPerWindow: 1, windowMs: 60_000, cooldownMs: 600_000 });
    const budget = new Budget({ scope: 'global', bus, clock, limits: { usd: 100 } });
    const spend = (usd: number): void => budget.reserve({ usd }).commit({ usd });

    spend(0.4);
    await clock.advance(10_000);
    spend(0.4);
    expect(of('alert.raised')).toEqual([]);
    await clock.advance(10_000);
    spend(0.4); // 1.2 within 60 s
    for (let i = 0; i < 20; i++) spend(0.4);
    expect(of('alert.raised').map((e) => e.alert)).toMatchObject([
      {
        kind: 'spend_rate',
        subject: 'global',
        threshold: 1,
        windowMs: 60_000,
        severity: 'warning',
        message: expect.stringContaining('spent $1.2 within 60000 ms'),
      },
    ]);
    expect(monitor.current('global')).toBeCloseTo(9.2);
  });

  it('forgets spend older than the window', async () => {
    const { clock, bus, of } = startHarnessEvents();
    new SpendRateMonitor({ bus, clock, maxPerWindow: 1, windowMs: 60_000 });
    const budget = new Budget({ scope: 'global', bus, clock });
    for (let i = 0; i < 10; i++) {
      budget.reserve({ usd: 0.6 }).commit({ usd: 0.6 });
      await clock.advance(60_000);
    }
    expect(of('alert.raised')).toEqual([]);
  });

  describe('from the model layer', () => {
    let h: SimHarness | undefined;
    afterEach(async () => {
      await h?.close();
    });

    it('alerts on tokens metered by a real client calling the simulated model', async () => {
      h = await startSimHarness();
      new SpendRateMonitor({ bus: h.bus, clock: h.clock, from: 'llm', unit: 'tokens', maxPerWindow: 50, windowMs: 60_000 });
      const client = h.client({ name: 'researcher' });
      for (let i = 0; i < 5; i++) await client.complete({ messages: [{ role: 'user', content: `summarise page ${i} of the report, please` }] });
      const metered = h.of('llm.response').reduce((sum, e) => sum + e.usage.totalTokens, 0);
      expect(metered).toBeGreaterThan(50);
      expect(h.of('alert.raised').map((e) => e.alert)).toMatchObject([{ kind: 'spend_rate', subject: 'researcher', threshold: 50 }]);
    });
  });

  it('refuses bad options naming the field', () => {
    const { bus } = startHarnessEvents();
    expect(thrownBy(() => new SpendRateMonitor({ bus, maxPerWindow: 0 }))).toMatchObject({ code: 'INVALID_SPEC', path: 'maxPerWindow' });
    expect(thrownBy(() => new SpendRateMonitor({ bus, maxPerWindow: 1, from: 'ledger' as never }))).toMatchObject({ path: 'from' });
  });
});

describe('restart rate', () => {
  /** A worker that crashes with whatever it is sent. */
  const crashOnMessage = worker(async (ctx: ProcessContext) => {
    ctx.exit((await ctx.receive()) as ExitReason);
  });

  async function crashLoop(by: 'child' | 'supervisor') {
    const clock = new VirtualClock();
    const rt = new Runtime({ clock });
    const events: WardenEvent[] = [];
    rt.events.onAny((e) => events.push(e));
    new RestartRateMonitor({ bus: rt.events, clock, maxRestarts: 3, windowMs: 60_000, by });
    const sup = await startSupervisor(rt, {
      name: 'tools',
      strategy: 'one_for_one',
      intensity: 100,
      periodSeconds: 60,
      children: [{ id: 'browser', start: crashOnMessage }],
    });
    for (let i = 0; i < 6; i++) {
      const child = (await whichChildren(rt, sup))[0]!.pid;
      if (child === undefined || child === 'restarting') throw new Error('not running');
      rt.send(child, 'boom');
      await clock.advance(5_000);
    }
    rt.killAll();
    return events.filter((e): e is WardenEvent<'alert.raised'> => e.type === 'alert.raised').map((e) => e.alert);
  }

  it('alerts on a crash loop before the supervisor gives up, per child', async () => {
    expect(await crashLoop('child')).toMatchObject([{ kind: 'restart_rate', subject: 'tools/browser', value: 4, threshold: 3, severity: 'critical' }]);
  });

  it('counts per supervisor when asked', async () => {
    expect(await crashLoop('supervisor')).toMatchObject([{ subject: 'tools', value: 4 }]);
  });
});
