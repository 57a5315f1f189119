/**
 * Schedules are checked when built: a bad cron, an unknown time zone, two timings or a bad
 * option is an `InvalidSpecError` naming the field and the value. And the slot planner's
 * catch-up rules as properties: whatever the downtime, every due slot is decided exactly once
 * (run or missed), the cursor moves past now, and `all` never runs more than `catchUpLimit`
 * overdue slots.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineRun } from '../durable/index.ts';
import { isWardenError, seededRandom } from '../runtime/index.ts';
import { thrownBy } from '../testing/index.ts';
import { defineSchedule, type ScheduleSpec, type SlotInput } from './index.ts';
import { planDueSlots } from './slot-plan.ts';
import { slotAtOrAfter } from './slot-times.ts';

const work = defineRun('work', async (_run, _slot: SlotInput) => null);

function invalid(spec: unknown): { path: string; message: string } {
  const e = thrownBy(() => defineSchedule(spec as ScheduleSpec));
  expect(isWardenError(e, 'INVALID_SPEC')).toBe(true);
  return { path: (e as { path: string }).path, message: (e as Error).message };
}

describe('defineSchedule', () => {
  it.each([
    [{ id: 'a', run: work, cron: 'every day' }, 'cron', /schedule "a": cron is not a cron expression croner accepts.*\(got "every day"\)/],
    [{ id: 'a', run: work, cron: '61 * * * *' }, 'cron', /cron is not a cron expression/],
    [{ id: 'a', run: work, cron: '0 0 30 2 *' }, 'cron', /cron never fires/],
    [{ id: 'a', run: work, cron: '0 3 * * *', timeZone: 'Mars/Olympus' }, 'timeZone', /timeZone is not a time zone.*"Mars\/Olympus"/],
    [{ id: 'a', run: work }, 'cron', /exactly one of cron, everyMs and at/],
    [{ id: 'a', run: work, cron: '* * * * *', everyMs: 1000 }, 'everyMs', /exactly one of cron, everyMs and at/],
    [{ id: 'a', run: work, everyMs: 0 }, 'everyMs', /everyMs/],
    [{ id: 'a', run: work, everyMs: 1000, timeZone: 'UTC' }, 'timeZone', /timeZone applies to cron only/],
    [{ id: 'a', run: work, at: 'tomorrow' }, 'at', /at must be an ISO 8601 time/],
    [{ id: 'a', run: work, everyMs: 1000, catchUp: 'some' }, 'catchUp', /catchUp/],
    [{ id: 'a', run: work, everyMs: 1000, overlap: 'replace' }, 'overlap', /overlap/],
    [{ id: 'a', run: work, everyMs: 1000, jitterMs: -1 }, 'jitterMs', /jitterMs/],
    [{ id: 'a', run: work, everyMs: 1000, startAt: '2026-02-01T00:00:00Z', endAt: '2026-01-01T00:00:00Z' }, 'endAt', /endAt must not be before startAt/],
    [{ id: 'a', run: work, everyMs: 1000, input: { when: new Date(0) } }, 'input.when', /input.when/],
    [{ id: 'a b', run: work, everyMs: 1000 }, 'id', /id must be 1-128 letters/],
    [{ id: 'a', run: 42, everyMs: 1000 }, 'run', /run/],
    [{ id: 'a', run: work, everyMs: 1000, every: 5 }, 'every', /every is not a known option/],
  ])('rejects %j naming %s', (spec, path, message) => {
    const e = invalid(spec);
    expect(e.path).toBe(path);
    expect(e.message).toMatch(message);
  });

  it('resolves the defaults and reads times given as Date, ISO string or ms', () => {
    const s = defineSchedule({ id: 'a', run: work, cron: '0 3 * * *', startAt: new Date('2026-01-01T00:00:00Z'), endAt: '2026-02-01T00:00:00Z' });
    expect(s).toMatchObject({
      runName: 'work',
      timing: { kind: 'cron', cron: '0 3 * * *', timeZone: 'UTC' },
      input: null,
      catchUp: 'latest',
      catchUpLimit: 10,
      graceMs: 60_000,
      overlap: 'skip',
      queueLimit: 10,
      jitterMs: 0,
      startAt: Date.UTC(2026, 0, 1),
      endAt: Date.UTC(2026, 1, 1),
    });
    expect(Object.isFrozen(s)).toBe(true);
    expect(defineSchedule({ id: 'b', run: 'work', at: 5 }).timing).toEqual({ kind: 'once', at: 5 });
    expect(defineSchedule({ id: 'c', run: 'work', everyMs: 10, startAt: 3 }).timing).toEqual({ kind: 'every', everyMs: 10, anchorMs: 3 });
  });
});

describe('slot planning after downtime (property)', () => {
  const everyMs = 60_000;
  it('decides every due slot once, moves the cursor past now and keeps to the catch-up bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 10 * everyMs }),
        fc.constantFrom('skip' as const, 'latest' as const, 'all' as const),
        fc.integer({ min: 1, max: 20 }),
        fc.boolean(),
        (downSlots, graceMs, catchUp, catchUpLimit, paused) => {
          const s = defineSchedule({ id: 'p', run: 'work', everyMs, catchUp, catchUpLimit, graceMs, jitterMs: 1000 });
          const now = downSlots * everyMs + 123;
          const plan = planDueSlots(s, 0, now, paused, seededRandom(downSlots));
          const due = downSlots + 1;
          const times = plan.slots.map((x) => x.slotAt);
          expect(new Set(times).size).toBe(times.length);
          expect(plan.slots.length + plan.missedWithoutRow).toBe(due);
          expect(plan.nextSlotAt).toBe(slotAtOrAfter(s, now + 1));
          const run = plan.slots.filter((x) => x.status === 'pending');
          for (const r of run) if (r.status === 'pending') expect(r.dueAt - r.slotAt).toBeLessThan(1000);
          if (paused) expect(run).toEqual([]);
          else {
            const overdue = run.filter((x) => x.slotAt < now - graceMs).length;
            const onTime = run.length - overdue;
            expect(onTime).toBe(times.filter((t) => t >= now - graceMs).length);
            if (catchUp === 'skip') expect(overdue).toBe(0);
            if (catchUp === 'latest') expect(overdue).toBe(onTime === 0 && plan.overdue > 0 ? 1 : 0);
            if (catchUp === 'all') expect(overdue).toBe(Math.min(catchUpLimit, plan.overdue));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
