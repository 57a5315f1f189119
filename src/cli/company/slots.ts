/**
 * The slots that came due: every time a job's cron expression names in a window, read by croner
 * (UTC). The report counts "due" from here, from the calendar alone, not from what the
 * scheduler recorded.
 */
import { Cron } from 'croner';
import type { CompanyJob } from './jobs.ts';

/** Slot times (ms) of `cron` in [fromMs, toMs). */
export function slotsIn(cron: string, fromMs: number, toMs: number): number[] {
  const c = new Cron(cron, { timezone: 'UTC', paused: true });
  const out: number[] = [];
  let next = c.nextRun(new Date(fromMs - 1));
  while (next !== null && next.getTime() < toMs) {
    out.push(next.getTime());
    next = c.nextRun(next);
  }
  return out;
}

/** Every due slot of `jobs` in [fromMs, toMs), as `{ job, slot }` with the slot's ISO time. */
export function dueSlots(jobs: readonly CompanyJob[], fromMs: number, toMs: number): { job: string; slot: string }[] {
  return jobs.flatMap((j) => slotsIn(j.cron, fromMs, toMs).map((t) => ({ job: j.name, slot: new Date(t).toISOString() })));
}
