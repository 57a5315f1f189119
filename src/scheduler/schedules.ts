/**
 * `openSchedules(store)`: the schedules in a store, to read and to steer without running
 * anything: list them with their state and success rate, read their slots (missed ones with
 * their cause), pause, resume and trigger. The CLI (`warden schedules`) and the dashboard use
 * this; a running scheduler picks the changes up at its next tick (a triggered slot is started
 * by a scheduler that defines the schedule).
 */
import { realClock, type Clock, type EventBus } from '../runtime/index.ts';
import type { Store } from '../store/index.ts';
import { openLayerTables } from '../store/internal.ts';
import { ScheduleNotFoundError } from './errors.ts';
import { SCHEDULER_TABLES } from './migrations.ts';
import { ScheduleTable } from './schedule-table.ts';
import type { ScheduleInfo, SlotRecord, SlotStatus } from './types.ts';
import './events.ts';

export interface SchedulesOptions {
  /** @default the real clock */
  readonly clock?: Clock;
  /** Where `schedule.paused`, `schedule.resumed` and `schedule.triggered` go. @default none */
  readonly bus?: EventBus;
}

export interface SlotFilter {
  readonly scheduleId?: string;
  readonly status?: SlotStatus;
  /** Newest first, at most this many. @default 100 */
  readonly limit?: number;
}

/** Who did it and why, for the record. */
export interface ActorOptions {
  /** @default 'api' */
  readonly by?: string;
  readonly reason?: string;
}

/** The schedules in `store` (creates the scheduler's tables there if they are missing). */
export async function openSchedules(store: Store, options: SchedulesOptions = {}): Promise<Schedules> {
  return new Schedules(new ScheduleTable(await openLayerTables(store, SCHEDULER_TABLES)), options.clock ?? realClock, options.bus);
}

export class Schedules {
  private readonly table: ScheduleTable;
  private readonly clock: Clock;
  private readonly bus: EventBus | undefined;

  /** @internal Built by `openSchedules` (and a scheduler). */
  constructor(table: ScheduleTable, clock: Clock, bus: EventBus | undefined) {
    this.table = table;
    this.clock = clock;
    this.bus = bus;
  }

  /** Every schedule, by id. */
  list(): Promise<ScheduleInfo[]> {
    return this.table.list();
  }

  get(id: string): Promise<ScheduleInfo | undefined> {
    return this.table.get(id);
  }

  /** The schedule, or `ScheduleNotFoundError`. */
  async require(id: string): Promise<ScheduleInfo> {
    const info = await this.table.get(id);
    if (info === undefined) throw new ScheduleNotFoundError(id, this.table.location);
    return info;
  }

  /** Slots, newest first: pending, started, finished and missed (with `cause`). */
  slots(filter: SlotFilter = {}): Promise<SlotRecord[]> {
    return this.table.slots(filter);
  }

  /** Pause: slots that come due are recorded missed (`paused`) until it is resumed. Triggered slots still run. */
  async pause(id: string, options: ActorOptions = {}): Promise<ScheduleInfo> {
    const by = options.by ?? 'api';
    if (!(await this.table.setPaused(id, true, this.clock.now(), by, options.reason))) throw new ScheduleNotFoundError(id, this.table.location);
    this.bus?.emit({ type: 'schedule.paused', scheduleId: id, by, reason: options.reason });
    return this.require(id);
  }

  /**
   * Resume. Slots that came due while it was paused are missed (`paused`), also those no
   * scheduler was running to record then: they are not taken for downtime and caught up.
   */
  async resume(id: string, options: ActorOptions = {}): Promise<ScheduleInfo> {
    const by = options.by ?? 'api';
    if (!(await this.table.setPaused(id, false, this.clock.now(), by, undefined))) throw new ScheduleNotFoundError(id, this.table.location);
    this.bus?.emit({ type: 'schedule.resumed', scheduleId: id, by });
    return this.require(id);
  }

  /**
   * Ask for a slot now, outside the schedule (also while paused): a pending `manual` slot that a
   * scheduler defining the schedule starts at its next tick, under the overlap policy.
   */
  async trigger(id: string, options: ActorOptions = {}): Promise<SlotRecord> {
    await this.require(id);
    const slot = await this.table.addManualSlot(id, this.clock.now());
    this.bus?.emit({ type: 'schedule.triggered', scheduleId: id, slotAt: slot.slotAt, by: options.by ?? 'api' });
    return slot;
  }
}
