/**
 * The scheduler: turns due slots into durable runs, exactly once per slot, across restarts,
 * `kill -9` at any moment and any number of processes on one store.
 *
 * Each pass (`tick()`, every `pollMs` or at the next due time under `serve()`):
 * 1. **Decide** the due slots of each schedule this scheduler defines (slot-plan.ts: catch-up
 *    and pause), recording them and moving the schedule's cursor in one compare-and-set
 *    transaction, so exactly one process decides each slot.
 * 2. **Reconcile** started slots: a slot whose run finished is recorded with its outcome (the
 *    process that started it may be gone); a slot marked started whose run was not created
 *    within the host's `leaseMs` (its starter crashed in between) has its run started, under the
 *    same id, by the one process that wins a compare-and-set on the slot.
 * 3. **Start** pending slots that are due (their time plus jitter), applying the overlap policy;
 *    pending → started is a compare-and-set, then the run is started with the slot's id. A
 *    second start of that id, by anyone, returns the existing run: one run per slot.
 * Runs left running by a crashed process are resumed by the durable host (`host.serve()` or
 * `host.recover()`), from their journal, like any durable run.
 *
 * All time is read from the injected clock and all jitter from the injected `random`, so a
 * scheduler runs a week of schedules on a `VirtualClock` in milliseconds.
 */
import type { DurableHost, RunHandle, RunOutcome } from '../durable/index.ts';
import { InvalidSpecError, disposable, systemRandom, type Clock, type Disposable, type EventBus, type Random, type Timer } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import { openLayerTables } from '../store/internal.ts';
import { z } from 'zod';
import { SchedulerClosedError } from './errors.ts';
import { SCHEDULER_TABLES } from './migrations.ts';
import { planDueSlots } from './slot-plan.ts';
import { slotRunId as slotRunIdOf } from './slot-ids.ts';
import { runDefinitionOf } from './schedule-spec.ts';
import { ScheduleTable, type DecidedPlan, type SlotEnd } from './schedule-table.ts';
import { SlotEndBatcher } from './slot-end-batcher.ts';
import { Schedules, type ActorOptions } from './schedules.ts';
import type { MissCause, Schedule, ScheduleInfo, SlotInput, SlotRecord } from './types.ts';
import './events.ts';

export interface SchedulerTunables {
  /** Look at the store at least this often (other processes' triggers, pauses, finished runs), ms. @default 1_000 */
  readonly pollMs: number;
  /** Most schedules and slots handled per pass; the rest wait for the next. @default 1_000 */
  readonly batchSize: number;
}

export const SCHEDULER_DEFAULTS: SchedulerTunables = Object.freeze({ pollMs: 1_000, batchSize: 1_000 });

export interface SchedulerOptions extends Partial<SchedulerTunables> {
  /** The durable host that starts and runs each slot's run (serve it, so crashed runs are resumed). */
  readonly host: DurableHost;
  /** Schedules to define in the store when the scheduler opens (`defineSchedule` results). @default [] */
  readonly schedules?: readonly Schedule[];
  /** @default the host's clock */
  readonly clock?: Clock;
  readonly bus?: EventBus;
  /** Draws each slot's jitter. @default Math.random */
  readonly random?: Random;
}

const optionsSchema = z.strictObject({
  host: z.custom<DurableHost>((v) => typeof v === 'object' && v !== null && typeof (v as DurableHost).start === 'function', {
    message: 'must be a DurableHost',
  }),
  schedules: z
    .array(
      z.custom<Schedule>((v) => typeof v === 'object' && v !== null && typeof (v as Schedule).runName === 'string', {
        message: 'must be a defineSchedule(...) result',
      }),
    )
    .optional(),
  clock: z.custom<Clock>((v) => typeof v === 'object' && v !== null && typeof (v as Clock).now === 'function', { message: 'must be a Clock' }).optional(),
  bus: z
    .custom<EventBus>((v) => typeof v === 'object' && v !== null && typeof (v as EventBus).emit === 'function', { message: 'must be an EventBus' })
    .optional(),
  random: z.custom<Random>((v) => typeof v === 'function', { message: 'must be a function returning a number in [0, 1)' }).optional(),
  pollMs: z.number().int().min(1).optional(),
  batchSize: z.number().int().min(1).optional(),
});

/** What one pass did. */
export interface TickSummary {
  /** Slots recorded as due (to run) and as missed. */
  readonly due: number;
  readonly missed: number;
  /** Runs started for slots. */
  readonly started: number;
  /** Started slots recorded as completed, failed or cancelled. */
  readonly ended: number;
}

/**
 * Open a scheduler on the host's store: create the scheduler's tables if needed and define
 * `schedules` there (idempotent: an equal schedule is left as it is, a changed one updated).
 * Call `serve()` to start firing, or `tick()` to make one pass.
 *
 * @example
 * ```ts
 * const scheduler = await openScheduler({ host, schedules: [nightly], bus: rt.events });
 * scheduler.serve();
 * ```
 */
export async function openScheduler(options: SchedulerOptions): Promise<Scheduler> {
  const o = parseWith('scheduler', optionsSchema, options);
  const host = options.host;
  const clock = options.clock ?? host.clock;
  const table = new ScheduleTable(await openLayerTables(host.store, SCHEDULER_TABLES));
  const scheduler = new Scheduler(table, {
    host,
    clock,
    bus: options.bus,
    random: options.random ?? systemRandom,
    config: Object.freeze({ pollMs: o.pollMs ?? SCHEDULER_DEFAULTS.pollMs, batchSize: o.batchSize ?? SCHEDULER_DEFAULTS.batchSize }),
  });
  if (options.schedules !== undefined && options.schedules.length > 0) await scheduler.define(options.schedules);
  return scheduler;
}

interface SchedulerParts {
  readonly host: DurableHost;
  readonly clock: Clock;
  readonly bus: EventBus | undefined;
  readonly random: Random;
  readonly config: Readonly<SchedulerTunables>;
}

export class Scheduler {
  /** Read and steer the schedules in the store (list, slots, pause, resume, trigger). */
  readonly schedules: Schedules;
  readonly config: Readonly<SchedulerTunables>;
  private readonly table: ScheduleTable;
  private readonly host: DurableHost;
  private readonly clock: Clock;
  private readonly bus: EventBus | undefined;
  private readonly random: Random;
  /** The schedules this scheduler defined: it handles only these. */
  private readonly known = new Map<string, Schedule>();
  /** Slot runs executing in this process, by run id. */
  private readonly running = new Map<string, Promise<void>>();
  private timer: Timer | undefined;
  private serving = false;
  private closed = false;
  private pass: Promise<TickSummary> | undefined;
  /** Slot outcomes recorded together: those that arrive while one batch is written share the next. */
  private readonly ends: SlotEndBatcher;

  /** @internal Built by `openScheduler`. */
  constructor(table: ScheduleTable, parts: SchedulerParts) {
    this.table = table;
    this.host = parts.host;
    this.clock = parts.clock;
    this.bus = parts.bus;
    this.random = parts.random;
    this.config = parts.config;
    this.schedules = new Schedules(table, parts.clock, parts.bus);
    this.ends = new SlotEndBatcher((batch) => table.markEndedMany(batch, parts.clock.now()));
  }

  /** Ids of the schedules this scheduler handles. */
  get scheduleIds(): readonly string[] {
    return [...this.known.keys()];
  }

  /**
   * Define schedules in the store and handle them here. A schedule given a `defineRun` result
   * has it registered on the host if it is not; one given a run's name needs it registered
   * already (`InvalidSpecError` naming `run` otherwise). Resolves with what changed per id.
   */
  async define(schedules: Schedule | readonly Schedule[]): Promise<ReadonlyMap<string, 'created' | 'updated' | 'unchanged'>> {
    const list: readonly Schedule[] = Array.isArray(schedules) ? schedules : [schedules as Schedule];
    const seen = new Set<string>();
    for (const s of list) {
      if (seen.has(s.id)) throw new InvalidSpecError('scheduler', 'schedules', s.id, `defines schedule "${s.id}" twice`);
      seen.add(s.id);
      if (!this.host.runNames.includes(s.runName)) {
        const def = runDefinitionOf(s);
        if (def === undefined) {
          throw new InvalidSpecError(
            `schedule "${s.id}"`,
            'run',
            s.runName,
            'is not registered on the durable host (pass the defineRun result, or register it)',
          );
        }
        this.host.register(def);
      }
    }
    const changes = await this.table.upsert(list, this.clock.now());
    for (const s of list) {
      this.known.set(s.id, s);
      const change = changes.get(s.id) ?? 'unchanged';
      if (this.bus?.wants('schedule.defined')) this.bus.emit({ type: 'schedule.defined', scheduleId: s.id, change });
    }
    this.rearm(0);
    return changes;
  }

  /** Pause a schedule (see `Schedules.pause`). */
  pause(id: string, options: ActorOptions = {}): Promise<ScheduleInfo> {
    return this.schedules.pause(id, options);
  }

  /** Resume a schedule (see `Schedules.resume`). */
  resume(id: string, options: ActorOptions = {}): Promise<ScheduleInfo> {
    return this.schedules.resume(id, options);
  }

  /** Run a slot of the schedule now (see `Schedules.trigger`); this scheduler starts it at once if it defines the schedule. */
  async trigger(id: string, options: ActorOptions = {}): Promise<SlotRecord> {
    const slot = await this.schedules.trigger(id, options);
    this.rearm(0);
    return slot;
  }

  /** Fire slots as they come due, until `close()` or the returned handle is disposed. */
  serve(): Disposable {
    this.assertOpen();
    this.serving = true;
    this.rearm(0);
    return disposable(() => {
      this.serving = false;
      this.timer?.cancel();
      this.timer = undefined;
    });
  }

  /** One pass (see the module doc). Passes never overlap: a call during one waits for it and makes the next. */
  async tick(): Promise<TickSummary> {
    this.assertOpen();
    while (this.pass !== undefined) await this.pass.catch(() => undefined);
    const pass = this.runPass();
    this.pass = pass;
    try {
      return await pass;
    } finally {
      if (this.pass === pass) this.pass = undefined;
    }
  }

  /** Slot runs executing in this process have all ended (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /**
   * Stop: no more passes. Slot runs executing here are stopped by the host when it closes; the
   * host and the store are not closed (they are the caller's).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.serving = false;
    this.timer?.cancel();
    await this.pass?.catch(() => undefined);
  }

  // ---- the pass

  private async runPass(): Promise<TickSummary> {
    const now = this.clock.now();
    const decided = await this.decide(now);
    const ended = await this.reconcile(now);
    const started = await this.startDue(now);
    return { due: decided.due, missed: decided.missed + started.missed, started: started.started, ended };
  }

  /** Step 1: record the due slots of each known schedule and move its cursor. */
  private async decide(now: number): Promise<{ due: number; missed: number }> {
    const plans: DecidedPlan[] = [];
    for (const due of await this.table.due(this.scheduleIds, now, this.config.batchSize)) {
      const schedule = this.known.get(due.id);
      if (schedule === undefined) continue;
      plans.push({ due, plan: planDueSlots(due.schedule, due.nextSlotAt, now, due.paused, this.random, due.lastPause) });
    }
    if (plans.length === 0) return { due: 0, missed: 0 };
    let dueCount = 0;
    let missedCount = 0;
    for (const { due, plan } of await this.table.applyPlans(plans, now)) {
      for (const s of plan.slots) {
        if (s.status === 'pending') {
          dueCount++;
          this.emitSlot('schedule.slot_due', due.id, s.slotAt, 'scheduled', { dueAt: s.dueAt });
        } else {
          missedCount++;
          if (this.bus?.wants('schedule.slot_missed'))
            this.bus.emit({ type: 'schedule.slot_missed', scheduleId: due.id, slotAt: s.slotAt, kind: 'scheduled', cause: s.cause });
        }
      }
      missedCount += plan.missedWithoutRow;
      if (plan.overdue > 0 && this.bus?.wants('schedule.caught_up')) {
        this.bus.emit({ type: 'schedule.caught_up', scheduleId: due.id, late: plan.overdue, run: plan.overdueRun, missed: plan.overdue - plan.overdueRun });
      }
      if (plan.nextSlotAt === undefined && this.bus?.wants('schedule.ended')) this.bus.emit({ type: 'schedule.ended', scheduleId: due.id });
    }
    return { due: dueCount, missed: missedCount };
  }

  /** Step 2: record how started slots ended; start the runs of slots whose start was cut short. */
  private async reconcile(now: number): Promise<number> {
    const { started } = await this.table.live(this.scheduleIds, now, this.config.batchSize);
    let ended = 0;
    for (const slot of started) {
      if (!this.known.has(slot.scheduleId) || this.running.has(slot.runId)) continue;
      const run = await this.host.store.getRun(slot.runId);
      if (run === undefined) {
        // Marked started but no run: its starter may be about to create it, or died first. After
        // a lease's time it is taken to be dead, and one process (a compare-and-set) starts it.
        const startedAt = slot.startedAt ?? slot.recordedAt;
        if (now - startedAt < this.host.config.leaseMs) continue;
        if (await this.table.retakeStart(slot, startedAt, this.clock.now())) await this.launch(slot);
        continue;
      }
      const end = endOfStatus(run.status, run.error?.message);
      if (end !== undefined && (await this.table.markEnded(slot, end, this.clock.now()))) {
        ended++;
        this.emitEnd(slot, end);
      }
    }
    return ended;
  }

  /** Step 3: start due pending slots under their schedule's overlap and pause state. */
  private async startDue(now: number): Promise<{ started: number; missed: number }> {
    const { pending, started } = await this.table.live(this.scheduleIds, now, this.config.batchSize);
    const mine = pending.filter((s) => this.known.has(s.scheduleId));
    if (mine.length === 0) return { started: 0, missed: 0 };
    const active = new Map<string, SlotRecord[]>();
    for (const s of started) active.set(s.scheduleId, [...(active.get(s.scheduleId) ?? []), s]);
    const waiting = new Map<string, number>();
    for (const s of mine) waiting.set(s.scheduleId, (waiting.get(s.scheduleId) ?? 0) + 1);
    const paused = await this.table.pausedAmong([...new Set(mine.map((s) => s.scheduleId))]);
    // Decide every slot first (oldest first), then write the decisions in one transaction each.
    const toMiss: { slot: SlotRecord; cause: MissCause }[] = [];
    const toStart: SlotRecord[] = [];
    const toCancel: { runId: string; reason: string }[] = [];
    const miss = (slot: SlotRecord, cause: MissCause): void => {
      toMiss.push({ slot, cause });
      waiting.set(slot.scheduleId, (waiting.get(slot.scheduleId) ?? 1) - 1);
    };
    for (const slot of mine) {
      const schedule = this.known.get(slot.scheduleId)!;
      if (slot.kind === 'scheduled' && paused.has(slot.scheduleId)) {
        miss(slot, 'paused');
        continue;
      }
      const previous = active.get(slot.scheduleId) ?? [];
      if (previous.length > 0) {
        switch (schedule.overlap) {
          case 'allow':
            break;
          case 'skip':
            miss(slot, 'overlap');
            continue;
          case 'queue':
            if ((waiting.get(slot.scheduleId) ?? 0) > schedule.queueLimit) miss(slot, 'queue_full');
            continue;
          case 'cancel_previous':
            for (const p of previous)
              toCancel.push({ runId: p.runId, reason: `slot ${new Date(slot.slotAt).toISOString()} of schedule ${slot.scheduleId} started` });
            break;
        }
      }
      toStart.push(slot);
      waiting.set(slot.scheduleId, (waiting.get(slot.scheduleId) ?? 1) - 1);
      active.set(slot.scheduleId, [...(schedule.overlap === 'cancel_previous' ? [] : previous), slot]);
    }
    for (const c of toCancel) await this.host.cancel(c.runId, { reason: c.reason, by: 'scheduler' }).catch(() => undefined);
    const missed = toMiss.length === 0 ? [] : await this.table.markMissedMany(toMiss, this.clock.now());
    if (this.bus?.wants('schedule.slot_missed')) {
      for (const { slot, cause } of missed)
        this.bus.emit({ type: 'schedule.slot_missed', scheduleId: slot.scheduleId, slotAt: slot.slotAt, kind: slot.kind, cause });
    }
    const won = toStart.length === 0 ? [] : await this.table.markStartedMany(toStart, this.clock.now());
    await Promise.all(won.map((slot) => this.launch(slot)));
    return { started: won.length, missed: missed.length };
  }

  /** Start (or rejoin) the slot's run under its derived id and record how it ends. */
  private async launch(slot: SlotRecord): Promise<void> {
    const schedule = this.known.get(slot.scheduleId)!;
    const input: SlotInput = {
      scheduleId: slot.scheduleId,
      slotAt: slot.slotAt,
      slotTime: new Date(slot.slotAt).toISOString(),
      kind: slot.kind,
      input: schedule.input,
    };
    let handle: RunHandle;
    try {
      handle = await this.host.start(schedule.runName, input, { id: slot.runId });
    } catch (e) {
      if (this.bus?.wants('schedule.tick_failed')) this.bus.emit({ type: 'schedule.tick_failed', error: e });
      return; // the slot stays started with no run; the next pass starts it again
    }
    this.emitSlot('schedule.slot_started', slot.scheduleId, slot.slotAt, slot.kind, { lateMs: Math.max(0, this.clock.now() - slot.slotAt) });
    const watching = handle.result.then(
      (outcome) => this.recordOutcome(slot, outcome),
      () => undefined,
    );
    const tracked = watching.finally(() => {
      if (this.running.get(slot.runId) === tracked) this.running.delete(slot.runId);
    });
    this.running.set(slot.runId, tracked);
  }

  private async recordOutcome(slot: SlotRecord, outcome: RunOutcome): Promise<void> {
    const end: SlotEnd | undefined =
      outcome.status === 'completed'
        ? { status: 'completed' }
        : outcome.status === 'failed'
          ? { status: 'failed', error: outcome.error.message, ...(outcome.deadLetterId === undefined ? {} : { deadLetterId: outcome.deadLetterId }) }
          : outcome.status === 'cancelled'
            ? { status: 'cancelled', error: outcome.reason }
            : undefined; // suspended or interrupted: still the run's, a later pass sees how it ends
    if (end === undefined) return;
    try {
      if (await this.ends.record(slot, end)) this.emitEnd(slot, end);
      // A slot queued behind this one (overlap 'queue') may start now rather than at the next poll.
      if (this.known.get(slot.scheduleId)?.overlap === 'queue') this.rearm(0);
    } catch (e) {
      if (this.bus?.wants('schedule.tick_failed')) this.bus.emit({ type: 'schedule.tick_failed', error: e });
    }
  }

  private emitEnd(slot: SlotRecord, end: SlotEnd): void {
    const base = { scheduleId: slot.scheduleId, slotAt: slot.slotAt, kind: slot.kind, runId: slot.runId };
    if (end.status === 'completed') {
      if (this.bus?.wants('schedule.slot_completed')) this.bus.emit({ type: 'schedule.slot_completed', ...base });
    } else if (end.status === 'failed') {
      if (this.bus?.wants('schedule.slot_failed')) this.bus.emit({ type: 'schedule.slot_failed', ...base, error: end.error, deadLetterId: end.deadLetterId });
    } else if (this.bus?.wants('schedule.slot_cancelled')) this.bus.emit({ type: 'schedule.slot_cancelled', ...base });
  }

  private emitSlot(type: 'schedule.slot_due', scheduleId: string, slotAt: number, kind: 'scheduled' | 'manual', extra: { dueAt: number }): void;
  private emitSlot(type: 'schedule.slot_started', scheduleId: string, slotAt: number, kind: 'scheduled' | 'manual', extra: { lateMs: number }): void;
  private emitSlot(
    type: 'schedule.slot_due' | 'schedule.slot_started',
    scheduleId: string,
    slotAt: number,
    kind: 'scheduled' | 'manual',
    extra: { dueAt: number } | { lateMs: number },
  ): void {
    if (this.bus?.wants(type) !== true) return;
    const runId = slotRunIdOf(scheduleId, slotAt, kind);
    this.bus.emit({ type, scheduleId, slotAt, kind, runId, ...extra } as never);
  }

  // ---- timing

  /** Arm the next pass in `delayMs` (if serving), replacing a later one. */
  private rearm(delayMs: number): void {
    if (!this.serving || this.closed) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimer(delayMs, () => {
      this.timer = undefined;
      void this.servePass();
    });
  }

  private async servePass(): Promise<void> {
    if (!this.serving || this.closed) return;
    try {
      await this.tick();
    } catch (e) {
      if (this.closed) return;
      if (this.bus?.wants('schedule.tick_failed')) this.bus.emit({ type: 'schedule.tick_failed', error: e });
    }
    if (!this.serving || this.closed || this.timer !== undefined) return;
    let next = this.config.pollMs;
    try {
      const at = await this.table.nextDueAt(this.scheduleIds);
      if (at !== undefined) next = Math.min(next, Math.max(0, at - this.clock.now()));
    } catch {
      // the store is unreachable: poll again after pollMs
    }
    if (this.timer === undefined) this.rearm(next);
  }

  private assertOpen(): void {
    if (this.closed) throw new SchedulerClosedError();
  }
}

function endOfStatus(status: string, error: string | undefined): SlotEnd | undefined {
  switch (status) {
    case 'completed':
      return { status: 'completed' };
    case 'failed':
      return { status: 'failed', error: error ?? 'failed' };
    case 'cancelled':
      return { status: 'cancelled', ...(error === undefined ? {} : { error }) };
    default:
      return undefined;
  }
}
