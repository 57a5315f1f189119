/**
 * The scheduler's data: a schedule's timing and policies as `defineSchedule` resolves them, the
 * slots it produces, what a slot's run receives, and what the read functions return.
 */
import type { Json } from '../store/index.ts';

/** When a schedule fires: a cron expression in a time zone, a fixed interval, or once. */
export type Timing =
  | { readonly kind: 'cron'; readonly cron: string; readonly timeZone: string }
  /** Slots at `anchorMs + k * everyMs` (every process computes the same times). */
  | { readonly kind: 'every'; readonly everyMs: number; readonly anchorMs: number }
  | { readonly kind: 'once'; readonly at: number };

/** What happens to slots that came due while no scheduler ran (later than `graceMs`). */
export type CatchUpPolicy = 'skip' | 'latest' | 'all';
/** What a slot does when the schedule's previous slot is still running. */
export type OverlapPolicy = 'skip' | 'queue' | 'cancel_previous' | 'allow';

export const CATCH_UP_POLICIES: readonly CatchUpPolicy[] = ['skip', 'latest', 'all'];
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['skip', 'queue', 'cancel_previous', 'allow'];

/** A schedule as `defineSchedule` resolved it: every default applied, frozen. */
export interface Schedule {
  readonly id: string;
  /** The durable run definition each slot starts. */
  readonly runName: string;
  readonly timing: Timing;
  /** Handed to each slot's run as `input` (JSON). */
  readonly input: Json;
  readonly catchUp: CatchUpPolicy;
  readonly catchUpLimit: number;
  readonly graceMs: number;
  readonly overlap: OverlapPolicy;
  readonly queueLimit: number;
  readonly jitterMs: number;
  readonly startAt: number | undefined;
  readonly endAt: number | undefined;
  readonly description: string | undefined;
}

/** `scheduled`: a slot of the schedule's timing; `manual`: asked for by `trigger`. */
export type SlotKind = 'scheduled' | 'manual';

/** Where a slot is: waiting to start, running, finished, or missed (with its cause). */
export type SlotStatus = 'pending' | 'started' | 'completed' | 'failed' | 'cancelled' | 'missed';
export const SLOT_STATUSES: readonly SlotStatus[] = ['pending', 'started', 'completed', 'failed', 'cancelled', 'missed'];

/**
 * Why a slot did not run:
 * - `paused`: the schedule was paused when it came due;
 * - `downtime`: it came due while no scheduler ran and the catch-up policy (`skip`, `latest`) skipped it;
 * - `catch_up_limit`: as `downtime`, under `all`, beyond `catchUpLimit`;
 * - `overlap`: the previous slot was still running (overlap `skip`);
 * - `queue_full`: overlap `queue` already held `queueLimit` slots.
 */
export type MissCause = 'paused' | 'downtime' | 'catch_up_limit' | 'overlap' | 'queue_full';
export const MISS_CAUSES: readonly MissCause[] = ['paused', 'downtime', 'catch_up_limit', 'overlap', 'queue_full'];

/** What a slot's durable run receives as its input. */
export interface SlotInput<I = Json> {
  readonly scheduleId: string;
  /** The slot's scheduled time (clock ms); with the id and kind, the slot's identity. */
  readonly slotAt: number;
  /** The same time as an ISO string. */
  readonly slotTime: string;
  readonly kind: SlotKind;
  /** The schedule's `input`. */
  readonly input: I;
}

/** One slot as the store records it. */
export interface SlotRecord {
  readonly scheduleId: string;
  readonly slotAt: number;
  readonly kind: SlotKind;
  /** The durable run's id, derived from the slot (see `slotRunId`). */
  readonly runId: string;
  readonly status: SlotStatus;
  /** Why it was missed (status `missed`). */
  readonly cause?: MissCause;
  /** When it may start: its time plus jitter (0 for a manual slot: at once). */
  readonly dueAt: number;
  readonly recordedAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** The run's error message (status `failed`), or who cancelled it (`cancelled`). */
  readonly error?: string;
  /** The dead letter the failed run went to, when known. */
  readonly deadLetterId?: string;
}

/** Slot outcomes since the schedule was first defined. */
export interface SlotCounts {
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly missed: number;
}

/** A schedule in the store, with its state. */
export interface ScheduleInfo {
  readonly id: string;
  readonly runName: string;
  readonly schedule: Schedule;
  readonly paused: boolean;
  readonly pausedBy?: string;
  readonly pausedReason?: string;
  readonly pausedAt?: number;
  /** The next slot not yet handled; undefined once the schedule has ended. */
  readonly nextSlotAt: number | undefined;
  readonly counts: SlotCounts;
  /** completed / (completed + failed + cancelled + missed); undefined before any slot ended. */
  readonly successRate: number | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
}
