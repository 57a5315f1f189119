/**
 * The durable scheduler (`warden/scheduler`): cron-like schedules that survive restarts, catch
 * up or skip missed slots by policy, and never run one slot twice. Each firing is a **slot**
 * (schedule id + scheduled time) that becomes a durable run with an id derived from the slot, so
 * it runs exactly once across restarts, `kill -9` and several processes on one store.
 *
 * <!-- docs-test: compile-only (it serves until the process ends) -->
 * ```ts
 * import { DurableHost, defineRun } from 'warden/durable';
 * import { defineSchedule, openScheduler, type SlotInput } from 'warden/scheduler';
 * import { openStore } from 'warden/store';
 *
 * const digest = defineRun('daily-digest', async (run, slot: SlotInput<{ to: string }>) => {
 *   const text = await run.step('summarise', async () => `news for ${slot.slotTime}`);
 *   return { to: slot.input.to, text };
 * });
 *
 * const store = await openStore();
 * const host = new DurableHost({ store, runs: [digest] });
 * host.serve();                                                // resumes runs a crash left behind
 * const scheduler = await openScheduler({
 *   host,
 *   schedules: [
 *     defineSchedule({ id: 'digest', run: digest, cron: '0 7 * * 1-5', timeZone: 'Europe/Berlin', input: { to: 'me@example.com' } }),
 *     defineSchedule({ id: 'heartbeat', run: digest, everyMs: 60_000, catchUp: 'skip', overlap: 'skip', input: { to: 'ops' } }),
 *   ],
 * });
 * scheduler.serve();                                           // fires slots as they come due
 * await scheduler.pause('heartbeat', { reason: 'maintenance' });
 * console.log(await scheduler.schedules.list());               // state, next slot, success rate
 * ```
 *
 * Policies per schedule: `catchUp` (`skip`, `latest`, `all` up to `catchUpLimit`), `overlap`
 * (`skip`, `queue`, `cancel_previous`, `allow`), `jitterMs`, `startAt`/`endAt`; pause, resume
 * and trigger from code (`scheduler`, `openSchedules(store)`) or the CLI (`warden schedules`).
 * Every slot that did not run is recorded with its cause. Runs as a supervised child with
 * `schedulerChild(options)`.
 */
import './errors.ts';
import './events.ts';

export { defineSchedule, SCHEDULE_DEFAULTS } from './schedule-spec.ts';
export type { ScheduleSpec, TimeInput } from './schedule-spec.ts';
export { openScheduler, Scheduler, SCHEDULER_DEFAULTS } from './scheduler.ts';
export type { SchedulerOptions, SchedulerTunables, TickSummary } from './scheduler.ts';
export { openSchedules, Schedules } from './schedules.ts';
export type { SchedulesOptions, SlotFilter, ActorOptions } from './schedules.ts';
export { schedulerChild } from './supervised.ts';
export type { SchedulerChildOptions } from './supervised.ts';
export { slotRunId } from './slot-ids.ts';
export { CATCH_UP_POLICIES, OVERLAP_POLICIES, SLOT_STATUSES, MISS_CAUSES } from './types.ts';
export type {
  Timing,
  CatchUpPolicy,
  OverlapPolicy,
  Schedule,
  SlotKind,
  SlotStatus,
  MissCause,
  SlotInput,
  SlotRecord,
  SlotCounts,
  ScheduleInfo,
} from './types.ts';
export { ScheduleNotFoundError, SchedulerClosedError } from './errors.ts';
