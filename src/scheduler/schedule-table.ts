/**
 * The scheduler's SQL: schedules and slots in the layer's own tables (migrations.ts), the same
 * statements on SQLite and Postgres. Every change that decides something is a compare-and-set
 * inside one transaction, so processes sharing a store never decide a slot twice:
 * - moving a schedule's cursor (`applyPlans`) updates the row only at the revision that was read,
 *   and records the slots it decided in the same transaction;
 * - a slot goes pending → started, or started → finished, only from the status that was read,
 *   and its schedule's counter moves in the same transaction.
 * Rows become records, and ids become bounded IN lists, in schedule-rows.ts.
 */
import type { SqlAccess, SqlConn } from '../store/internal.ts';
import {
  CHUNK,
  type DueSchedule,
  INSERT_SLOT,
  type Row,
  SLOT_COLUMNS,
  chunksOf,
  dueOfRow,
  infoOfRow,
  marks,
  num,
  oldestFirst,
  optNum,
  slotOfRow,
  specText,
  timingChanged,
} from './schedule-rows.ts';
import type { SlotPlan } from './slot-plan.ts';
import { slotRunId } from './slot-ids.ts';
import { slotAtOrAfter } from './slot-times.ts';
import type { MissCause, Schedule, ScheduleInfo, SlotRecord, SlotStatus } from './types.ts';

export interface DecidedPlan {
  readonly due: DueSchedule;
  readonly plan: SlotPlan;
}

/** How a started slot ended. */
export type SlotEnd =
  | { readonly status: 'completed' }
  | { readonly status: 'failed'; readonly error: string; readonly deadLetterId?: string }
  | { readonly status: 'cancelled'; readonly error?: string };

const COUNTER: Record<'completed' | 'failed' | 'cancelled' | 'missed', string> = {
  completed: 'completed_count',
  failed: 'failed_count',
  cancelled: 'cancelled_count',
  missed: 'missed_count',
};

export class ScheduleTable {
  readonly sql: SqlAccess;

  constructor(sql: SqlAccess) {
    this.sql = sql;
  }

  get location(): string {
    return this.sql.location;
  }

  // ---- schedules

  /**
   * Write `schedules` as defined in code, at `now`: a new one starts at its first slot at or
   * after now; a changed one is updated (its cursor moved to now if its times changed); an equal
   * one is left alone (its cursor, pause and counters kept).
   */
  async upsert(schedules: readonly Schedule[], now: number): Promise<Map<string, 'created' | 'updated' | 'unchanged'>> {
    const changes = new Map<string, 'created' | 'updated' | 'unchanged'>();
    for (let i = 0; i < schedules.length; i += CHUNK) {
      const chunk = schedules.slice(i, i + CHUNK);
      await this.sql.transaction(async (c) => {
        const marks = chunk.map(() => '?').join(', ');
        const rows = await c.all(
          `SELECT id, spec FROM warden_schedules WHERE id IN (${marks})`,
          chunk.map((s) => s.id),
        );
        const existing = new Map(rows.map((r) => [String(r.id), String(r.spec)]));
        for (const s of chunk) {
          const text = specText(s);
          const old = existing.get(s.id);
          if (old === undefined) {
            await c.run(
              `INSERT INTO warden_schedules (id, run_name, spec, next_slot_at, revision, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)
               ON CONFLICT (id) DO NOTHING`,
              [s.id, s.runName, text, slotAtOrAfter(s, now) ?? null, now, now],
            );
            changes.set(s.id, 'created');
          } else if (old === text) {
            changes.set(s.id, 'unchanged');
          } else {
            const moved = timingChanged(JSON.parse(old) as Schedule, s);
            await c.run(
              `UPDATE warden_schedules SET run_name = ?, spec = ?, revision = revision + 1, updated_at = ?${moved ? ', next_slot_at = ?' : ''} WHERE id = ?`,
              moved ? [s.runName, text, now, slotAtOrAfter(s, now) ?? null, s.id] : [s.runName, text, now, s.id],
            );
            changes.set(s.id, 'updated');
          }
        }
      });
    }
    return changes;
  }

  async get(id: string): Promise<ScheduleInfo | undefined> {
    const rows = await this.sql.read('SELECT * FROM warden_schedules WHERE id = ?', [id]);
    return rows[0] === undefined ? undefined : infoOfRow(rows[0]);
  }

  async list(limit = 10_000): Promise<ScheduleInfo[]> {
    return (await this.sql.read('SELECT * FROM warden_schedules ORDER BY id LIMIT ?', [limit])).map(infoOfRow);
  }

  /**
   * Those of schedules `ids` whose next slot is due at `now`, oldest first. Only the given ids:
   * schedules of other programs sharing the store (or left behind) are not this caller's to
   * decide, and would crowd its own out of the `limit`.
   */
  async due(ids: readonly string[], now: number, limit: number): Promise<DueSchedule[]> {
    const rows: Row[] = [];
    for (const chunk of chunksOf(ids)) {
      rows.push(
        ...(await this.sql.read(
          `SELECT id, spec, next_slot_at, revision, paused, paused_at, resumed_at FROM warden_schedules
           WHERE next_slot_at <= ? AND id IN (${marks(chunk)}) ORDER BY next_slot_at LIMIT ?`,
          [now, ...chunk, limit],
        )),
      );
    }
    return oldestFirst(rows, 'next_slot_at', limit).map(dueOfRow);
  }

  /** Schedule `id` if its next slot is due at `now`. */
  async dueOne(id: string, now: number): Promise<DueSchedule | undefined> {
    const rows = await this.sql.read(
      'SELECT id, spec, next_slot_at, revision, paused, paused_at, resumed_at FROM warden_schedules WHERE id = ? AND next_slot_at <= ?',
      [id, now],
    );
    return rows[0] === undefined ? undefined : dueOfRow(rows[0]);
  }

  /** Which of `ids` are paused. */
  async pausedAmong(ids: readonly string[]): Promise<Set<string>> {
    const paused = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const rows = await this.sql.read(`SELECT id FROM warden_schedules WHERE paused = 1 AND id IN (${chunk.map(() => '?').join(', ')})`, chunk);
      for (const r of rows) paused.add(String(r.id));
    }
    return paused;
  }

  /**
   * Record the decided slots of each plan and move its schedule's cursor, if the schedule is still
   * at the revision that was read (another process may have decided them first). Returns the
   * plans that were applied here.
   */
  async applyPlans(plans: readonly DecidedPlan[], now: number): Promise<DecidedPlan[]> {
    const applied: DecidedPlan[] = [];
    for (let i = 0; i < plans.length; i += CHUNK) {
      const chunk = plans.slice(i, i + CHUNK);
      await this.sql.transaction(async (c) => {
        for (const p of chunk) {
          const missed = p.plan.slots.filter((s) => s.status === 'missed').length + p.plan.missedWithoutRow;
          const moved = await c.run(
            'UPDATE warden_schedules SET next_slot_at = ?, revision = revision + 1, missed_count = missed_count + ?, updated_at = ? WHERE id = ? AND revision = ?',
            [p.plan.nextSlotAt ?? null, missed, now, p.due.id, p.due.revision],
          );
          if (moved !== 1) continue;
          for (const s of p.plan.slots) {
            await c.run(INSERT_SLOT, [
              p.due.id,
              s.slotAt,
              'scheduled',
              slotRunId(p.due.id, s.slotAt, 'scheduled'),
              s.status,
              s.status === 'missed' ? s.cause : null,
              s.status === 'pending' ? s.dueAt : s.slotAt,
              now,
            ]);
          }
          applied.push(p);
        }
      });
    }
    return applied;
  }

  /**
   * Pause (true) or resume (false); false if there is no such schedule. Resuming keeps when the
   * pause began and records when it ended, so slots of that window are known to be missed by it.
   */
  async setPaused(id: string, paused: boolean, now: number, by: string, reason: string | undefined): Promise<boolean> {
    const changed = await this.sql.transaction((c) =>
      paused
        ? c.run(
            `UPDATE warden_schedules SET paused = 1, paused_by = ?, paused_reason = ?, revision = revision + 1, updated_at = ?,
               paused_at = CASE WHEN paused = 1 THEN paused_at ELSE ? END WHERE id = ?`,
            [by, reason ?? null, now, now, id],
          )
        : c.run(
            `UPDATE warden_schedules SET paused = 0, revision = revision + 1, updated_at = ?,
               resumed_at = CASE WHEN paused = 1 THEN ? ELSE resumed_at END WHERE id = ?`,
            [now, now, id],
          ),
    );
    return changed === 1;
  }

  /**
   * The earliest time anything of schedules `ids` is due: a next slot or a pending slot. Only
   * the given ids: an overdue schedule nobody here serves (another program's, or one no longer
   * defined) stays overdue, and counting it would wake the caller at once, pass after pass.
   */
  async nextDueAt(ids: readonly string[]): Promise<number | undefined> {
    let earliest: number | undefined;
    for (const chunk of chunksOf(ids)) {
      const rows = await this.sql.read(
        `SELECT MIN(t) AS t FROM (
          SELECT MIN(next_slot_at) AS t FROM warden_schedules WHERE id IN (${marks(chunk)})
          UNION ALL SELECT MIN(due_at) AS t FROM warden_schedule_slots WHERE status = 'pending' AND schedule_id IN (${marks(chunk)})
        ) due`,
        [...chunk, ...chunk],
      );
      const t = optNum(rows[0]?.t);
      if (t !== undefined && (earliest === undefined || t < earliest)) earliest = t;
    }
    return earliest;
  }

  // ---- slots

  /**
   * Add a manual slot at `now` (or the first free millisecond after it). It is due at once
   * (`dueAt` 0), whatever the clock of the scheduler that starts it says: the CLI that asked for
   * it may run on another machine, or the scheduler on a virtual clock.
   */
  async addManualSlot(scheduleId: string, now: number): Promise<SlotRecord> {
    return this.sql.transaction(async (c) => {
      for (let slotAt = Math.floor(now); ; slotAt++) {
        const runId = slotRunId(scheduleId, slotAt, 'manual');
        const added = await c.run(INSERT_SLOT, [scheduleId, slotAt, 'manual', runId, 'pending', null, 0, now]);
        if (added === 1) return { scheduleId, slotAt, kind: 'manual', runId, status: 'pending', dueAt: 0, recordedAt: now };
      }
    });
  }

  async slots(filter: { scheduleId?: string; status?: SlotStatus; limit?: number } = {}): Promise<SlotRecord[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (filter.scheduleId !== undefined) {
      clauses.push('schedule_id = ?');
      params.push(filter.scheduleId);
    }
    if (filter.status !== undefined) {
      clauses.push('status = ?');
      params.push(filter.status);
    }
    const where = clauses.length === 0 ? '' : ` WHERE ${clauses.join(' AND ')}`;
    const rows = await this.sql.read(`SELECT ${SLOT_COLUMNS} FROM warden_schedule_slots${where} ORDER BY slot_at DESC, kind LIMIT ?`, [
      ...params,
      filter.limit ?? 100,
    ]);
    return rows.map(slotOfRow);
  }

  /** Of schedules `ids`: pending slots due at `now`, and every started slot (oldest first). */
  async live(ids: readonly string[], now: number, limit: number): Promise<{ pending: SlotRecord[]; started: SlotRecord[] }> {
    const pending: Row[] = [];
    const started: Row[] = [];
    for (const chunk of chunksOf(ids)) {
      pending.push(
        ...(await this.sql.read(
          `SELECT ${SLOT_COLUMNS} FROM warden_schedule_slots WHERE status = 'pending' AND due_at <= ? AND schedule_id IN (${marks(chunk)})
           ORDER BY due_at, slot_at LIMIT ?`,
          [now, ...chunk, limit],
        )),
      );
      started.push(
        ...(await this.sql.read(
          `SELECT ${SLOT_COLUMNS} FROM warden_schedule_slots WHERE status = 'started' AND schedule_id IN (${marks(chunk)}) ORDER BY slot_at LIMIT ?`,
          [...chunk, limit],
        )),
      );
    }
    return {
      pending: oldestFirst(pending, 'due_at', limit, 'slot_at').map(slotOfRow),
      started: oldestFirst(started, 'slot_at', limit).map(slotOfRow),
    };
  }

  /** How many slots of a schedule are pending. */
  async pendingCount(scheduleId: string): Promise<number> {
    const rows = await this.sql.read("SELECT COUNT(*) AS n FROM warden_schedule_slots WHERE schedule_id = ? AND status = 'pending'", [scheduleId]);
    return num(rows[0]?.n ?? 0);
  }

  /** pending → started; false if another process moved it first. */
  async markStarted(slot: SlotRecord, now: number): Promise<boolean> {
    const changed = await this.sql.transaction((c) =>
      c.run("UPDATE warden_schedule_slots SET status = 'started', started_at = ? WHERE schedule_id = ? AND slot_at = ? AND kind = ? AND status = 'pending'", [
        now,
        slot.scheduleId,
        slot.slotAt,
        slot.kind,
      ]),
    );
    return changed === 1;
  }

  /**
   * Take over the start of a slot marked started at `startedAt` whose run was never created (its
   * starter died in between): started_at moves to `now` if it is still `startedAt`, so only one
   * process starts the run again. False if another process took it first.
   */
  async retakeStart(slot: SlotRecord, startedAt: number, now: number): Promise<boolean> {
    const changed = await this.sql.transaction((c) =>
      c.run("UPDATE warden_schedule_slots SET started_at = ? WHERE schedule_id = ? AND slot_at = ? AND kind = ? AND status = 'started' AND started_at = ?", [
        now,
        slot.scheduleId,
        slot.slotAt,
        slot.kind,
        startedAt,
      ]),
    );
    return changed === 1;
  }

  /** pending → started for each slot, in one transaction per 500; returns the slots moved here (not by another process first). */
  async markStartedMany(slots: readonly SlotRecord[], now: number): Promise<SlotRecord[]> {
    const won: SlotRecord[] = [];
    for (let i = 0; i < slots.length; i += CHUNK) {
      const chunk = slots.slice(i, i + CHUNK);
      await this.sql.transaction(async (c) => {
        for (const slot of chunk) {
          const changed = await c.run(
            "UPDATE warden_schedule_slots SET status = 'started', started_at = ? WHERE schedule_id = ? AND slot_at = ? AND kind = ? AND status = 'pending'",
            [now, slot.scheduleId, slot.slotAt, slot.kind],
          );
          if (changed === 1) won.push({ ...slot, status: 'started', startedAt: now });
        }
      });
    }
    return won;
  }

  /** pending → missed with its cause for each, counted on its schedule, in one transaction per 500; returns those moved here. */
  async markMissedMany(items: readonly { slot: SlotRecord; cause: MissCause }[], now: number): Promise<{ slot: SlotRecord; cause: MissCause }[]> {
    const done: { slot: SlotRecord; cause: MissCause }[] = [];
    for (let i = 0; i < items.length; i += CHUNK) {
      const chunk = items.slice(i, i + CHUNK);
      await this.sql.transaction(async (c) => {
        for (const item of chunk) {
          const { slot, cause } = item;
          const changed = await c.run(
            "UPDATE warden_schedule_slots SET status = 'missed', cause = ?, finished_at = ? WHERE schedule_id = ? AND slot_at = ? AND kind = ? AND status = 'pending'",
            [cause, now, slot.scheduleId, slot.slotAt, slot.kind],
          );
          if (changed !== 1) continue;
          await bumpCounter(c, slot.scheduleId, 'missed', now);
          done.push(item);
        }
      });
    }
    return done;
  }

  /** pending → missed with `cause`; false if another process moved it first. */
  async markMissed(slot: SlotRecord, cause: MissCause, now: number): Promise<boolean> {
    return this.sql.transaction(async (c) => {
      const changed = await c.run(
        "UPDATE warden_schedule_slots SET status = 'missed', cause = ?, finished_at = ? WHERE schedule_id = ? AND slot_at = ? AND kind = ? AND status = 'pending'",
        [cause, now, slot.scheduleId, slot.slotAt, slot.kind],
      );
      if (changed === 1) await bumpCounter(c, slot.scheduleId, 'missed', now);
      return changed === 1;
    });
  }

  /** started → how each ended, in one transaction per 500; for each, whether it was recorded here (false: already recorded). */
  async markEndedMany(items: readonly { slot: SlotRecord; end: SlotEnd }[], now: number): Promise<boolean[]> {
    const out: boolean[] = [];
    for (let i = 0; i < items.length; i += CHUNK) {
      const chunk = items.slice(i, i + CHUNK);
      await this.sql.transaction(async (c) => {
        for (const { slot, end } of chunk) {
          const error = end.status === 'completed' ? null : (end.error ?? null);
          const deadLetterId = end.status === 'failed' ? (end.deadLetterId ?? null) : null;
          const changed = await c.run(
            "UPDATE warden_schedule_slots SET status = ?, error = ?, dead_letter_id = ?, finished_at = ? WHERE schedule_id = ? AND slot_at = ? AND kind = ? AND status = 'started'",
            [end.status, error, deadLetterId, now, slot.scheduleId, slot.slotAt, slot.kind],
          );
          if (changed === 1) await bumpCounter(c, slot.scheduleId, end.status, now);
          out.push(changed === 1);
        }
      });
    }
    return out;
  }

  /** started → how it ended; false if it was already recorded (by another process). */
  async markEnded(slot: SlotRecord, end: SlotEnd, now: number): Promise<boolean> {
    return this.sql.transaction(async (c) => {
      const error = end.status === 'completed' ? null : (end.error ?? null);
      const deadLetterId = end.status === 'failed' ? (end.deadLetterId ?? null) : null;
      const changed = await c.run(
        "UPDATE warden_schedule_slots SET status = ?, error = ?, dead_letter_id = ?, finished_at = ? WHERE schedule_id = ? AND slot_at = ? AND kind = ? AND status = 'started'",
        [end.status, error, deadLetterId, now, slot.scheduleId, slot.slotAt, slot.kind],
      );
      if (changed === 1) await bumpCounter(c, slot.scheduleId, end.status, now);
      return changed === 1;
    });
  }
}

async function bumpCounter(c: SqlConn, scheduleId: string, outcome: keyof typeof COUNTER, now: number): Promise<void> {
  const column = COUNTER[outcome];
  await c.run(`UPDATE warden_schedules SET ${column} = ${column} + 1, updated_at = ? WHERE id = ?`, [now, scheduleId]);
}
