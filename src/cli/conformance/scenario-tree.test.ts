/**
 * The runner's book-keeping of a scenario's tree, on its own: start counters read from the
 * children of each supervisor and set by the script, the counters of a child added by
 * start_child, which supervisor is dynamic, and the root's life as the runtime reports it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Runtime, VirtualClock, type Pid, type ProcessContext } from '../../runtime/index.ts';
import { ScenarioTree } from './scenario-tree.ts';
import type { ScenarioChild } from './scenario.ts';

const tree: ScenarioChild = {
  strategy: 'one_for_one',
  children: [
    { id: 'a', fail_starts: 2 },
    { id: 'sub', type: 'supervisor', ignore_starts: 1, strategy: 'simple_one_for_one', children: [{ id: 'tpl', fail_starts: 5 }] },
    { id: 'b' },
  ],
};

let rt: Runtime | undefined;
afterEach(() => {
  rt?.killAll();
  rt = undefined;
});

/** Real pids from a runtime on a virtual clock. */
function pids(n: number): Pid[] {
  rt = new Runtime({ clock: new VirtualClock() });
  const runtime = rt;
  return Array.from({ length: n }, () => runtime.spawn(async (ctx: ProcessContext) => void (await ctx.receive())));
}

/** How many starts of `id` in a row the counters fail, then ignore. */
function refusals(t: ScenarioTree, id: string): { fails: number; ignores: number } {
  let fails = 0;
  let ignores = 0;
  while (t.takeStartFailure(id)) fails++;
  while (t.takeStartIgnore(id)) ignores++;
  return { fails, ignores };
}

describe('ScenarioTree', () => {
  it("reads each child's start counters from its supervisor's spec, but not a dynamic supervisor's template's", () => {
    const t = new ScenarioTree('root');
    t.register(tree, 'root', null);
    expect(refusals(t, 'a')).toEqual({ fails: 2, ignores: 0 });
    expect(refusals(t, 'sub')).toEqual({ fails: 0, ignores: 1 });
    expect(refusals(t, 'tpl')).toEqual({ fails: 0, ignores: 0 });
    expect([t.isDynamic(undefined), t.isDynamic('sub'), t.isSupervisor('sub'), t.isSupervisor('a')]).toEqual([false, true, true, false]);
  });

  it('sets counters from the script, replacing what is left', () => {
    const t = new ScenarioTree('root');
    t.register(tree, 'root', null);
    t.failNextStarts('a', 1);
    t.ignoreNextStarts('b', 3);
    expect(refusals(t, 'a')).toEqual({ fails: 1, ignores: 0 });
    expect(refusals(t, 'b')).toEqual({ fails: 0, ignores: 3 });
  });

  it("does not read an added supervisor's own counters for its own start, but reads its children's", () => {
    const t = new ScenarioTree('root');
    t.register(tree, 'root', null);
    t.failNextStarts('added', 1);
    t.registerAdded(
      {
        id: 'added',
        type: 'supervisor',
        children: [
          { id: 'added', fail_starts: 4 },
          { id: 'c', ignore_starts: 1 },
        ],
      },
      'added',
      'root',
    );
    expect(refusals(t, 'added')).toEqual({ fails: 1, ignores: 0 });
    expect(refusals(t, 'c')).toEqual({ fails: 0, ignores: 1 });
  });

  it('knows the root is alive from its start until its death, and names the processes it tracks', () => {
    const [root, sub, worker] = pids(3) as [Pid, Pid, Pid];
    const t = new ScenarioTree('top');
    t.register({ children: [{ id: 'sub', type: 'supervisor', children: [{ id: 'w' }] }] }, 'top', null);
    expect(() => t.supervisorPid(undefined)).toThrow('scenario: no supervisor "top" is running');
    expect(t.supervisorStarting('top', root)).toBeNull();
    expect(t.supervisorStarting('sub', sub)).toBe('top');
    t.workerStarted('w', worker, 'sub');
    expect([t.rootAlive, t.supervisorPid(undefined), t.supervisorPid('sub'), t.pidOf('w'), t.idOf(worker)]).toEqual([true, root, sub, worker, 'w']);
    expect(t.exited(worker)).toEqual({ id: 'w', sup: 'sub' });
    expect(t.exited(worker)).toBeUndefined();
    expect(t.idOf(worker)).toBeUndefined();
    expect(t.exited(root)).toEqual({ id: 'top', sup: null });
    expect(t.rootAlive).toBe(false);
  });
});
