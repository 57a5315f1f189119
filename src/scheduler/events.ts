/**
 * The scheduler's events, on the one stream. Each is emitted after the change it reports is
 * committed to the store: `schedule.slot_due` once the slot is recorded (so a crash after it
 * loses nothing), `schedule.slot_started` once the slot's durable run exists.
 */
import type { MissCause, SlotKind } from './types.ts';

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** A schedule was defined in the store: new, changed (`updated`), or already as given (`unchanged`). */
    'schedule.defined': { readonly scheduleId: string; readonly change: 'created' | 'updated' | 'unchanged' };
    /** A slot came due and was recorded to run at `dueAt` (its time plus any jitter). */
    'schedule.slot_due': { readonly scheduleId: string; readonly slotAt: number; readonly kind: SlotKind; readonly dueAt: number; readonly runId: string };
    /** The slot's durable run was started, `lateMs` after the slot's time. */
    'schedule.slot_started': { readonly scheduleId: string; readonly slotAt: number; readonly kind: SlotKind; readonly runId: string; readonly lateMs: number };
    'schedule.slot_completed': { readonly scheduleId: string; readonly slotAt: number; readonly kind: SlotKind; readonly runId: string };
    /** The slot's run failed (after any retries inside it); `deadLetterId` when it went to the dead-letter queue. */
    'schedule.slot_failed': {
      readonly scheduleId: string;
      readonly slotAt: number;
      readonly kind: SlotKind;
      readonly runId: string;
      readonly error: string;
      readonly deadLetterId: string | undefined;
    };
    /** The slot's run was cancelled (by `cancel_previous`, or by hand). */
    'schedule.slot_cancelled': { readonly scheduleId: string; readonly slotAt: number; readonly kind: SlotKind; readonly runId: string };
    /** A slot did not run, and why. */
    'schedule.slot_missed': { readonly scheduleId: string; readonly slotAt: number; readonly kind: SlotKind; readonly cause: MissCause };
    /**
     * Slots were found overdue (the scheduler was down): `late` of them, of which `run` will run
     * and `missed` were missed by the catch-up policy (only the latest 100 are recorded one by one).
     */
    'schedule.caught_up': { readonly scheduleId: string; readonly late: number; readonly run: number; readonly missed: number };
    'schedule.paused': { readonly scheduleId: string; readonly by: string; readonly reason: string | undefined };
    'schedule.resumed': { readonly scheduleId: string; readonly by: string };
    /** A slot was asked for now, outside the schedule (`warden schedules trigger`, `scheduler.trigger`). */
    'schedule.triggered': { readonly scheduleId: string; readonly slotAt: number; readonly by: string };
    /** The schedule has no more slots (a one-off ran, or its end date passed). */
    'schedule.ended': { readonly scheduleId: string };
    /** A scheduler pass failed (the store was unreachable, ...); it is tried again at the next tick. */
    'schedule.tick_failed': { readonly error: unknown };
  }
}
