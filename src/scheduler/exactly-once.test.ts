/**
 * Exactly once across two processes on one store, with one of them dying at any moment (a
 * property over kill points). Each "process" is its own durable host and scheduler, on its own
 * store connection (Postgres) or the same one (SQLite). Process A dies at its Nth store operation: that operation and every later one never
 * happen (the calls never return, as in a process that is gone), whatever it was doing: deciding
 * slots, marking one started, creating, claiming or journaling the run, recording the outcome.
 * Process B lives on, ticking and recovering runs every minute. Afterwards every slot has exactly
 * one durable run (its derived id), completed, and no slot is recorded twice or missed.
 * The same with real processes and SIGKILL is exactly-once.slow.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DurableHost, defineRun } from '../durable/index.ts';
import { VirtualClock, seededRandom } from '../runtime/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { withStores } from '../testing/index.ts';
import { defineSchedule, openScheduler, slotRunId, type Scheduler, type SlotInput } from './index.ts';

const T0 = Date.UTC(2026, 0, 5);
const MIN = 60_000;

/** A store whose calls stop for good from the `killAt`th on (counting the scheduler's SQL too). */
function mortal(store: Store, killAt: number): { store: Store; dead: Promise<void>; isDead: () => boolean } {
  let calls = 0;
  let dead = false;
  let die!: () => void;
  const deadPromise = new Promise<void>((resolve) => (die = resolve));
  const never = new Promise<never>(() => {});
  const gate = <T>(call: () => T): T | Promise<never> => {
    if (dead) return never;
    if (++calls >= killAt) {
      dead = true;
      die();
      return never;
    }
    return call();
  };
  const sql = (store as unknown as { sqlAccess: Record<string, unknown> }).sqlAccess;
  const sqlProxy: Record<string, unknown> = {};
  for (const key of Object.keys(sql)) {
    const v = sql[key];
    sqlProxy[key] = typeof v === 'function' ? (...args: unknown[]) => gate(() => v.apply(sql, args)) : v;
  }
  const proxy = new Proxy(store, {
    get(target, prop) {
      if (prop === 'sqlAccess') return sqlProxy;
      const v = Reflect.get(target, prop);
      return typeof v === 'function' && prop !== 'close' ? (...args: unknown[]) => gate(() => v.apply(target, args)) : v;
    },
  });
  return { store: proxy, dead: deadPromise, isDead: () => dead };
}

for (const c of withStores()) {
  describe.skipIf(c.skip)(`scheduler exactly once, a process dying at any store operation: ${c.title}`, () => {
    it('runs every slot exactly once', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 2, max: 5 }), async (killAt, minutes) => {
          const location = c.location();
          const clock = new VirtualClock({ startMs: T0 });
          const work = defineRun('work', async (run, slot: SlotInput) => run.step('do', async () => slot.slotTime));
          const schedule = defineSchedule({ id: 'tick', run: work, everyMs: MIN, overlap: 'allow', catchUp: 'all', catchUpLimit: 100 });
          // On SQLite the two share one connection: two connections in one thread would block each
          // other (better-sqlite3 waits for a lock synchronously); on Postgres each has its own pool.
          const storeB = await openStore(location);
          const storeA = c.kind === 'sqlite' ? storeB : await openStore(location);
          const a = mortal(storeA, killAt);
          const hostA = new DurableHost({ store: a.store, runs: [work], clock, owner: 'a' });
          const hostB = new DurableHost({ store: storeB, runs: [work], clock, owner: 'b' });
          let schedA: Scheduler | undefined;
          let schedB: Scheduler | undefined;
          try {
            schedA = await Promise.race([openScheduler({ host: hostA, schedules: [schedule], random: seededRandom(1) }), a.dead.then(() => undefined)]);
            schedB = await openScheduler({ host: hostB, schedules: [schedule], random: seededRandom(2) });
            for (let m = 0; m <= minutes + 2; m++) {
              await clock.advanceTo(T0 + m * MIN);
              const passes: Promise<unknown>[] = [];
              if (m <= minutes) {
                if (schedA !== undefined && !a.isDead()) passes.push(Promise.race([schedA.tick().then(() => schedA!.idle()), a.dead]));
                passes.push(schedB.tick());
              } else {
                passes.push(schedB.tick()); // no new slots after `minutes`: stop defining them below
              }
              await Promise.all(passes);
              await schedB.idle();
              for (const h of await hostB.recover()) await h.result;
              await schedB.tick();
              await schedB.idle();
            }
            // The last slot counted is the one at `minutes` (B keeps deciding after, so count what the schedule decided).
            const slots = await schedB.schedules.slots({ scheduleId: 'tick', limit: 1000 });
            const decided = slots.map((s) => s.slotAt).sort((x, y) => x - y);
            expect(decided).toEqual(Array.from({ length: decided.length }, (_, i) => T0 + i * MIN));
            expect(decided.length).toBeGreaterThanOrEqual(minutes + 1);
            expect(slots.filter((s) => s.status !== 'completed')).toEqual([]);
            const runs = await storeB.listRuns({ name: 'work' });
            expect(runs.map((r) => r.id).sort()).toEqual(decided.map((t) => slotRunId('tick', t, 'scheduled')).sort());
            for (const r of runs)
              expect(r).toMatchObject({
                status: 'completed',
                output: new Date(Number(r.id.length > 0 ? Date.parse(r.id.slice('schedule:tick:'.length)) : 0)).toISOString(),
              });
            const info = await schedB.schedules.require('tick');
            expect(info.counts).toEqual({ completed: decided.length, failed: 0, cancelled: 0, missed: 0 });
          } finally {
            await schedB?.close();
            await hostB.close();
            void hostA.close();
            await storeB.close();
            if (storeA !== storeB) await storeA.close();
            await location.drop();
          }
        }),
        { numRuns: c.kind === 'sqlite' ? 8 : 3 },
      );
    }, 60_000);
  });
}
