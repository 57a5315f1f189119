/**
 * Slot times: the first slot of a timing at or after an instant, within a schedule's start and
 * end dates. Cron expressions are parsed and stepped by croner (time zones and daylight-saving
 * changes included); we never parse cron by hand. A croner job is built without a function, so
 * it never arms a timer of its own: all waiting goes through Warden's injected clock. Parsed
 * expressions are cached per (expression, time zone), since 10,000 schedules often share a few.
 */
import { Cron } from 'croner';
import type { Schedule, Timing } from './types.ts';

const parsed = new Map<string, Cron>();
const CACHE_LIMIT = 4096;

/** The croner job for `cron` in `timeZone` (throws croner's error for a bad expression or zone). */
export function cronOf(cron: string, timeZone: string): Cron {
  const key = `${timeZone}\u0000${cron}`;
  let job = parsed.get(key);
  if (job === undefined) {
    job = new Cron(cron, { timezone: timeZone });
    if (parsed.size >= CACHE_LIMIT) parsed.clear();
    parsed.set(key, job);
  }
  return job;
}

/** The first time of `timing` at or after `t` (clock ms), ignoring start and end dates; undefined if none. */
export function timingAtOrAfter(timing: Timing, t: number): number | undefined {
  switch (timing.kind) {
    case 'cron': {
      // croner answers the first time strictly after the instant given, to the second.
      const next = cronOf(timing.cron, timing.timeZone).nextRun(new Date(t - 1));
      return next === null ? undefined : next.getTime();
    }
    case 'every': {
      const k = Math.ceil((t - timing.anchorMs) / timing.everyMs);
      return timing.anchorMs + k * timing.everyMs;
    }
    case 'once':
      return timing.at >= t ? timing.at : undefined;
  }
}

/** The first slot of `schedule` at or after `t`, within its start and end dates; undefined once it has ended. */
export function slotAtOrAfter(schedule: Schedule, t: number): number | undefined {
  const from = schedule.startAt === undefined ? t : Math.max(t, schedule.startAt);
  const next = timingAtOrAfter(schedule.timing, from);
  if (next === undefined) return undefined;
  if (schedule.endAt !== undefined && next > schedule.endAt) return undefined;
  return next;
}
