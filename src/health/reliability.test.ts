/**
 * Restarts, failures, MTBF and MTTR from real supervisors' events on a virtual clock, with
 * crashes at known times: the pure function over the recorded events and the live tracker agree,
 * a normal exit or a sibling's group restart is not a failure, and an escalation is counted.
 */
import { describe, expect, it } from 'vitest';
import { Runtime, VirtualClock, type ExitReason, type Pid, type ProcessContext, type WardenEvent } from '../runtime/index.ts';
import { startSupervisor, whichChildren, worker, type SupervisorSpec } from '../supervisor/index.ts';
import { ReliabilityTracker } from './reliability-tracker.ts';
import { reliabilityOf } from './reliability.ts';

/** A worker that exits with the reason it is sent. */
const obedient = worker(async (ctx: ProcessContext) => {
  const m = await ctx.receive<{ exitWith: ExitReason }>();
  ctx.exit(m.exitWith);
});

async function setup(spec: SupervisorSpec) {
  const clock = new VirtualClock();
  const rt = new Runtime({ clock });
  const events: WardenEvent[] = [];
  rt.events.onAny((e) => events.push(e));
  const tracker = new ReliabilityTracker(rt.events, clock);
  const root = await startSupervisor(rt, spec);
  const exit = async (id: string, reason: ExitReason): Promise<void> => {
    const pid = (await whichChildren(rt, root)).find((c) => c.id === id)?.pid;
    if (pid === undefined || pid === 'restarting') throw new Error(`${id} is not running`);
    rt.send(pid as Pid, { exitWith: reason });
    await clock.settle();
  };
  return { clock, rt, events, tracker, root, exit };
}

const backoff = { initialMs: 1_000, maxMs: 1_000, multiplier: 1 };

describe('reliabilityOf and the live tracker', () => {
  it('computes MTBF and MTTR from crashes at known times, the same from the list and live', async () => {
    const { clock, events, tracker, exit } = await setup({
      name: 'root',
      intensity: 10,
      periodSeconds: 1,
      restartBackoff: backoff,
      children: [{ id: 'agent', start: obedient }],
    });
    await clock.advanceTo(10_000);
    await exit('agent', 'boom'); // down at 10 s, up again at 11 s
    await clock.advanceTo(30_000);
    await exit('agent', { error: 'crashed' }); // down at 30 s, up again at 31 s
    await clock.advanceTo(60_000);

    const figures = reliabilityOf(events, clock.now());
    expect(figures.children).toEqual([
      {
        supervisor: 'root',
        childId: 'agent',
        state: 'up',
        restarts: 2,
        failures: 2,
        repairs: 2,
        upMs: 58_000,
        downMs: 2_000,
        mtbfMs: 29_000,
        mttrMs: 1_000,
        lastFailureAt: 30_000,
      },
    ]);
    expect(figures.tree).toEqual({ children: 1, restarts: 2, failures: 2, repairs: 2, escalations: 0, observedMs: 60_000, mtbfMs: 30_000, mttrMs: 1_000 });
    expect(figures.supervisors).toEqual([
      { name: 'root', children: 1, restarts: 2, failures: 2, repairs: 2, escalations: 0, observedMs: 60_000, mtbfMs: 30_000, mttrMs: 1_000 },
    ]);
    expect(tracker.report()).toEqual(figures);
  });

  it('counts the time a child is still down, and gives no MTTR before its first repair', async () => {
    const { clock, events, exit } = await setup({
      name: 'root',
      intensity: 10,
      periodSeconds: 1,
      restartBackoff: { initialMs: 5_000, maxMs: 5_000, multiplier: 1 },
      children: [{ id: 'a', start: obedient }],
    });
    await clock.advanceTo(2_000);
    await exit('a', 'boom');
    await clock.advanceTo(4_000); // still waiting for its restart at 7 s
    const [a] = reliabilityOf(events, clock.now()).children;
    expect(a).toMatchObject({ state: 'down', failures: 1, repairs: 0, upMs: 2_000, downMs: 2_000, mtbfMs: 2_000, mttrMs: null });
  });

  it('does not count a normal exit or a sibling restarted with it under one_for_all as a failure', async () => {
    const { clock, events, exit } = await setup({
      name: 'team',
      strategy: 'one_for_all',
      intensity: 10,
      periodSeconds: 1,
      children: [
        { id: 'writer', start: obedient },
        { id: 'editor', start: obedient },
        { id: 'notes', start: obedient, restart: 'transient' },
      ],
    });
    await clock.advanceTo(1_000);
    await exit('notes', 'normal'); // a transient child that finished: stopped, not failed
    await clock.advanceTo(5_000);
    await exit('writer', 'boom'); // writer failed; editor is restarted with it
    await clock.advanceTo(9_000);
    const byId = Object.fromEntries(reliabilityOf(events, clock.now()).children.map((c) => [c.childId, c]));
    expect(byId.writer).toMatchObject({ failures: 1, restarts: 1, state: 'up', mttrMs: 0 });
    expect(byId.editor).toMatchObject({ failures: 0, restarts: 1, state: 'up', mtbfMs: null, upMs: 9_000 });
    // notes was stopped from 1 s to 5 s (not up, not down), then started again with the group
    expect(byId.notes).toMatchObject({ failures: 0, restarts: 1, state: 'up', upMs: 5_000, downMs: 0 });
  });

  it('counts an escalation against the supervisor that gave up', async () => {
    const { clock, events, exit } = await setup({ name: 'fragile', intensity: 1, periodSeconds: 5, children: [{ id: 'w', start: obedient }] });
    await exit('w', 'boom');
    await exit('w', 'boom');
    await clock.settle();
    const figures = reliabilityOf(events, clock.now());
    expect(figures.tree).toMatchObject({ failures: 2, restarts: 1, escalations: 1 });
    expect(figures.supervisors).toMatchObject([{ name: 'fragile', escalations: 1 }]);
  });

  it('ignores events of other kinds and reports nothing for an empty stream', () => {
    expect(reliabilityOf([{ type: 'process.beat', at: 5, pid: undefined as unknown as Pid }])).toEqual({
      at: 0,
      tree: { children: 0, restarts: 0, failures: 0, repairs: 0, escalations: 0, observedMs: 0, mtbfMs: null, mttrMs: null },
      supervisors: [],
      children: [],
    });
  });
});
