/**
 * The live reliability tracker: the same ledger as {@link reliabilityOf}, fed from a bus as
 * events arrive, so the figures are ready at any moment without keeping the events. It listens
 * only to the kinds the ledger reads (`RELIABILITY_EVENT_TYPES`), so other events cost it nothing.
 * It knows only what happened after it started: start it (or the health) before the tree, or a
 * child's first up-time is missing from its figures.
 */
import type { Clock, Disposable, EventBus, WardenEvent } from '../runtime/index.ts';
import { RELIABILITY_EVENT_TYPES, ReliabilityLedger, type ReliabilityReport } from './reliability.ts';

export class ReliabilityTracker implements Disposable {
  private readonly ledger = new ReliabilityLedger();
  private readonly subscriptions: Disposable[];
  private readonly clock: Clock | undefined;

  /** Start tracking `bus`; `clock` gives `report()` its default `now` (else: the last event's time). */
  constructor(bus: EventBus, clock?: Clock) {
    this.clock = clock;
    const apply = (e: WardenEvent): void => this.ledger.apply(e);
    this.subscriptions = RELIABILITY_EVENT_TYPES.map((type) => bus.on(type, apply));
  }

  /** The figures up to `now` (default: the clock's reading, or the last event's time without a clock). */
  report(now: number | undefined = this.clock?.now()): ReliabilityReport {
    return this.ledger.report(now);
  }

  /** Stop listening; the figures so far stay readable. */
  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
