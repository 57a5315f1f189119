/**
 * A scheduler process that gets killed: a durable host and a scheduler on the real clock, firing
 * the schedule "tick" (every SLOT_MS from START to END, overlap 'allow', catch-up 'all') on a
 * store shared with other such processes. Each slot's run appends "<slot time> <pid>" to a side
 * file in its one step. It reports over IPC: 'started' when it started a slot's run, 'done' once
 * the schedule has ended and none of its slots waits or runs (then it exits).
 *
 * Configured by environment: CRASH_DB (file path or postgres:// URL), CRASH_SCHEMA (postgres),
 * EXEC_LOG, START, END, SLOT_MS.
 */
import { appendFileSync } from 'node:fs';
import { EventBus, realClock } from '../../src/runtime/index.ts';
import { openPostgresStore, openSqliteStore } from '../../src/store/index.ts';
import { DurableHost, defineRun } from '../../src/durable/index.ts';
import { defineSchedule, openScheduler, type SlotInput } from '../../src/scheduler/index.ts';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`worker: ${name} is not set`);
  return v;
};
const db = env('CRASH_DB');
const execLog = env('EXEC_LOG');
const start = Number(env('START'));
const end = Number(env('END'));
const slotMs = Number(env('SLOT_MS'));
const send = (m: unknown): void => {
  process.send?.(m);
};

const store = db.startsWith('postgres') ? await openPostgresStore({ url: db, schema: env('CRASH_SCHEMA') }) : await openSqliteStore({ path: db });
const tick = defineRun('tick', async (run, slot: SlotInput) =>
  run.step('work', async () => {
    appendFileSync(execLog, `${slot.slotAt} ${process.pid}\n`);
    return slot.slotTime;
  }),
);
const bus = new EventBus(realClock);
bus.on('schedule.slot_started', (e) => send({ type: 'started', slotAt: e.slotAt }));
const host = new DurableHost({ store, runs: [tick], bus, owner: `worker-${process.pid}`, leaseMs: 2_000, pollMs: 100 });
host.serve();
const scheduler = await openScheduler({
  host,
  bus,
  pollMs: 100,
  schedules: [
    defineSchedule({
      id: 'tick',
      run: tick,
      everyMs: slotMs,
      startAt: start,
      endAt: end,
      overlap: 'allow',
      catchUp: 'all',
      catchUpLimit: 1000,
      graceMs: 600_000,
    }),
  ],
});
scheduler.serve();
// Done once the schedule has ended and none of its slots is waiting or running.
for (;;) {
  await realClock.sleep(100);
  const info = await scheduler.schedules.require('tick');
  if (info.nextSlotAt !== undefined) continue;
  const live = [
    ...(await scheduler.schedules.slots({ scheduleId: 'tick', status: 'pending' })),
    ...(await scheduler.schedules.slots({ scheduleId: 'tick', status: 'started' })),
  ];
  if (live.length === 0) break;
}
send({ type: 'done' });
await scheduler.close();
await host.close();
await store.close();
process.exit(0);
