/**
 * What to do with the slots of one schedule that came due: a pure function of the schedule, its
 * cursor (the first slot not yet handled), the time and whether it is paused.
 *
 * - Every slot from the cursor up to now is due. One whose time is within `graceMs` of now is
 *   on time and runs (it becomes a pending slot, due at its time plus jitter).
 * - Older slots are overdue (no scheduler ran when they came due), and the catch-up policy
 *   decides: `skip` misses them all (`downtime`); `latest` runs the newest one unless an on-time
 *   slot runs anyway, and misses the rest; `all` runs the newest `catchUpLimit` of them and
 *   misses the older ones (`catch_up_limit`).
 * - While the schedule is paused every due slot is missed (`paused`), and so is a slot that came
 *   due during its last pause (`lastPause`) when no scheduler ran to record it then.
 *
 * Bounded: at most `MAX_SLOTS_PER_PASS` slots are walked per pass (after that the cursor jumps to
 * the first slot within the grace period, and the skipped ones are not counted), and of the
 * missed slots only the newest `MAX_MISSED_ROWS` get a row each; all of them are counted.
 */
import type { Random } from '../runtime/index.ts';
import { slotAtOrAfter } from './slot-times.ts';
import type { MissCause, Schedule } from './types.ts';

export const MAX_SLOTS_PER_PASS = 10_000;
export const MAX_MISSED_ROWS = 100;

export type PlannedSlot =
  | { readonly slotAt: number; readonly status: 'pending'; readonly dueAt: number }
  | { readonly slotAt: number; readonly status: 'missed'; readonly cause: MissCause };

export interface SlotPlan {
  /** The slots to record, oldest first. */
  readonly slots: readonly PlannedSlot[];
  /** Missed slots counted but given no row of their own. */
  readonly missedWithoutRow: number;
  /** The new cursor; undefined when the schedule has no more slots. */
  readonly nextSlotAt: number | undefined;
  /** How many due slots were overdue, and how many of those run. */
  readonly overdue: number;
  readonly overdueRun: number;
}

export function planDueSlots(
  schedule: Schedule,
  cursor: number,
  now: number,
  paused: boolean,
  random: Random,
  lastPause?: { readonly from: number; readonly until: number },
): SlotPlan {
  const due: number[] = [];
  let next: number | undefined = cursor;
  while (next !== undefined && next <= now && due.length < MAX_SLOTS_PER_PASS) {
    due.push(next);
    next = slotAtOrAfter(schedule, next + 1);
  }
  const lateBefore = now - schedule.graceMs;
  if (next !== undefined && next <= now) next = slotAtOrAfter(schedule, Math.max(next, lateBefore)); // too many: jump
  const inPause = (t: number): boolean => lastPause !== undefined && t >= lastPause.from && t < lastPause.until;
  const overdue = due.filter((t) => t < lateBefore && !inPause(t));
  const onTime = due.filter((t) => t >= lateBefore && !inPause(t));
  const decided: PlannedSlot[] = [];
  const run = (slotAt: number): PlannedSlot => ({
    slotAt,
    status: 'pending',
    dueAt: slotAt + (schedule.jitterMs > 0 ? Math.floor(random() * schedule.jitterMs) : 0),
  });
  let overdueRun = 0;
  if (paused) {
    for (const t of due) decided.push({ slotAt: t, status: 'missed', cause: 'paused' });
  } else {
    for (const t of due) if (inPause(t)) decided.push({ slotAt: t, status: 'missed', cause: 'paused' });
    let runOverdue: number;
    switch (schedule.catchUp) {
      case 'skip':
        runOverdue = 0;
        break;
      case 'latest':
        runOverdue = onTime.length > 0 ? 0 : Math.min(1, overdue.length);
        break;
      case 'all':
        runOverdue = Math.min(schedule.catchUpLimit, overdue.length);
        break;
    }
    const cause: MissCause = schedule.catchUp === 'all' ? 'catch_up_limit' : 'downtime';
    overdue.forEach((t, i) => {
      decided.push(i >= overdue.length - runOverdue ? run(t) : { slotAt: t, status: 'missed', cause });
    });
    overdueRun = runOverdue;
    for (const t of onTime) decided.push(run(t));
    decided.sort((a, b) => a.slotAt - b.slotAt);
  }
  // Keep a row for every slot that runs and for the newest MAX_MISSED_ROWS missed ones.
  const missed = decided.filter((s) => s.status === 'missed').length;
  let dropMissed = Math.max(0, missed - MAX_MISSED_ROWS);
  const missedWithoutRow = dropMissed;
  const slots = decided.filter((s) => {
    if (s.status !== 'missed' || dropMissed === 0) return true;
    dropMissed--;
    return false;
  });
  return { slots, missedWithoutRow, nextSlotAt: next, overdue: overdue.length, overdueRun };
}
