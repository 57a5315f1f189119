/**
 * The subagent-count monitor against real processes and a real dynamic supervisor on the
 * virtual clock: the memory-sync duplicate-spawn burst is one alert, refused at the start or
 * stopped after it; growth over a window; keyed leases; bad options.
 */
import { describe, expect, it } from 'vitest';
import { Runtime, VirtualClock, isWardenError, type ProcessContext, type WardenEvent } from '../runtime/index.ts';
import { startChild, startSupervisor, whichChildren, worker } from '../supervisor/index.ts';
import { thrownBy } from '../testing/index.ts';
import { SubagentCountMonitor, type SubagentLimit } from './index.ts';

function setup(limit: SubagentLimit, cooldownMs = 60_000) {
  const clock = new VirtualClock();
  const rt = new Runtime({ clock });
  const events: WardenEvent[] = [];
  rt.events.onAny((e) => events.push(e));
  const monitor = new SubagentCountMonitor({ bus: rt.events, clock, runtime: rt, limits: [limit], cooldownMs });
  const of = <K extends WardenEvent['type']>(type: K) => events.filter((e): e is WardenEvent<K> => e.type === type);
  return { clock, rt, monitor, events, of };
}

/** A memory sync that runs until told to stop. */
const sync = async (ctx: ProcessContext): Promise<void> => {
  await ctx.receive();
};

describe('a duplicate-spawn burst', () => {
  it('of plain processes is one alert per cool-down, the repeats counted in the next', async () => {
    const { rt, clock, monitor, of } = setup({ kind: 'memory-sync', max: 1 });
    for (let i = 0; i < 50; i++) rt.spawn(sync, undefined, { label: `memory-sync:${i}` });
    await clock.settle();
    expect(monitor.running('memory-sync')).toBe(50);
    expect(of('alert.raised').map((e) => e.alert)).toMatchObject([
      { kind: 'subagent_count', subject: 'memory-sync', value: 2, threshold: 1, severity: 'critical', suppressed: 0, monitor: 'subagents' },
    ]);

    await clock.advance(60_000);
    rt.spawn(sync, undefined, { label: 'memory-sync:late' });
    expect(of('alert.raised').map((e) => e.alert)).toMatchObject([{ value: 2 }, { value: 51, suppressed: 48 }]);
    rt.killAll();
  });

  it('through a dynamic supervisor is refused at the start with action refuse', async () => {
    const { rt, clock, monitor, of } = setup({ kind: 'memory-sync', max: 1, action: 'refuse' });
    const sup = await startSupervisor(rt, {
      strategy: 'dynamic',
      template: { id: 'memory-sync', start: monitor.guardStart('memory-sync', worker(sync)), restart: 'temporary' },
    });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await startChild(rt, sup, undefined));
    await clock.settle();
    expect(results.map((r) => r.ok)).toEqual([true, false, false, false, false]);
    expect(results[1]).toMatchObject({
      ok: false,
      error: 'start_failed',
      reason: { subagent_limit: expect.stringContaining('1 of kind "memory-sync" already running') },
    });
    expect(await whichChildren(rt, sup)).toHaveLength(1);
    expect(of('alert.raised')).toHaveLength(1);
    expect(of('alert.action_taken').map((e) => e.action)).toEqual(['refused', 'refused', 'refused', 'refused']);

    const error = thrownBy(() => monitor.admit('memory-sync'));
    expect(isWardenError(error, 'SUBAGENT_LIMIT') && error).toMatchObject({ kind: 'memory-sync', bound: 'max', value: 1, limit: 1, retryable: true });
    rt.killAll();
  });

  it('through a dynamic supervisor is cut back to the bound with action stop_newest, the oldest kept', async () => {
    const { rt, clock, monitor, of } = setup({ kind: 'memory-sync', max: 1, action: 'stop_newest' });
    const sup = await startSupervisor(rt, { strategy: 'dynamic', template: { id: 'memory-sync', start: worker(sync), restart: 'permanent' } });
    const first = await startChild(rt, sup, undefined);
    for (let i = 0; i < 3; i++) await startChild(rt, sup, undefined);
    await clock.settle();
    await clock.advance(10_000);
    const children = await whichChildren(rt, sup);
    expect(children.map((c) => c.pid)).toEqual([first.ok ? first.pid : 'none']);
    expect(monitor.running('memory-sync')).toBe(1);
    expect(of('alert.action_taken').map((e) => e.action)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(of('supervisor.child_restarted')).toEqual([]);
    expect(of('alert.raised')).toHaveLength(1);
    expect(of('alert.resolved')).toMatchObject([{ kind: 'subagent_count', subject: 'memory-sync' }]);
    rt.killAll();
  });
});

describe('growth', () => {
  it('alerts when more start within the window than maxStarts, even though each ended', async () => {
    const { rt, clock, of } = setup({ kind: 'memory-sync', maxStarts: 3, windowMs: 60_000 });
    const quick = async (): Promise<void> => {};
    for (let i = 0; i < 4; i++) {
      rt.spawn(quick, undefined, { label: 'memory-sync' });
      await clock.advance(6_000); // every 6 s
    }
    expect(of('alert.raised').map((e) => e.alert)).toMatchObject([{ kind: 'subagent_growth', value: 4, threshold: 3, windowMs: 60_000 }]);
  });

  it('does not alert when the starts are spread wider than the window', async () => {
    const { rt, clock, of } = setup({ kind: 'memory-sync', maxStarts: 3, windowMs: 60_000 });
    for (let i = 0; i < 10; i++) {
      rt.spawn(async () => {}, undefined, { label: 'memory-sync' });
      await clock.advance(6 * 60_000); // the seed's incident: every 6 minutes
    }
    expect(of('alert.raised')).toEqual([]);
  });
});

describe('keyed leases', () => {
  it('count work that is not a process, refuse past the bound and free the slot on dispose', () => {
    const { monitor, of } = setup({ kind: 'sync:', max: 2, action: 'refuse' });
    const a = monitor.enter('sync:memory');
    monitor.enter('sync:mail');
    expect(thrownBy(() => monitor.enter('sync:calendar'))).toMatchObject({ code: 'SUBAGENT_LIMIT', target: 'sync:calendar' });
    a.dispose();
    expect(() => monitor.enter('sync:calendar')).not.toThrow();
    expect(monitor.running('sync:')).toBe(2);
    expect(of('alert.raised')).toHaveLength(1);
  });

  it('are stopped through their stop with stop_newest', () => {
    const { monitor } = setup({ kind: 'job', max: 1, action: 'stop_newest' });
    const stopped: string[] = [];
    monitor.enter('job', { stop: () => stopped.push('first') });
    monitor.enter('job', { stop: () => stopped.push('second') });
    expect(stopped).toEqual(['second']);
  });
});

describe('options', () => {
  it.each<[string, unknown, string]>([
    ['a negative max', { limits: [{ kind: 'a', max: -1 }] }, 'limits[0].max'],
    ['no limits', { limits: [] }, 'limits'],
    ['an unknown action', { limits: [{ kind: 'a', action: 'explode' }] }, 'limits[0].action'],
    ['a kind given twice', { limits: [{ kind: 'a' }, { kind: 'a' }] }, 'limits[1].kind'],
    ['stop_newest without a runtime', { limits: [{ kind: 'a', max: 1, action: 'stop_newest' }] }, 'limits[0].action'],
  ])('refuses %s naming the field', (_, override, path) => {
    const clock = new VirtualClock();
    const rt = new Runtime({ clock });
    expect(thrownBy(() => new SubagentCountMonitor({ bus: rt.events, ...(override as object) } as never))).toMatchObject({ code: 'INVALID_SPEC', path });
  });
});

describe('as a resilience policy', () => {
  it('refuses a call past the bound, and lets the next one in once a call ends', async () => {
    const { monitor } = setup({ kind: 'memory-sync', max: 1, action: 'refuse' });
    const policy = monitor.policy('memory-sync');
    let release = (): void => {};
    const first = policy.execute(() => new Promise<string>((resolve) => (release = () => resolve('synced'))));
    await expect(policy.execute(async () => 'duplicate')).rejects.toMatchObject({ code: 'SUBAGENT_LIMIT', bound: 'max' });
    release();
    expect(await first).toBe('synced');
    expect(await policy.execute(async () => 'again')).toBe('again');
  });

  it('aborts the newest call with stop_newest', async () => {
    const { monitor } = setup({ kind: 'memory-sync', max: 1, action: 'stop_newest' });
    const policy = monitor.policy('memory-sync');
    const signals: AbortSignal[] = [];
    const hold = ({ signal }: { signal: AbortSignal }) => {
      signals.push(signal);
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    };
    void policy.execute(hold);
    const second = policy.execute(hold); // over the bound as it enters: stopped before it runs
    await expect(second).rejects.toMatchObject({ code: 'SUBAGENT_LIMIT' });
    expect(signals.map((s) => s.aborted)).toEqual([false]);
    expect(monitor.running('memory-sync')).toBe(1);
  });
});
