/**
 * `warden schedules` against a real store: a scheduler on the virtual clock fires, misses and
 * fails some slots; the CLI lists the schedules with their success rate, shows one with its slots
 * (missed ones with their cause, failed ones with their dead letter), pauses, resumes and
 * triggers (the running scheduler picks the marks up), and refuses unknown ids and bad
 * arguments in one line with exit status 2. Postgres runs the same when its URL is set.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableHost, defineRun } from '../src/durable/index.ts';
import { VirtualClock } from '../src/runtime/index.ts';
import { defineSchedule, openScheduler, type Scheduler, type SlotInput } from '../src/scheduler/index.ts';
import type { Store } from '../src/store/index.ts';
import { withStores, type TestStore } from '../src/testing/index.ts';
import { runCli } from './support/cli-harness.ts';

const T0 = Date.UTC(2026, 0, 5);
const MIN = 60_000;

const work = defineRun('report', async (run, slot: SlotInput<{ fail?: boolean }>) =>
  run.step('write', async () => {
    if (slot.input?.fail === true) throw new Error('the ledger is locked');
    return slot.slotTime;
  }),
);

for (const c of withStores()) {
  describe.skipIf(c.skip)(`warden schedules: ${c.title}`, () => {
    let opened: TestStore;
    let store: Store;
    let host: DurableHost;
    let clock: VirtualClock;
    let scheduler: Scheduler;
    let db: string;

    const cli = (...argv: string[]) => runCli(['schedules', ...argv, '--db', db]);
    async function at(minutes: number): Promise<void> {
      await clock.advanceTo(T0 + minutes * MIN);
      await scheduler.tick();
      await scheduler.idle();
    }

    beforeEach(async () => {
      opened = await c.open();
      store = opened.store;
      db =
        opened.location.kind === 'sqlite'
          ? opened.location.db
          : `${opened.location.db}${opened.location.db.includes('?') ? '&' : '?'}options=-c%20search_path%3D${opened.location.schema}`;
      clock = new VirtualClock({ startMs: T0 });
      host = new DurableHost({ store, runs: [work], clock, owner: 'cli-test' });
      scheduler = await openScheduler({
        host,
        schedules: [
          defineSchedule({ id: 'hourly-report', run: work, everyMs: 10 * MIN, description: 'the report' }),
          defineSchedule({ id: 'ledger', run: work, cron: '*/15 * * * *', timeZone: 'Europe/Berlin', input: { fail: true } }),
        ],
      });
      for (const m of [0, 10, 15]) await at(m);
    });
    afterEach(async () => {
      await scheduler.close();
      await host.close();
      await opened.cleanup();
    });

    it('lists the schedules with their state, next slot and success rate', async () => {
      const r = await cli('list');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const lines = r.out.trim().split('\n');
      expect(lines[0]).toMatch(/^ID\s+RUN\s+TIMING\s+STATE\s+NEXT SLOT\s+OK\s+FAILED\s+MISSED\s+SUCCESS$/);
      expect(lines[1]).toMatch(/^hourly-report\s+report\s+every 10 min\s+active\s+2026-01-05 00:20:00Z\s+2\s+0\s+0\s+100.0%$/);
      expect(lines[2]).toMatch(/^ledger\s+report\s+cron "\*\/15 \* \* \* \*" Europe\/Berlin\s+active\s+2026-01-05 00:30:00Z\s+0\s+2\s+0\s+0.0%$/);
      const json = JSON.parse((await cli('list', '--json')).out) as { id: string; counts: unknown }[];
      expect(json.map((s) => [s.id, s.counts])).toEqual([
        ['hourly-report', { completed: 2, failed: 0, cancelled: 0, missed: 0 }],
        ['ledger', { completed: 0, failed: 2, cancelled: 0, missed: 0 }],
      ]);
    });

    it('shows a schedule with its slots, failed ones with their dead letter', async () => {
      const r = await cli('show', 'ledger');
      expect(r.code).toBe(0);
      expect(r.out).toContain('schedule ledger');
      expect(r.out).toContain('slots      0 completed, 2 failed, 0 cancelled, 0 missed; success rate 0.0%');
      const letters = await store.listDeadLetters({ status: 'pending' });
      const letter = letters.find((l) => l.runId === 'schedule:ledger:2026-01-05T00:15:00.000Z');
      expect(r.out).toMatch(
        new RegExp(`2026-01-05 00:15:00Z\\s+scheduled\\s+failed\\s+dead letter ${letter!.id}: run schedule:ledger:2026-01-05T00:15:00.000Z: write failed`),
      );
    });

    it('pauses (slots then missed with their cause), resumes and triggers; the running scheduler picks the marks up', async () => {
      expect(await cli('pause', 'hourly-report', '--reason', 'ledger migration', '--by', 'alice')).toMatchObject({ code: 0, err: '' });
      await at(20);
      const shown = await cli('show', 'hourly-report', '--status', 'missed');
      expect(shown.out).toContain('state      paused (ledger migration) by alice');
      expect(shown.out).toMatch(/2026-01-05 00:20:00Z\s+scheduled\s+missed\s+paused\n/);
      const t = await cli('trigger', 'hourly-report');
      // The CLI reads the real clock: the slot is at the real time, and due at once for any scheduler.
      expect(t.out).toMatch(
        /^slot \S+ \S+Z of hourly-report requested \(run schedule:hourly-report:manual:\S+\); a scheduler defining "hourly-report" starts it at its next tick\n$/,
      );
      await scheduler.tick();
      await scheduler.idle();
      expect((await cli('resume', 'hourly-report')).out).toBe('schedule hourly-report resumed; next slot 2026-01-05 00:30:00Z\n');
      expect((await scheduler.schedules.slots({ scheduleId: 'hourly-report', status: 'completed', limit: 1 }))[0]?.kind).toBe('manual');
      await at(30);
      const info = await scheduler.schedules.require('hourly-report');
      expect(info).toMatchObject({ paused: false, counts: { completed: 4, missed: 1 } });
    });

    it.each([
      [['show', 'nope'], /no schedule "nope"/],
      [['pause', 'nope'], /no schedule "nope"/],
      [['trigger'], /give the schedule id/],
      [['list', 'extra'], /'list' takes no arguments/],
      [['show', 'ledger', '--status', 'gone'], /--status must be one of pending, started/],
      [['pause', 'ledger', '--slots', '3'], /--slots does not apply to 'pause'/],
      [['frobnicate'], /unknown subcommand 'frobnicate'/],
    ])('refuses %j in one line with exit status 2', async (argv, message) => {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')[0]).toMatch(message);
    });
  });
}
