/**
 * When a closed circuit breaker opens: after N consecutive failures, or when the failure rate over
 * a sliding time window reaches a threshold once the window has seen a minimum number of calls.
 *
 * The rate window is a ring of `buckets` time slices covering `windowMs`: recording is O(1), the
 * rate check O(buckets), memory constant however many calls go through, and the window slides
 * in steps of `windowMs / buckets` (the oldest slice drops out whole). It is a few lines over the
 * injected clock, which no breaker library exposes on its own; so it is written here.
 */
import { assertNever } from '../runtime/internal.ts';

/** Open after `failures` failures in a row (a success resets the count). */
export interface ConsecutiveTrip {
  readonly kind: 'consecutive';
  /** Failures in a row that open the breaker. @default 5 */
  readonly failures: number;
}

/** Open when failures / calls >= `threshold` over the last `windowMs`, given >= `minThroughput` calls. */
export interface RateTrip {
  readonly kind: 'rate';
  /** Failure ratio in (0, 1] that opens the breaker. @default 0.5 */
  readonly threshold: number;
  /** Length of the sliding window, ms. @default 60_000 */
  readonly windowMs: number;
  /** Fewest calls in the window before the ratio counts. @default 10 */
  readonly minThroughput: number;
  /** Slices the window is kept in (its resolution). @default 10 */
  readonly buckets: number;
}

export type TripSpec = ConsecutiveTrip | RateTrip;

/** Serialisable counts of a trip condition. */
export type TripSnapshot =
  | { readonly kind: 'consecutive'; readonly failures: number }
  | {
      readonly kind: 'rate';
      readonly slices: readonly { readonly index: number; readonly successes: number; readonly failures: number }[];
    };

/** Counts outcomes while closed and says when to open. */
export interface TripCounter {
  /** False when outcomes are counted without their time (callers may then skip reading the clock). */
  readonly usesTime: boolean;
  recordSuccess(nowMs: number): void;
  /** Record a failure; true if the breaker should open now. */
  recordFailure(nowMs: number): boolean;
  reset(): void;
  snapshot(): TripSnapshot;
}

class ConsecutiveCounter implements TripCounter {
  readonly usesTime = false;
  private failures = 0;
  private readonly limit: number;

  constructor(spec: ConsecutiveTrip, restore: TripSnapshot | undefined) {
    this.limit = spec.failures;
    if (restore?.kind === 'consecutive') this.failures = restore.failures;
  }

  recordSuccess(): void {
    this.failures = 0;
  }

  recordFailure(): boolean {
    return ++this.failures >= this.limit;
  }

  reset(): void {
    this.failures = 0;
  }

  snapshot(): TripSnapshot {
    return { kind: 'consecutive', failures: this.failures };
  }
}

class RateCounter implements TripCounter {
  readonly usesTime = true;
  private readonly spec: RateTrip;
  private readonly sliceMs: number;
  private readonly index: number[];
  private readonly ok: number[];
  private readonly bad: number[];

  constructor(spec: RateTrip, restore: TripSnapshot | undefined) {
    this.spec = spec;
    this.sliceMs = spec.windowMs / spec.buckets;
    this.index = new Array<number>(spec.buckets).fill(-Infinity);
    this.ok = new Array<number>(spec.buckets).fill(0);
    this.bad = new Array<number>(spec.buckets).fill(0);
    if (restore?.kind === 'rate') {
      for (const s of restore.slices) {
        const slot = ((s.index % spec.buckets) + spec.buckets) % spec.buckets;
        this.index[slot] = s.index;
        this.ok[slot] = s.successes;
        this.bad[slot] = s.failures;
      }
    }
  }

  private slot(nowMs: number): number {
    const idx = Math.floor(nowMs / this.sliceMs);
    const slot = ((idx % this.spec.buckets) + this.spec.buckets) % this.spec.buckets;
    if (this.index[slot] !== idx) {
      this.index[slot] = idx;
      this.ok[slot] = 0;
      this.bad[slot] = 0;
    }
    return slot;
  }

  recordSuccess(nowMs: number): void {
    const s = this.slot(nowMs);
    this.ok[s] = (this.ok[s] as number) + 1;
  }

  recordFailure(nowMs: number): boolean {
    const s = this.slot(nowMs);
    this.bad[s] = (this.bad[s] as number) + 1;
    const oldest = (this.index[s] as number) - this.spec.buckets + 1;
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < this.spec.buckets; i++) {
      if ((this.index[i] as number) < oldest) continue;
      calls += (this.ok[i] as number) + (this.bad[i] as number);
      failures += this.bad[i] as number;
    }
    return calls >= this.spec.minThroughput && failures / calls >= this.spec.threshold;
  }

  reset(): void {
    this.index.fill(-Infinity);
    this.ok.fill(0);
    this.bad.fill(0);
  }

  snapshot(): TripSnapshot {
    const slices: { index: number; successes: number; failures: number }[] = [];
    for (let i = 0; i < this.spec.buckets; i++) {
      const index = this.index[i] as number;
      if (index === -Infinity) continue;
      slices.push({ index, successes: this.ok[i] as number, failures: this.bad[i] as number });
    }
    return { kind: 'rate', slices };
  }
}

/** A fresh counter for `spec`, optionally restored from a snapshot of the same kind. */
export function createTripCounter(spec: TripSpec, restore?: TripSnapshot): TripCounter {
  switch (spec.kind) {
    case 'consecutive':
      return new ConsecutiveCounter(spec, restore);
    case 'rate':
      return new RateCounter(spec, restore);
    default:
      return assertNever(spec);
  }
}
