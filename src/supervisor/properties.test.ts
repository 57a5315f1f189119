/**
 * Supervisor invariants, checked with random trees and random fault schedules on the virtual
 * clock:
 * - never more than `intensity` restarts within any window of `periodSeconds`, and no
 *   escalation unless more than `intensity` restarts were attempted within `periodSeconds + 1`;
 * - rest_for_one never touches the children started before the failed one;
 * - shutdown is the exact reverse of start order;
 * - no process is left running once the root supervisor has exited.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Runtime, VirtualClock, settle, type Pid, type ProcessContext, type WardenEvent } from '../runtime/index.ts';
import { startChild, startSupervisor, stopSupervisor, supervisor, whichChildren, worker, type ChildSpec, type Shutdown } from './index.ts';

const idle = worker(async (ctx: ProcessContext) => {
  for (;;) {
    const m = await ctx.receive();
    if (m === 'crash') ctx.exit('boom');
  }
});

const trapping = (delayMs: number) =>
  worker(
    async (ctx: ProcessContext) => {
      for (;;) {
        const m = await ctx.receive();
        if (m === 'crash') ctx.exit('boom');
        if (typeof m === 'object' && m !== null && 'type' in m && m.type === 'EXIT') {
          await ctx.sleep(delayMs);
          ctx.exit('shutdown');
        }
      }
    },
    { trapExits: true },
  );

async function crashChild(rt: Runtime, sup: Pid, index: number): Promise<void> {
  const kids = await whichChildren(rt, sup);
  const pid = kids[index % kids.length]?.pid;
  if (pid !== undefined && pid !== 'restarting') rt.send(pid, 'crash');
  await settle();
}

describe('supervisor invariants', () => {
  it('never restarts more than intensity times within any period, and escalates only when it must', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2500 }), fc.nat(3)), { minLength: 1, maxLength: 25 }),
        async (intensity, periodSeconds, schedule) => {
          const clock = new VirtualClock();
          const rt = new Runtime({ clock });
          const restarts: number[] = [];
          const attempts: number[] = [];
          let escalatedAt: number | undefined;
          rt.events.on('supervisor.child_restarted', () => restarts.push(clock.now()));
          rt.events.on('supervisor.child_exited', () => attempts.push(clock.now()));
          rt.events.on('supervisor.escalated', () => (escalatedAt = clock.now()));
          const sup = await startSupervisor(rt, {
            intensity,
            periodSeconds,
            children: ['a', 'b', 'c', 'd'].map((id) => ({ id, start: idle })),
          });
          for (const [delay, child] of schedule) {
            await clock.advance(delay);
            if (!rt.isAlive(sup)) break;
            await crashChild(rt, sup, child);
          }
          const windowMs = periodSeconds * 1000;
          for (const t of restarts) {
            expect(restarts.filter((s) => s > t - windowMs && s <= t).length).toBeLessThanOrEqual(intensity);
          }
          if (escalatedAt !== undefined) {
            const at = escalatedAt;
            expect(attempts.filter((s) => s > at - windowMs - 1000 && s <= at).length).toBeGreaterThan(intensity);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never touches the children started before the failed one under rest_for_one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 7 }), fc.array(fc.nat(6), { minLength: 1, maxLength: 12 }), async (n, crashes) => {
        const rt = new Runtime({ clock: new VirtualClock() });
        const sup = await startSupervisor(rt, {
          strategy: 'rest_for_one',
          intensity: 100,
          children: Array.from({ length: n }, (_, i) => ({ id: `c${i}`, start: idle })),
        });
        for (const c of crashes) {
          const victim = c % n;
          const before = await whichChildren(rt, sup);
          await crashChild(rt, sup, victim);
          const after = await whichChildren(rt, sup);
          for (let i = 0; i < victim; i++) expect(after[i]?.pid).toBe(before[i]?.pid);
          for (let i = victim; i < n; i++) expect(after[i]?.pid).not.toBe(before[i]?.pid);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('shuts children down in exactly the reverse of their start order', async () => {
    const shutdown = fc.constantFrom<Shutdown>('brutal_kill', 'infinity', 0, 50, 5000);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(shutdown, fc.boolean(), fc.integer({ min: 0, max: 80 })), { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(shutdown, fc.boolean()), { maxLength: 4 }),
        async (initial, added) => {
          const clock = new VirtualClock();
          const rt = new Runtime({ clock });
          const started: string[] = [];
          const stopped: string[] = [];
          rt.events.on('supervisor.child_started', (e) => started.push(e.childId));
          rt.events.on('supervisor.child_terminated', (e) => stopped.push(e.childId));
          const spec = (i: number, s: Shutdown, traps: boolean, delay: number): ChildSpec => ({
            id: `c${i}`,
            start: traps ? trapping(delay) : idle,
            shutdown: s,
          });
          const sup = await startSupervisor(rt, { children: initial.map(([s, t, d], i) => spec(i, s, t, d)) });
          for (const [i, [s, t]] of added.entries()) await startChild(rt, sup, spec(initial.length + i, s, t, 10));
          const done = stopSupervisor(rt, sup);
          await clock.runUntil(() => !rt.isAlive(sup));
          await done;
          expect(stopped).toEqual([...started].reverse());
        },
      ),
      { numRuns: 100 },
    );
  });

  it('leaves no process running once the root has exited, whatever failed on the way', async () => {
    type Node = { kind: 'worker'; traps: boolean } | { kind: 'sup'; strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one'; children: Node[] };
    const node: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.record({ kind: fc.constant('worker' as const), traps: fc.boolean() }),
        fc.record({
          kind: fc.constant('sup' as const),
          strategy: fc.constantFrom('one_for_one' as const, 'one_for_all' as const, 'rest_for_one' as const),
          children: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
        }),
      ),
    })).node;
    await fc.assert(
      fc.asyncProperty(
        fc.array(node, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(50), fc.boolean()), { maxLength: 15 }),
        fc.boolean(),
        async (roots, faults, stopAtEnd) => {
          const clock = new VirtualClock();
          const rt = new Runtime({ clock });
          let n = 0;
          const toSpec = (nd: Node): ChildSpec =>
            nd.kind === 'worker'
              ? { id: `w${n++}`, start: nd.traps ? trapping(5) : idle, shutdown: 100 }
              : { id: `s${n++}`, start: supervisor({ strategy: nd.strategy, intensity: 2, children: nd.children.map(toSpec) }) };
          const root = await startSupervisor(rt, { intensity: 2, children: roots.map(toSpec) });
          for (const [k, kill] of faults) {
            const live = rt.processes().filter((p) => p !== root);
            const victim = live[k % Math.max(1, live.length)];
            if (victim === undefined || !rt.isAlive(root)) break;
            if (kill) rt.sendExit(victim, 'kill');
            else rt.send(victim, 'crash');
            await clock.advance(10);
          }
          if (stopAtEnd && rt.isAlive(root)) {
            const done = stopSupervisor(rt, root);
            await clock.runUntil(() => !rt.isAlive(root));
            await done;
          }
          if (!rt.isAlive(root)) {
            await clock.advance(1000);
            expect(rt.processCount).toBe(0);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('events used by the invariants', () => {
  it('reports every restart it performs', async () => {
    const rt = new Runtime({ clock: new VirtualClock() });
    const seen: WardenEvent[] = [];
    rt.events.on('supervisor.child_restarted', (e) => seen.push(e));
    const sup = await startSupervisor(rt, { intensity: 3, children: [{ id: 'a', start: idle }] });
    await crashChild(rt, sup, 0);
    expect(seen).toHaveLength(1);
  });
});
