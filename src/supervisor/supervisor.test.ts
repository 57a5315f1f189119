/**
 * Supervisors through their public API, on the virtual clock: restart types × exit kinds,
 * strategies, escalation, shutdown, the child API, events, servers as children, spec
 * factories and the restart backoff.
 */
import { describe, expect, it } from 'vitest';
import { IGNORE, Runtime, VirtualClock, isCall, reply, settle, type ExitReason, type Pid, type ProcessContext, type WardenEvent } from '../runtime/index.ts';
import {
  countChildren,
  deleteChild,
  getChildSpec,
  restartChild,
  server,
  startChild,
  startSupervisor,
  stopSupervisor,
  supervisor,
  terminateChild,
  whichChildren,
  worker,
  workerWithInit,
  type ChildInfo,
  type RestartType,
  type Strategy,
} from './index.ts';

function setup(): { rt: Runtime; clock: VirtualClock; events: WardenEvent[] } {
  const clock = new VirtualClock();
  const rt = new Runtime({ clock });
  const events: WardenEvent[] = [];
  rt.events.onAny((e) => events.push(e));
  return { rt, clock, events };
}

/** A worker that waits forever; `crash(rt, pid, reason)` makes it exit. */
const idle = worker(async (ctx: ProcessContext) => {
  for (;;) {
    const m = await ctx.receive();
    if (typeof m === 'object' && m !== null && 'exitWith' in m) ctx.exit((m as { exitWith: ExitReason }).exitWith);
  }
});

function crash(rt: Runtime, pid: Pid | 'restarting' | undefined, reason: ExitReason = 'boom'): void {
  if (pid === undefined || pid === 'restarting') throw new Error('child not running');
  rt.send(pid, { exitWith: reason });
}

function pidOf(children: readonly ChildInfo[], id: string): Pid {
  const pid = children.find((c) => c.id === id)?.pid;
  if (pid === undefined || pid === 'restarting') throw new Error(`${id} is not running`);
  return pid;
}

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `c${i}`);

describe('restart types × exit kinds (one_for_one)', () => {
  it.each<[RestartType, string, boolean, ExitReason]>([
    ['permanent', 'normal', true, 'normal'],
    ['permanent', 'shutdown', true, 'shutdown'],
    ['permanent', '{shutdown, x}', true, { shutdown: 'x' }],
    ['permanent', 'abnormal', true, 'boom'],
    ['transient', 'normal', false, 'normal'],
    ['transient', 'shutdown', false, 'shutdown'],
    ['transient', '{shutdown, x}', false, { shutdown: 'x' }],
    ['transient', 'abnormal', true, 'boom'],
    ['temporary', 'normal', false, 'normal'],
    ['temporary', 'abnormal', false, 'boom'],
  ])('a %s child exiting %s is restarted: %s', async (restart, _kind, restarted, reason) => {
    const { rt } = setup();
    const sup = await startSupervisor(rt, { intensity: 5, children: [{ id: 'a', start: idle, restart }] });
    const before = pidOf(await whichChildren(rt, sup), 'a');
    crash(rt, before, reason);
    await settle();
    const after = await whichChildren(rt, sup);
    if (restarted) {
      expect(after[0]?.pid).not.toBe(before);
      expect(rt.isAlive(after[0]?.pid as Pid)).toBe(true);
    } else if (restart === 'temporary') {
      expect(after).toEqual([]);
    } else {
      expect(after).toEqual([{ id: 'a', pid: undefined, type: 'worker' }]);
    }
  });
});

describe('strategies', () => {
  async function restartedAfterCrashOf(strategy: Strategy, victim: string): Promise<string[]> {
    const { rt } = setup();
    const sup = await startSupervisor(rt, { strategy, intensity: 5, children: ids(4).map((id) => ({ id, start: idle })) });
    const before = await whichChildren(rt, sup);
    crash(rt, pidOf(before, victim));
    await settle();
    const after = await whichChildren(rt, sup);
    return after.filter((c, i) => c.pid !== before[i]?.pid).map((c) => c.id as string);
  }

  it('restarts only the crashed child under one_for_one', async () => {
    expect(await restartedAfterCrashOf('one_for_one', 'c1')).toEqual(['c1']);
  });

  it('restarts every child under one_for_all', async () => {
    expect(await restartedAfterCrashOf('one_for_all', 'c1')).toEqual(['c0', 'c1', 'c2', 'c3']);
  });

  it('restarts the crashed child and those started after it under rest_for_one', async () => {
    expect(await restartedAfterCrashOf('rest_for_one', 'c1')).toEqual(['c1', 'c2', 'c3']);
  });

  it('terminates in reverse start order and starts in start order during a group restart', async () => {
    const { rt, events } = setup();
    const sup = await startSupervisor(rt, { strategy: 'one_for_all', intensity: 5, children: ids(4).map((id) => ({ id, start: idle })) });
    events.length = 0;
    crash(rt, pidOf(await whichChildren(rt, sup), 'c2'));
    await settle();
    const order = events
      .filter((e) => e.type === 'supervisor.child_terminated' || e.type === 'supervisor.child_restarted')
      .map((e) => `${e.type === 'supervisor.child_terminated' ? 'stop' : 'start'} ${(e as { childId: string }).childId}`);
    expect(order).toEqual(['stop c3', 'stop c1', 'stop c0', 'start c0', 'start c1', 'start c2', 'start c3']);
  });
});

describe('intensity and escalation', () => {
  it('gives up after more than intensity restarts within the period, terminating the rest, and emits escalated', async () => {
    const { rt, events } = setup();
    const sup = await startSupervisor(rt, { intensity: 2, periodSeconds: 5, children: ids(3).map((id) => ({ id, start: idle })) });
    for (let i = 0; i < 3; i++) {
      crash(rt, pidOf(await whichChildren(rt, sup), 'c0'));
      await settle();
    }
    expect(await rt.whenExited(sup)).toBe('shutdown');
    expect(rt.processCount).toBe(0);
    expect(events.find((e) => e.type === 'supervisor.escalated')).toMatchObject({ childId: 'c0', restarts: 3, intensity: 2 });
  });

  it('forgets restarts older than the period', async () => {
    const { rt, clock } = setup();
    const sup = await startSupervisor(rt, { intensity: 1, periodSeconds: 1, children: [{ id: 'a', start: idle }] });
    for (let i = 0; i < 5; i++) {
      crash(rt, pidOf(await whichChildren(rt, sup), 'a'));
      await clock.advance(2500);
    }
    expect(rt.isAlive(sup)).toBe(true);
  });

  it('escalates to the parent, which restarts the whole sub-tree', async () => {
    const { rt } = setup();
    const root = await startSupervisor(rt, {
      intensity: 3,
      children: [{ id: 'sub', start: supervisor({ intensity: 0, children: [{ id: 'x', start: idle }] }) }],
    });
    const sub = pidOf(await whichChildren(rt, root), 'sub');
    crash(rt, pidOf(await whichChildren(rt, sub), 'x'));
    await settle();
    const newSub = pidOf(await whichChildren(rt, root), 'sub');
    expect(newSub).not.toBe(sub);
    expect(rt.exitReasonOf(sub)).toBe('shutdown');
    expect((await whichChildren(rt, newSub)).map((c) => c.id)).toEqual(['x']);
  });
});

describe('shutdown', () => {
  it('kills a child that ignores the shutdown request when its timeout expires, on the virtual clock', async () => {
    const { rt, clock } = setup();
    const stubborn = worker(
      async (ctx: ProcessContext) => {
        for (;;) await ctx.receive();
      },
      { trapExits: true },
    );
    const sup = await startSupervisor(rt, { children: [{ id: 'a', start: stubborn, shutdown: 1000 }] });
    const child = pidOf(await whichChildren(rt, sup), 'a');
    const stopped = stopSupervisor(rt, sup);
    await clock.advance(999);
    expect(rt.isAlive(child)).toBe(true);
    await clock.advance(1);
    expect(await stopped).toBe('shutdown');
    expect(rt.exitReasonOf(child)).toBe('killed');
  });

  it('leaves no process running after a tree is stopped', async () => {
    const { rt } = setup();
    const sup = await startSupervisor(rt, {
      children: [
        { id: 'a', start: idle },
        { id: 'jobs', start: supervisor({ strategy: 'dynamic', template: { start: idle } }) },
        { id: 'b', start: supervisor({ strategy: 'one_for_all', children: [{ id: 'x', start: idle }] }) },
      ],
    });
    const jobs = pidOf(await whichChildren(rt, sup), 'jobs');
    for (let i = 0; i < 10; i++) await startChild(rt, jobs, i);
    expect(rt.processCount).toBe(15); // root, a, jobs + 10 instances, b, x
    await stopSupervisor(rt, sup);
    expect(rt.processCount).toBe(0);
  });
});

describe('the child API', () => {
  it('answers as OTP does for running, stopped and unknown children', async () => {
    const { rt } = setup();
    const sup = await startSupervisor(rt, { children: [{ id: 'a', start: idle }] });
    expect(await restartChild(rt, sup, 'a')).toEqual({ ok: false, error: 'running' });
    expect(await deleteChild(rt, sup, 'a')).toEqual({ ok: false, error: 'running' });
    expect(await terminateChild(rt, sup, 'a')).toEqual({ ok: true });
    expect(await whichChildren(rt, sup)).toEqual([{ id: 'a', pid: undefined, type: 'worker' }]);
    expect(await countChildren(rt, sup)).toEqual({ specs: 1, active: 0, supervisors: 0, workers: 1 });
    const restarted = await restartChild(rt, sup, 'a');
    expect(restarted.ok && rt.isAlive(restarted.pid as Pid)).toBe(true);
    expect(await terminateChild(rt, sup, 'nope')).toEqual({ ok: false, error: 'not_found' });
    const added = await startChild(rt, sup, { id: 'b', start: idle });
    expect(added.ok).toBe(true);
    expect(await startChild(rt, sup, { id: 'b', start: idle })).toMatchObject({ ok: false, error: 'already_started' });
    expect((await whichChildren(rt, sup)).map((c) => c.id)).toEqual(['a', 'b']);
    expect(await getChildSpec(rt, sup, 'b')).toMatchObject({ ok: true, spec: { id: 'b', restart: 'permanent' } });
    await terminateChild(rt, sup, 'b');
    expect(await startChild(rt, sup, { id: 'b', start: idle })).toEqual({ ok: false, error: 'already_present' });
    expect(await deleteChild(rt, sup, 'b')).toEqual({ ok: true });
  });

  it('throws InvalidSpecError naming the field when startChild gets a bad spec', async () => {
    const { rt } = setup();
    const sup = await startSupervisor(rt, { children: [] });
    await expect(startChild(rt, sup, { id: 'x', start: idle, shutdown: 'soon' })).rejects.toMatchObject({
      code: 'INVALID_SPEC',
      path: 'shutdown',
    });
  });

  it('reports a start function that throws or returns garbage as a failed start', async () => {
    const { rt } = setup();
    const sup = await startSupervisor(rt, { children: [] });
    const thrown = await startChild(rt, sup, {
      id: 'x',
      start: () => {
        throw new Error('cannot start');
      },
    });
    expect(thrown).toMatchObject({ ok: false, error: 'start_failed' });
    const garbage = await startChild(rt, sup, { id: 'y', start: (() => 42) as never });
    expect(garbage).toMatchObject({ ok: false, error: 'start_failed', reason: { bad_start_result: '42' } });
  });

  it('runs a dynamic supervisor: instances by argument, restarted with the same argument', async () => {
    const { rt } = setup();
    const seen: unknown[] = [];
    const template = worker(async (ctx: ProcessContext, arg: unknown) => {
      seen.push(arg);
      await ctx.receive((m) => m === 'die');
      ctx.exit('boom');
    });
    const sup = await startSupervisor(rt, { strategy: 'dynamic', intensity: 5, template: { start: template, restart: 'transient' } });
    const r = await startChild(rt, sup, { job: 7 });
    await settle();
    rt.send((r as { pid: Pid }).pid, 'die');
    await settle();
    expect(seen).toEqual([{ job: 7 }, { job: 7 }]);
    expect(await restartChild(rt, sup, 'x')).toEqual({ ok: false, error: 'dynamic' });
    expect(await terminateChild(rt, sup, 'x')).toEqual({ ok: false, error: 'dynamic' });
    expect(await countChildren(rt, sup)).toEqual({ specs: 1, active: 1, supervisors: 0, workers: 1 });
  });
});

describe('children with an init phase and servers', () => {
  it('waits for init, keeps an ignored child stopped and fails the tree when init throws', async () => {
    const { rt } = setup();
    const order: string[] = [];
    const slow = workerWithInit(
      async (ctx: ProcessContext) => {
        await ctx.sleep(10);
        order.push('init a');
        return 1;
      },
      async (ctx: ProcessContext) => {
        await ctx.receive(() => false);
      },
    );
    const ignoring = workerWithInit(
      () => IGNORE,
      () => {},
    );
    const { clock } = { clock: rt.clock as VirtualClock };
    const started = startSupervisor(rt, {
      children: [
        { id: 'a', start: slow },
        { id: 'b', start: ignoring },
        {
          id: 'c',
          start: worker(() => {
            order.push('start c');
          }),
          restart: 'temporary',
        },
      ],
    });
    await clock.advance(10);
    const sup = await started;
    expect(order).toEqual(['init a', 'start c']);
    expect((await whichChildren(rt, sup)).find((c) => c.id === 'b')?.pid).toBeUndefined();
    const failing = workerWithInit(
      () => {
        throw new Error('no database');
      },
      () => {},
    );
    await expect(
      startSupervisor(rt, {
        children: [
          { id: 'x', start: idle },
          { id: 'db', start: failing },
        ],
      }),
    ).rejects.toMatchObject({
      code: 'SUPERVISOR_START_FAILED',
      reason: { shutdown: ['failed_to_start_child', 'db', expect.anything()] },
    });
  });

  it('runs a server child and calls its terminate when the supervisor shuts it down', async () => {
    const { rt } = setup();
    const terminated: ExitReason[] = [];
    const counter = server<number, number>(
      {
        trapExits: true,
        init: (_ctx, start) => start,
        handleCall: (req, _from, n) => (req === 'get' ? reply(n, n) : reply('?', n)),
        handleCast: (_msg, n) => n + 1,
        terminate: (reason) => {
          terminated.push(reason);
        },
      },
      10,
    );
    const sup = await startSupervisor(rt, { children: [{ id: 'counter', start: counter }] });
    const pid = pidOf(await whichChildren(rt, sup), 'counter');
    rt.cast(pid, 'inc');
    rt.cast(pid, 'inc');
    expect(await rt.call(pid, 'get')).toBe(12);
    await stopSupervisor(rt, sup);
    expect(terminated).toEqual(['shutdown']);
  });
});

describe('spec factories', () => {
  it('evaluates a factory at every start and fails with start_spec when it returns a bad spec', async () => {
    const { rt } = setup();
    let calls = 0;
    const tree = supervisor(() => {
      calls++;
      return { children: [{ id: 'a', start: idle }] };
    });
    const root = await startSupervisor(rt, { intensity: 5, children: [{ id: 'sub', start: tree }] });
    await terminateChild(rt, root, 'sub');
    await restartChild(rt, root, 'sub');
    expect(calls).toBe(2);
    const bad = supervisor(() => ({ children: [{ id: 'a', start: idle, restart: 'transient' as const, significant: true }] }), { name: 'bad' });
    await expect(startSupervisor(rt, bad)).rejects.toMatchObject({
      reason: { start_spec: { bad_combination: [{ auto_shutdown: 'never' }, { significant: true }] } },
    });
  });
});

describe('events', () => {
  it('emits started, exited, restarted and stopped events naming the supervisor and child', async () => {
    const { rt, events } = setup();
    const sup = await startSupervisor(rt, { name: 'root', children: [{ id: 'a', start: idle }] });
    crash(rt, pidOf(await whichChildren(rt, sup), 'a'));
    await settle();
    await stopSupervisor(rt, sup);
    const kinds = events.filter((e) => e.type.startsWith('supervisor.')).map((e) => e.type);
    expect(kinds).toEqual([
      'supervisor.starting',
      'supervisor.child_started',
      'supervisor.started',
      'supervisor.child_exited',
      'supervisor.child_restarted',
      'supervisor.child_terminated',
      'supervisor.stopped',
    ]);
    expect(events.find((e) => e.type === 'supervisor.child_exited')).toMatchObject({ name: 'root', childId: 'a', reason: 'boom' });
  });

  it('reports a message it cannot use instead of crashing', async () => {
    const { rt, events } = setup();
    const sup = await startSupervisor(rt, { children: [] });
    rt.send(sup, 'hello');
    await settle();
    expect(rt.isAlive(sup)).toBe(true);
    expect(events.find((e) => e.type === 'supervisor.unexpected_message')).toMatchObject({ message: 'hello' });
  });
});

describe('restart backoff', () => {
  it('delays restarts of a child that keeps failing, doubling up to the cap', async () => {
    const { rt, clock, events } = setup();
    const sup = await startSupervisor(rt, {
      intensity: 10,
      periodSeconds: 60,
      restartBackoff: { initialMs: 100, maxMs: 250 },
      children: [{ id: 'a', start: idle }],
    });
    const restartTimes: number[] = [];
    rt.events.on('supervisor.child_restarted', () => restartTimes.push(clock.now()));
    for (let i = 0; i < 3; i++) {
      const t0 = clock.now();
      crash(rt, pidOf(await whichChildren(rt, sup), 'a'));
      await settle();
      expect((await whichChildren(rt, sup))[0]?.pid).toBe('restarting');
      await clock.advance(1000);
      restartTimes[i] = (restartTimes[i] as number) - t0;
    }
    expect(restartTimes).toEqual([100, 200, 250]);
    expect(events.some((e) => e.type === 'supervisor.escalated')).toBe(false);
  });
});

describe('calls made by a process', () => {
  it('works from inside a process with its ctx', async () => {
    const { rt } = setup();
    const sup = await startSupervisor(rt, { children: [{ id: 'a', start: idle }] });
    const result: unknown[] = [];
    const pid = rt.spawn(async (ctx) => {
      result.push((await whichChildren(ctx, sup)).length);
    });
    await rt.whenExited(pid);
    expect(result).toEqual([1]);
    expect(isCall({})).toBe(false);
  });
});
