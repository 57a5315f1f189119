/**
 * The scheduler's tables in a Warden store, applied by `openLayerTables` the first time a
 * scheduler (or `openSchedules`, or the CLI) opens on a store. Numbered from 1, append-only.
 *
 * Times are clock milliseconds in DOUBLE PRECISION columns (as the store's own), counters BIGINT.
 *
 * - `warden_schedules`: one row per schedule: its spec (JSON, as `defineSchedule` resolved it),
 *   the time of its next slot not yet handled (the cursor, NULL once it has ended), a revision
 *   bumped by every change (moving the cursor is a compare-and-set on it, so one process decides
 *   each slot), pause state and the outcome counters the success rate is computed from.
 * - `warden_schedule_slots`: one row per slot handled: pending (due at `due_at`), started (its
 *   run exists or is about to), finished (completed, failed, cancelled) or missed with its cause.
 *   The key (schedule, time, kind) makes a slot's row unique, and its run id is derived from it.
 */
import { defineLayerTables, type Migration } from '../store/internal.ts';

const v1: Migration = {
  version: 1,
  description: 'schedules and their slots',
  sql() {
    return [
      `CREATE TABLE warden_schedules (
        id TEXT PRIMARY KEY,
        run_name TEXT NOT NULL,
        spec TEXT NOT NULL,
        next_slot_at DOUBLE PRECISION,
        revision BIGINT NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0,
        paused_by TEXT,
        paused_reason TEXT,
        paused_at DOUBLE PRECISION,
        completed_count BIGINT NOT NULL DEFAULT 0,
        failed_count BIGINT NOT NULL DEFAULT 0,
        cancelled_count BIGINT NOT NULL DEFAULT 0,
        missed_count BIGINT NOT NULL DEFAULT 0,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
      )`,
      'CREATE INDEX warden_schedules_next ON warden_schedules (next_slot_at)',
      `CREATE TABLE warden_schedule_slots (
        schedule_id TEXT NOT NULL,
        slot_at DOUBLE PRECISION NOT NULL,
        kind TEXT NOT NULL,
        run_id TEXT NOT NULL,
        status TEXT NOT NULL,
        cause TEXT,
        due_at DOUBLE PRECISION NOT NULL,
        recorded_at DOUBLE PRECISION NOT NULL,
        started_at DOUBLE PRECISION,
        finished_at DOUBLE PRECISION,
        error TEXT,
        dead_letter_id TEXT,
        PRIMARY KEY (schedule_id, slot_at, kind)
      )`,
      'CREATE INDEX warden_schedule_slots_status ON warden_schedule_slots (status, due_at)',
      'CREATE INDEX warden_schedule_slots_recent ON warden_schedule_slots (schedule_id, recorded_at)',
    ];
  },
};

const v2: Migration = {
  version: 2,
  description: 'schedules: when they were last resumed',
  sql() {
    // With paused_at, the window of the last pause: slots in it that no scheduler recorded while
    // it lasted are missed because of the pause, not overdue from downtime.
    return ['ALTER TABLE warden_schedules ADD COLUMN resumed_at DOUBLE PRECISION'];
  },
};

/** The scheduler layer's tables: `warden_schedules`, `warden_schedule_slots`. */
export const SCHEDULER_TABLES = defineLayerTables({ layer: 'scheduler', migrations: [v1, v2] });
