/**
 * How the scheduler's rows map to records, and the SQL pieces its table shares: reading a
 * schedule row as `ScheduleInfo` or as a `DueSchedule` for the tick, a slot row as `SlotRecord`,
 * the slot columns and insert statement, and splitting id lists into IN lists of bounded size
 * (both databases limit the parameters of one statement). Kept apart from schedule-table.ts so
 * that file holds only the statements that read and decide schedules and slots.
 */
import type { Schedule, ScheduleInfo, SlotKind, SlotRecord, SlotStatus } from './types.ts';

/** A row as either database driver returns it. */
export type Row = Record<string, unknown>;
export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
export const optNum = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : num(v));
export const optText = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

/** A due schedule as the tick reads it. */
export interface DueSchedule {
  readonly id: string;
  readonly schedule: Schedule;
  readonly nextSlotAt: number;
  readonly revision: number;
  readonly paused: boolean;
  /** The last pause, from `pausedAt` until `resumedAt` (absent while paused or never paused). */
  readonly lastPause: { readonly from: number; readonly until: number } | undefined;
}

export const SLOT_COLUMNS = 'schedule_id, slot_at, kind, run_id, status, cause, due_at, recorded_at, started_at, finished_at, error, dead_letter_id';
export const INSERT_SLOT = `INSERT INTO warden_schedule_slots (schedule_id, slot_at, kind, run_id, status, cause, due_at, recorded_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (schedule_id, slot_at, kind) DO NOTHING`;

/** A slot row as a `SlotRecord` (optional columns left out when NULL). */
export function slotOfRow(r: Row): SlotRecord {
  const out: Record<string, unknown> = {
    scheduleId: String(r.schedule_id),
    slotAt: num(r.slot_at),
    kind: String(r.kind) as SlotKind,
    runId: String(r.run_id),
    status: String(r.status) as SlotStatus,
    dueAt: num(r.due_at),
    recordedAt: num(r.recorded_at),
  };
  const optional: [string, unknown][] = [
    ['cause', optText(r.cause)],
    ['startedAt', optNum(r.started_at)],
    ['finishedAt', optNum(r.finished_at)],
    ['error', optText(r.error)],
    ['deadLetterId', optText(r.dead_letter_id)],
  ];
  for (const [k, v] of optional) if (v !== undefined) out[k] = v;
  return out as unknown as SlotRecord;
}

/** A schedule row as `ScheduleInfo`, with its counts and success rate. */
export function infoOfRow(r: Row): ScheduleInfo {
  const counts = { completed: num(r.completed_count), failed: num(r.failed_count), cancelled: num(r.cancelled_count), missed: num(r.missed_count) };
  const ended = counts.completed + counts.failed + counts.cancelled + counts.missed;
  const schedule = JSON.parse(String(r.spec)) as Schedule;
  const out: Record<string, unknown> = {
    id: String(r.id),
    runName: String(r.run_name),
    schedule,
    paused: num(r.paused) === 1,
    nextSlotAt: optNum(r.next_slot_at),
    counts,
    successRate: ended === 0 ? undefined : counts.completed / ended,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
  const optional: [string, unknown][] =
    num(r.paused) === 1
      ? [
          ['pausedBy', optText(r.paused_by)],
          ['pausedReason', optText(r.paused_reason)],
          ['pausedAt', optNum(r.paused_at)],
        ]
      : [];
  for (const [k, v] of optional) if (v !== undefined) out[k] = v;
  return out as unknown as ScheduleInfo;
}

/** A schedule row as the tick reads it to decide its due slots. */
export function dueOfRow(r: Row): DueSchedule {
  return {
    id: String(r.id),
    schedule: JSON.parse(String(r.spec)) as Schedule,
    nextSlotAt: num(r.next_slot_at),
    revision: num(r.revision),
    paused: num(r.paused) === 1,
    lastPause:
      num(r.paused) !== 1 && r.paused_at !== null && r.paused_at !== undefined && r.resumed_at !== null && r.resumed_at !== undefined
        ? { from: num(r.paused_at), until: num(r.resumed_at) }
        : undefined,
  };
}

/** The spec as stored: JSON with `undefined` fields left out, so equal specs compare equal as text. */
export function specText(schedule: Schedule): string {
  return JSON.stringify(schedule);
}

/** Whether two specs produce different slot times (a change of policy alone keeps the cursor). */
export function timingChanged(a: Schedule, b: Schedule): boolean {
  return JSON.stringify([a.timing, a.startAt, a.endAt]) !== JSON.stringify([b.timing, b.startAt, b.endAt]);
}

export const CHUNK = 500;

/** `ids` in lists of at most CHUNK (one IN list each, well under either database's limit on parameters). */
export function chunksOf(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(ids.slice(i, i + CHUNK));
  return out;
}

export const marks = (chunk: readonly unknown[]): string => chunk.map(() => '?').join(', ');

/** Rows read chunk by chunk, merged: the `limit` smallest by `key` (then `tie`). */
export function oldestFirst(rows: Row[], key: string, limit: number, tie?: string): Row[] {
  if (rows.length <= 1) return rows;
  return rows.sort((a, b) => num(a[key]) - num(b[key]) || (tie === undefined ? 0 : num(a[tie]) - num(b[tie]))).slice(0, limit);
}
