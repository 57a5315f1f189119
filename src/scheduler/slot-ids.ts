/**
 * A slot's durable run id, derived from the slot alone (schedule id, time, kind), so every
 * process that handles the slot starts the same run: the store creates a run id once, and a
 * second start of it returns the run that exists. This is what makes a slot run exactly once.
 */
import type { SlotKind } from './types.ts';

/** `schedule:<id>:<ISO time>` for a scheduled slot, `schedule:<id>:manual:<ISO time>` for a triggered one. */
export function slotRunId(scheduleId: string, slotAt: number, kind: SlotKind): string {
  const time = new Date(Math.floor(slotAt)).toISOString();
  return kind === 'scheduled' ? `schedule:${scheduleId}:${time}` : `schedule:${scheduleId}:manual:${time}`;
}
