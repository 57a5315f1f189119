/**
 * Children in their own threads and processes, with real worker threads and real child
 * processes: what crosses the boundary, hard kills, memory caps, kills from outside, that a
 * bad child cannot stall others, watchdogs, fencing, and no leaks after many restarts.
 * Waiting is on events (a process's exit, a thread's end), never on fixed sleeps. Watchdogs on
 * inline children and event-loop stall detection are tested beside their code
 * (src/isolation/watchdog.test.ts, src/isolation/loop-stall.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Crash,
  ProcessExitedError,
  Runtime,
  VirtualClock,
  isWardenError,
  realClock,
  type ExitReason,
  type Pid,
  type ProcessContext,
} from '../src/runtime/index.ts';
import { childProcess, startChildProcess, startThread, thread, type RemoteChildOptions } from '../src/isolation/index.ts';
import { startSupervisor, stopSupervisor, whichChildren, worker, type ChildStart } from '../src/supervisor/index.ts';

const FIXTURE = new URL('./fixtures/remote/echo.ts', import.meta.url);

type Isolation = 'thread' | 'process';
const ISOLATIONS: Isolation[] = ['thread', 'process'];

const runtimes: Runtime[] = [];
function runtime(clock = realClock as Runtime['clock']): Runtime {
  const rt = new Runtime({ clock });
  runtimes.push(rt);
  return rt;
}
afterEach(() => {
  for (const rt of runtimes.splice(0)) rt.killAll();
});

async function start(rt: Runtime, isolation: Isolation, options: RemoteChildOptions & { resourceLimits?: object; maxOldSpaceMb?: number } = {}): Promise<Pid> {
  const r = isolation === 'thread' ? await startThread(rt, FIXTURE, options) : await startChildProcess(rt, FIXTURE, options);
  if (r.status !== 'started') throw new Error(`did not start: ${JSON.stringify(r)}`);
  return r.pid;
}

function remoteChild(isolation: Isolation, options: RemoteChildOptions & { resourceLimits?: object; maxOldSpaceMb?: number } = {}): ChildStart {
  return isolation === 'thread' ? thread(FIXTURE, options) : childProcess(FIXTURE, options);
}

function childPids(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

const osThreads = (): number => readdirSync('/proc/self/task').length;

describe.each(ISOLATIONS)('a child in its own %s', (isolation) => {
  it('answers calls with structured data, knows its parent, and sends pids that come back as the same process', async () => {
    const rt = runtime();
    const got: unknown[] = [];
    const parentCheck: unknown[] = [];
    const me = rt.spawn(async (ctx: ProcessContext) => {
      const child = await (isolation === 'thread' ? startThread(ctx, FIXTURE, { arg: 7 }) : startChildProcess(ctx, FIXTURE, { arg: 7 }));
      if (child.status !== 'started') throw new Error('no start');
      parentCheck.push(await ctx.call(child.pid, { op: 'parent' }), String(ctx.self));
      got.push(await ctx.call(child.pid, { op: 'echo', value: { list: [1, 'two', null], when: new Date(0) } }));
      ctx.send(child.pid, { op: 'send-back', to: ctx.self, value: 'hello' });
      const back = (await ctx.receive()) as { from: Pid; value: string };
      got.push(back.value, back.from === child.pid);
    });
    await rt.whenExited(me);
    expect(parentCheck[0]).toBe(parentCheck[1]);
    expect(got[0]).toMatchObject({ echo: { list: [1, 'two', null], when: new Date(0) }, arg: 7 });
    expect(got.slice(1)).toEqual(['hello', true]);
  });

  it('calls back into a server of the parent runtime while handling a call', async () => {
    const rt = runtime();
    const server = rt.spawn(async (ctx) => {
      for (;;) {
        const m = await ctx.receive();
        if (typeof m === 'object' && m !== null && 'from' in m) ctx.reply((m as { from: never }).from, 'pong');
      }
    });
    const pid = await start(rt, isolation);
    expect(await rt.call(pid, { op: 'call-back', value: server })).toBe('pong');
  });

  it('refuses a message that cannot cross, at the sender, naming where it is', async () => {
    const rt = runtime();
    const pid = await start(rt, isolation);
    expect(() => rt.send(pid, { op: 'echo', value: { callback: () => 1 } })).toThrow(
      expect.objectContaining({ code: 'UNSERIALIZABLE_MESSAGE', path: 'message.value.callback' }),
    );
    expect(await rt.call(pid, { op: 'echo', value: 'still fine' })).toMatchObject({ echo: 'still fine' });
  });

  it('exits with a crash carrying the error, and a Warden error keeps its code', async () => {
    const rt = runtime();
    const a = await start(rt, isolation);
    rt.send(a, { op: 'crash', value: 'model returned malformed JSON' });
    const reason = await rt.whenExited(a);
    expect(reason).toBeInstanceOf(Crash);
    expect(((reason as Crash).error as Error).message).toBe('model returned malformed JSON');
    const b = await start(rt, isolation);
    rt.send(b, { op: 'typed-crash' });
    const typed = (await rt.whenExited(b)) as Crash;
    expect(isWardenError(typed.error, 'INVALID_SPEC')).toBe(true);
    expect(typed.error).toMatchObject({ path: 'model', value: '42' });
  });

  it('runs a server behaviour, taking casts and calls', async () => {
    const rt = runtime();
    const pid = await start(rt, isolation, { export: 'counter', arg: 41 });
    rt.cast(pid, 'increment');
    expect(await rt.call(pid, 'get')).toBe(42);
  });

  it('is killed at once, even while spinning in a synchronous loop', async () => {
    const rt = runtime();
    const pid = await start(rt, isolation);
    const gone = rt.events.next('isolation.exited', (e) => e.pid === pid);
    rt.send(pid, { op: 'spin' });
    rt.sendExit(pid, 'kill');
    expect(await rt.whenExited(pid)).toBe('killed');
    expect(await gone).toMatchObject({ pid, isolation, reason: 'killed' });
  });

  it('is killed after its shutdown timeout when it ignores the shutdown request', async () => {
    const clock = new VirtualClock();
    const rt = runtime(clock);
    const sup = await startSupervisor(rt, {
      children: [{ id: 'stubborn', start: remoteChild(isolation, { trapExits: true, arg: { ignoreShutdown: true } }), shutdown: 2000 }],
    });
    const [child] = await whichChildren(rt, sup);
    const stopped = stopSupervisor(rt, sup);
    await clock.advance(1999);
    expect(rt.isAlive(child?.pid as Pid)).toBe(true);
    await clock.advance(1);
    expect(await stopped).toBe('shutdown');
    expect(rt.exitReasonOf(child?.pid as Pid)).toBe('killed');
  });

  it('ends only itself, with memory_limit, when it exceeds its memory cap, while its siblings keep working', async () => {
    const rt = runtime();
    const sibling = await start(rt, isolation);
    const inline = rt.spawn(async (ctx) => {
      for (;;) {
        const m = await ctx.receive();
        if (typeof m === 'object' && m !== null && 'from' in m) ctx.reply((m as { from: never }).from, 'alive');
      }
    });
    const bomb = await start(rt, isolation, isolation === 'thread' ? { resourceLimits: { maxOldGenerationSizeMb: 32 } } : { maxOldSpaceMb: 48 });
    rt.send(bomb, { op: 'leak' });
    expect(await rt.whenExited(bomb)).toBe('memory_limit');
    expect(await rt.call(sibling, { op: 'echo', value: 1 })).toMatchObject({ echo: 1 });
    expect(await rt.call(inline, 'ping')).toBe('alive');
  });

  it('does not stall other children while it spins', async () => {
    const rt = runtime();
    const spinner = await start(rt, isolation);
    const other = await start(rt, isolation);
    rt.send(spinner, { op: 'spin' });
    for (let i = 0; i < 5; i++) expect(await rt.call(other, { op: 'echo', value: i })).toMatchObject({ echo: i });
    expect(rt.isAlive(spinner)).toBe(true);
  });
});

describe('a child process killed from outside', () => {
  it('exits with the signal name and is restarted by its supervisor', async () => {
    const rt = runtime();
    const osIds: Array<number | undefined> = [];
    rt.events.on('isolation.started', (e) => osIds.push(e.osId));
    const sup = await startSupervisor(rt, { intensity: 5, children: [{ id: 'worker', start: childProcess(FIXTURE) }] });
    const [before] = await whichChildren(rt, sup);
    const restarted = rt.events.next('supervisor.child_restarted');
    process.kill(osIds[0] as number, 'SIGKILL');
    expect(await rt.whenExited(before?.pid as Pid)).toBe('SIGKILL');
    const after = await restarted;
    expect(after.pid).not.toBe(before?.pid);
    expect(await rt.call(after.pid, { op: 'echo', value: 'back' })).toMatchObject({ echo: 'back' });
    await stopSupervisor(rt, sup);
  });
});

describe('watchdogs of a child in its own thread or process', () => {
  it.each(ISOLATIONS)('kills a spinning %s child that stopped beating, on the virtual clock', async (isolation) => {
    const clock = new VirtualClock();
    const rt = runtime(clock);
    const pid = await start(rt, isolation, { quiescenceTimeoutMs: 100 });
    const { armWatchdog } = await import('../src/isolation/watchdog.ts');
    armWatchdog(rt, pid, { timeoutMs: 1000, graceMs: 100 });
    rt.send(pid, { op: 'beat' });
    rt.send(pid, { op: 'spin' });
    await clock.advance(1100);
    expect(rt.exitReasonOf(pid)).toEqual({ watchdog: 'no_progress' });
  });

  it.each(ISOLATIONS)('sees the beats of a %s child', async (isolation) => {
    const clock = new VirtualClock();
    const rt = runtime(clock);
    const pid = await start(rt, isolation);
    const { armWatchdog } = await import('../src/isolation/watchdog.ts');
    armWatchdog(rt, pid, { timeoutMs: 1000, graceMs: 100 });
    rt.send(pid, { op: 'beat-every', value: 250 });
    await clock.advance(5000);
    expect(rt.isAlive(pid)).toBe(true);
    expect(rt.lastBeatAt(pid)).toBeGreaterThanOrEqual(4750);
  });
});

describe('fencing', () => {
  it('refuses and reports every act of an incarnation that was killed, and gives the next one a higher generation', async () => {
    const clock = new VirtualClock();
    const rt = runtime(clock);
    const fenced: string[] = [];
    rt.events.on('process.fenced', (e) => fenced.push(e.operation));
    let release!: () => void;
    const outside = new Promise<void>((r) => (release = r));
    const attempts: unknown[] = [];
    const generations: number[] = [];
    const agent = worker(async (ctx: ProcessContext) => {
      generations.push(ctx.fence.generation);
      if (generations.length > 1) return ctx.receive(() => false); // later incarnations just wait
      await outside; // e.g. an HTTP request that is not cancelled
      for (const act of [() => ctx.send(ctx.self, 'x'), () => ctx.fence.check('spend'), () => ctx.beat()]) {
        try {
          act();
          attempts.push('done');
        } catch (e) {
          attempts.push((e as { code?: string }).code);
        }
      }
    });
    const sup = await startSupervisor(rt, { intensity: 5, children: [{ id: 'agent', start: agent }] });
    const [first] = await whichChildren(rt, sup);
    rt.sendExit(first?.pid as Pid, 'kill');
    release();
    await clock.advance(0);
    expect(attempts).toEqual(['PROCESS_EXITED', 'FENCED', 'PROCESS_EXITED']);
    expect(fenced).toEqual(['send', 'spend', 'beat']);
    expect(generations).toHaveLength(2);
    expect(generations[1]).toBeGreaterThan(generations[0] as number);
    expect(ProcessExitedError.name).toBe('ProcessExitedError');
  });
});

describe.each(ISOLATIONS)('kill and restart cycles of a %s child', (isolation) => {
  it('leave no thread, process, handle or listener behind', async () => {
    const rt = runtime();
    const cycles = isolation === 'thread' ? 60 : 30;
    const sup = await startSupervisor(rt, { intensity: 10_000, periodSeconds: 1, children: [{ id: 'c', start: remoteChild(isolation) }] });
    await stopSupervisor(rt, sup); // warm up once so lazily created threads exist before the baseline
    const baseline = {
      threads: osThreads(),
      children: childPids().length,
      handles: process.getActiveResourcesInfo().length,
      listeners: process.listenerCount('exit'),
    };
    let ended = 0;
    let allEnded!: () => void;
    const done = new Promise<void>((r) => (allEnded = r));
    rt.events.on('isolation.exited', () => {
      if (++ended === cycles + 1) allEnded();
    });
    const sup2 = await startSupervisor(rt, { intensity: 10_000, periodSeconds: 1, children: [{ id: 'c', start: remoteChild(isolation) }] });
    for (let i = 0; i < cycles; i++) {
      const [c] = await whichChildren(rt, sup2);
      const next = rt.events.next('supervisor.child_restarted');
      rt.sendExit(c?.pid as Pid, 'kill');
      await next;
    }
    await stopSupervisor(rt, sup2);
    await done; // every thread or process of every incarnation has really ended
    expect(osThreads()).toBeLessThanOrEqual(baseline.threads);
    expect(childPids().length).toBe(baseline.children);
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(baseline.handles);
    expect(process.listenerCount('exit')).toBe(baseline.listeners);
    expect(rt.processCount).toBe(0);
  });
});

describe('exit reasons', () => {
  it('are shown as data', () => {
    const r: ExitReason = { watchdog: 'no_progress' };
    expect(JSON.stringify(r)).toBe('{"watchdog":"no_progress"}');
  });
});
