/**
 * The scheduler on both stores, on the virtual clock: slots fire at their time and become one
 * durable run each; catch-up after downtime (`skip`, `latest`, `all`), overlap with a running
 * slot (`skip`, `queue`, `cancel_previous`, `allow`), pause, resume and trigger, jitter, start and
 * end dates, cron in a time zone, redefinition, failures recorded with their dead letter, and a
 * store shared with another program's overdue schedules (woken only by its own).
 * "Downtime" is a scheduler closed while the clock moves on, then opened again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineRun, type DurableHost, type RunDefinition } from '../durable/index.ts';
import { seededRandom, type Clock } from '../runtime/index.ts';
import { startDurableHarness, waitFor, withStores, type DurableHarness } from '../testing/index.ts';
import { defineSchedule, openScheduler, type Scheduler, type ScheduleSpec, type SlotInput } from './index.ts';

const T0 = Date.UTC(2026, 0, 5, 0, 0, 0); // a Monday
const MIN = 60_000;
const HOUR = 60 * MIN;

for (const c of withStores()) {
  describe.skipIf(c.skip)(`scheduler: ${c.title}`, () => {
    let bench: DurableHarness;
    let host: DurableHost;
    let ran: string[];
    let gates: Map<string, () => void>;
    let scheduler: Scheduler | undefined;

    const work = defineRun('work', async (run, slot: SlotInput<{ fail?: boolean; hold?: boolean }>) => {
      await run.step('do', async () => {
        ran.push(`${slot.scheduleId}@${(slot.slotAt - T0) / MIN}${slot.kind === 'manual' ? 'm' : ''}`);
        if (slot.input?.hold === true) await new Promise<void>((resolve) => gates.set(slot.slotTime, resolve));
        if (slot.input?.fail === true) throw new Error('boom');
        return null;
      });
      return 'ok';
    });

    beforeEach(async () => {
      bench = await startDurableHarness({ store: c, startMs: T0 });
      host = bench.host([work], { owner: 'p1' });
      ran = [];
      gates = new Map();
      scheduler = undefined;
    });
    afterEach(async () => {
      for (const g of gates.values()) g();
      await scheduler?.close();
      await bench.close();
    });

    async function open(specs: ScheduleSpec<{ fail?: boolean; hold?: boolean }>[], options: { seed?: number; h?: DurableHost } = {}): Promise<Scheduler> {
      scheduler = await openScheduler({
        host: options.h ?? host,
        schedules: specs.map((s) => defineSchedule(s)),
        bus: bench.bus,
        random: seededRandom(options.seed ?? 1),
      });
      return scheduler;
    }

    /** Move the clock to `T0 + minutes`, make a pass and let the runs it started end. */
    async function at(minutes: number, s: Scheduler = scheduler!): Promise<void> {
      await bench.clock.advanceTo(T0 + minutes * MIN);
      await s.tick();
      await s.idle();
    }

    it('fires an interval schedule at each slot, one completed run per slot, on time', async () => {
      const s = await open([{ id: 'beat', run: work, everyMs: 10 * MIN }]);
      for (const m of [0, 5, 10, 20, 25, 30]) await at(m);
      expect(ran).toEqual(['beat@0', 'beat@10', 'beat@20', 'beat@30']);
      expect(bench.of('schedule.slot_started').map((e) => e.lateMs)).toEqual([0, 0, 0, 0]);
      expect(bench.of('schedule.slot_started').map((e) => e.runId)).toEqual(
        [0, 10, 20, 30].map((m) => `schedule:beat:${new Date(T0 + m * MIN).toISOString()}`),
      );
      const info = await s.schedules.require('beat');
      expect(info).toMatchObject({ counts: { completed: 4, failed: 0, missed: 0, cancelled: 0 }, successRate: 1, nextSlotAt: T0 + 40 * MIN });
      expect((await s.schedules.slots({ scheduleId: 'beat' })).map((x) => x.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    });

    it('fires when serving, at the slot time on the virtual clock', async () => {
      const quiet = bench.host([work], { owner: 'p3', leaseMs: 100 * HOUR }); // its lease renewals stay out of the way
      scheduler = await openScheduler({ host: quiet, schedules: [defineSchedule({ id: 'beat', run: work, everyMs: 10 * MIN })], bus: bench.bus, pollMs: MIN });
      scheduler.serve();
      for (let m = 0; m <= 25; m++) {
        await bench.clock.advanceTo(T0 + m * MIN);
        // Each pass ends by arming the next one, at the next minute here (pollMs).
        await waitFor(() => bench.clock.nextTimerAt() === T0 + (m + 1) * MIN, `the pass after minute ${m} is armed`);
      }
      await scheduler.idle();
      expect(ran).toEqual(['beat@0', 'beat@10', 'beat@20']);
      expect(bench.of('schedule.slot_started').map((e) => e.lateMs)).toEqual([0, 0, 0]);
    });

    it.each([
      ['skip', ['d@150'], 14],
      ['latest', ['d@140', 'd@150'], 13],
      ['all', ['d@110', 'd@120', 'd@130', 'd@140', 'd@150'], 10],
    ] as const)('after downtime, catch-up %s runs %j and records the rest missed', async (catchUp, expected, missed) => {
      const spec = { id: 'd', run: work, everyMs: 10 * MIN, catchUp, catchUpLimit: 4, graceMs: 4 * MIN, overlap: 'allow' as const };
      let s = await open([spec]);
      await at(0);
      await s.close();
      ran = [];
      await bench.clock.advanceTo(T0 + 145 * MIN); // down from 0 to 145: slots 10..140 overdue
      s = await open([spec]);
      await at(145);
      await at(150);
      expect([...ran].sort()).toEqual(expected); // caught-up slots start together: their steps run in any order
      const info = await s.schedules.require('d');
      expect(info.counts).toEqual({ completed: 1 + expected.length, failed: 0, cancelled: 0, missed });
      const causes = new Set((await s.schedules.slots({ scheduleId: 'd', status: 'missed' })).map((x) => x.cause));
      expect([...causes]).toEqual([catchUp === 'all' ? 'catch_up_limit' : 'downtime']);
      expect(bench.of('schedule.caught_up')).toEqual([expect.objectContaining({ scheduleId: 'd', late: 14, missed })]);
    });

    it('does not catch up a slot that is merely late within graceMs', async () => {
      const s = await open([{ id: 'g', run: work, everyMs: 10 * MIN, catchUp: 'skip', graceMs: 2 * MIN }]);
      await at(1);
      expect(ran).toEqual(['g@0']);
      expect(bench.of('schedule.slot_started')[0]?.lateMs).toBe(MIN);
      expect((await s.schedules.require('g')).counts.missed).toBe(0);
    });

    describe('overlap with a slot still running', () => {
      const held = { hold: true };
      it('skip: the new slot is missed (overlap)', async () => {
        const s = await open([{ id: 'o', run: work, everyMs: 10 * MIN, overlap: 'skip', input: held }]);
        await bench.clock.advanceTo(T0);
        await s.tick();
        await bench.clock.advanceTo(T0 + 10 * MIN);
        await s.tick();
        expect(ran).toEqual(['o@0']);
        expect((await s.schedules.slots({ scheduleId: 'o' })).map((x) => [x.status, x.cause])).toEqual([
          ['missed', 'overlap'],
          ['started', undefined],
        ]);
      });

      it('queue: the new slot waits and starts once the previous ends', async () => {
        const s = await open([{ id: 'o', run: work, everyMs: 10 * MIN, overlap: 'queue', input: held }]);
        await bench.clock.advanceTo(T0);
        await s.tick();
        await waitFor(() => ran.length === 1, 'the first slot ran');
        await bench.clock.advanceTo(T0 + 10 * MIN);
        await s.tick();
        expect(ran).toEqual(['o@0']);
        gates.get(new Date(T0).toISOString())!();
        await new Promise((r) => setTimeout(r, 0));
        while (ran.length < 2) {
          await s.tick();
          await new Promise((r) => setTimeout(r, 1));
        }
        expect(ran).toEqual(['o@0', 'o@10']);
      });

      it('queue: more than queueLimit waiting slots are missed (queue_full)', async () => {
        const s = await open([{ id: 'o', run: work, everyMs: MIN, overlap: 'queue', queueLimit: 2, input: held }]);
        for (const m of [0, 1, 2, 3, 4]) {
          await bench.clock.advanceTo(T0 + m * MIN);
          await s.tick();
        }
        const slots = await s.schedules.slots({ scheduleId: 'o' });
        expect(slots.filter((x) => x.status === 'pending').length).toBe(2);
        expect(slots.filter((x) => x.cause === 'queue_full').length).toBe(2);
      });

      it('cancel_previous: the running slot is cancelled and the new one starts', async () => {
        const s = await open([{ id: 'o', run: work, everyMs: 10 * MIN, overlap: 'cancel_previous', input: held }]);
        await bench.clock.advanceTo(T0);
        await s.tick();
        await bench.clock.advanceTo(T0 + 10 * MIN);
        await s.tick();
        await waitFor(() => ran.length === 2 && gates.size === 2, 'both slots ran');
        gates.get(new Date(T0).toISOString())!(); // the cancelled run stops at its next step
        while ((await s.schedules.require('o')).counts.cancelled === 0) {
          await new Promise((r) => setTimeout(r, 1));
          await s.tick();
        }
        expect(ran).toEqual(['o@0', 'o@10']);
        expect(bench.of('schedule.slot_cancelled').map((e) => e.slotAt)).toEqual([T0]);
      });

      it('allow: both run at once', async () => {
        const s = await open([{ id: 'o', run: work, everyMs: 10 * MIN, overlap: 'allow', input: held }]);
        await bench.clock.advanceTo(T0);
        await s.tick();
        await bench.clock.advanceTo(T0 + 10 * MIN);
        await s.tick();
        await waitFor(() => ran.length === 2, 'both slots ran');
        expect(ran).toEqual(['o@0', 'o@10']);
      });
    });

    it('records slots missed while paused, resumes, and triggers a manual slot even while paused', async () => {
      const s = await open([{ id: 'p', run: work, everyMs: 10 * MIN }]);
      await at(0);
      await s.pause('p', { by: 'alice', reason: 'maintenance' });
      await at(10);
      await at(20);
      await s.trigger('p', { by: 'bob' });
      await s.tick();
      await s.idle();
      await s.resume('p');
      await at(30);
      expect(ran).toEqual(['p@0', 'p@20m', 'p@30']);
      const info = await s.schedules.require('p');
      expect(info).toMatchObject({ paused: false, counts: { completed: 3, missed: 2 } });
      expect(info.successRate).toBeCloseTo(3 / 5);
      expect((await s.schedules.slots({ scheduleId: 'p', status: 'missed' })).map((x) => x.cause)).toEqual(['paused', 'paused']);
      expect(bench.types('schedule.paused')).toEqual(['schedule.paused']);
    });

    it('counts slots that came due while paused with no scheduler running as paused on resume, not as downtime', async () => {
      let s = await open([{ id: 'p', run: work, everyMs: 10 * MIN, catchUp: 'all' }]);
      await at(0);
      await s.pause('p');
      await s.close();
      await bench.clock.advanceTo(T0 + 35 * MIN);
      s = await open([{ id: 'p', run: work, everyMs: 10 * MIN, catchUp: 'all' }]);
      await s.resume('p');
      await at(40);
      expect(ran).toEqual(['p@0', 'p@40']);
      const missed = await s.schedules.slots({ scheduleId: 'p', status: 'missed' });
      expect(missed.map((x) => [(x.slotAt - T0) / MIN, x.cause])).toEqual([
        [30, 'paused'],
        [20, 'paused'],
        [10, 'paused'],
      ]);
    });

    it('delays each slot by a jitter drawn from the injected random, below jitterMs', async () => {
      const s = await open([{ id: 'j', run: work, everyMs: 10 * MIN, jitterMs: 5 * MIN }], { seed: 42 });
      for (let m = 0; m <= 40; m++) await at(m);
      const jitter = bench.of('schedule.slot_due').map((e) => e.dueAt - e.slotAt);
      const r = seededRandom(42);
      expect(jitter).toEqual([0, 1, 2, 3, 4].map(() => Math.floor(r() * 5 * MIN)));
      for (const j of jitter) expect(j).toBeLessThan(5 * MIN);
      expect(new Set(jitter).size).toBeGreaterThan(1);
      // Passes are made each minute here, so a slot starts at the first minute at or after its due time.
      const late = bench.of('schedule.slot_started').map((e) => e.lateMs);
      expect(late).toEqual(jitter.slice(0, 4).map((j) => Math.ceil(j / MIN) * MIN));
      await s.close();
    });

    it('honours start and end dates and fires a one-off once', async () => {
      await open([
        { id: 'w', run: work, everyMs: 10 * MIN, startAt: new Date(T0 + 20 * MIN), endAt: T0 + 40 * MIN },
        { id: 'once', run: work, at: new Date(T0 + 15 * MIN).toISOString() },
      ]);
      for (const m of [0, 10, 15, 20, 30, 40, 50, 60]) await at(m);
      expect(ran).toEqual(['once@15', 'w@20', 'w@30', 'w@40']);
      expect(
        bench
          .of('schedule.ended')
          .map((e) => e.scheduleId)
          .sort(),
      ).toEqual(['once', 'w']);
      expect((await scheduler!.schedules.require('once')).nextSlotAt).toBeUndefined();
    });

    it('reads a cron expression in its time zone, across a daylight-saving change', async () => {
      const s = await open([{ id: 'berlin', run: work, cron: '0 3 * * *', timeZone: 'Europe/Berlin' }]);
      const info = await s.schedules.require('berlin');
      expect(new Date(info.nextSlotAt!).toISOString()).toBe('2026-01-05T02:00:00.000Z');
      await at(2 * 60);
      expect(ran).toEqual(['berlin@120']);
      const summer = defineSchedule({ id: 'berlin', run: work, cron: '0 3 * * *', timeZone: 'Europe/Berlin', startAt: '2026-07-01T00:00:00Z' });
      await s.define(summer);
      expect(new Date((await s.schedules.require('berlin')).nextSlotAt!).toISOString()).toBe('2026-07-01T01:00:00.000Z');
    });

    it('defining the same schedule again changes nothing; a changed one is updated and keeps its pause', async () => {
      const spec = { id: 'r', run: work, everyMs: 10 * MIN, description: 'v1' } as const;
      const s = await open([spec]);
      await at(0);
      await s.pause('r');
      expect([...(await s.define(defineSchedule(spec)))]).toEqual([['r', 'unchanged']]);
      expect([...(await s.define(defineSchedule({ ...spec, description: 'v2', overlap: 'allow' })))]).toEqual([['r', 'updated']]);
      const info = await s.schedules.require('r');
      expect(info).toMatchObject({ paused: true, nextSlotAt: T0 + 10 * MIN, counts: { completed: 1 } });
      expect(info.schedule).toMatchObject({ description: 'v2', overlap: 'allow' });
    });

    it('records a failed slot with its dead letter, and the success rate', async () => {
      const s = await open([{ id: 'f', run: work, everyMs: 10 * MIN, input: { fail: true } }]);
      await at(0);
      const [slot] = await s.schedules.slots({ scheduleId: 'f' });
      expect(slot).toMatchObject({ status: 'failed', error: expect.stringContaining('boom'), deadLetterId: expect.any(String) });
      expect((await bench.store.listDeadLetters({ status: 'pending' })).map((l) => l.runId)).toEqual([slot!.runId]);
      expect((await s.schedules.require('f')).successRate).toBe(0);
      expect(bench.of('schedule.slot_failed')).toHaveLength(1);
    });

    it('a second scheduler on the same store (another process) never fires a slot twice', async () => {
      const other = bench.host([work], { owner: 'p2' });
      const a = await open([{ id: 'x', run: work, everyMs: MIN, overlap: 'allow' }]);
      const b = await openScheduler({ host: other, schedules: [defineSchedule({ id: 'x', run: work, everyMs: MIN, overlap: 'allow' })], bus: bench.bus });
      for (let m = 0; m < 20; m++) {
        await bench.clock.advanceTo(T0 + m * MIN);
        await Promise.all([a.tick(), b.tick()]);
        await Promise.all([a.idle(), b.idle()]);
      }
      await b.close();
      expect(ran).toHaveLength(20);
      expect(new Set(ran).size).toBe(20);
      expect((await a.schedules.require('x')).counts.completed).toBe(20);
    });

    it("wakes only for its own schedules: another program's overdue schedule in the store neither keeps it busy nor delays its slots", async () => {
      // Another program on the same store defined a schedule, asked for a manual slot and stopped:
      // its cursor and its pending slot stay overdue, since nothing here serves them.
      const otherRun = defineRun('other-work', async (_run, _slot: SlotInput) => 'ok');
      const foreign = await openScheduler({
        host: bench.host([otherRun], { owner: 'p9' }),
        schedules: [defineSchedule({ id: 'foreign', run: otherRun, everyMs: MIN })],
      });
      await foreign.trigger('foreign');
      await foreign.close();
      // Each time this scheduler arms its next pass, on the virtual clock. A scheduler that spins
      // (arms its next pass at once, again and again) is left unarmed after 100, so this test
      // reports the count rather than spinning with it.
      const wakes: number[] = [];
      const clock: Clock = {
        now: () => bench.clock.now(),
        setTimer: (ms, callback) => {
          wakes.push(bench.clock.now() + ms);
          return wakes.length > 100 ? { cancel() {} } : bench.clock.setTimer(ms, callback);
        },
        sleep: (ms, signal) => bench.clock.sleep(ms, signal),
      };
      const quiet = bench.host([work], { owner: 'p3', leaseMs: 100 * HOUR });
      scheduler = await openScheduler({
        host: quiet,
        clock,
        schedules: [defineSchedule({ id: 'beat', run: work, everyMs: 10 * MIN })],
        bus: bench.bus,
        pollMs: HOUR,
      });
      scheduler.serve();
      for (let i = 0; i < 100; i++) {
        await waitFor(() => wakes.length > i, `pass ${i} is armed`);
        await scheduler.idle(); // the slot's run has ended before the next slot comes
        if (wakes[i]! > T0 + HOUR) break;
        await bench.clock.advanceTo(wakes[i]!);
      }
      await scheduler.idle();
      // One pass per slot over the hour (0, 10, ..., 60 minutes), not one pass after another at 0.
      expect(wakes.filter((t) => t <= T0 + HOUR).map((t) => (t - T0) / MIN)).toEqual([0, 10, 20, 30, 40, 50, 60]);
      expect(ran).toEqual(['beat@0', 'beat@10', 'beat@20', 'beat@30', 'beat@40', 'beat@50', 'beat@60']);
      expect(bench.of('schedule.slot_started').map((e) => [e.scheduleId, e.lateMs])).toEqual(ran.map(() => ['beat', 0]));
      // The other program's schedule is left as it was: not decided, not started, here.
      expect(await scheduler.schedules.require('foreign')).toMatchObject({ nextSlotAt: T0 });
      expect((await scheduler.schedules.slots({ scheduleId: 'foreign' })).map((x) => [x.kind, x.status])).toEqual([['manual', 'pending']]);
    });

    it('rejects a schedule whose run is not registered on the host, naming the field', async () => {
      await expect(open([{ id: 'n', run: 'nope', everyMs: MIN }])).rejects.toThrow(/schedule "n": run is not registered on the durable host/);
    });
  });
}

export type { RunDefinition };
