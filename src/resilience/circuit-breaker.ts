/**
 * Circuit breaker: stop calling a dependency that keeps failing, and probe it carefully before
 * trusting it again.
 *
 * States (a discriminated union, each variant holding only its own data):
 * - `closed`: calls go through; outcomes feed the trip condition (consecutive failures, or a
 *   failure rate over a sliding window). When it trips the breaker opens.
 * - `open`: calls are refused with {@link BrokenCircuitError} (its `retryAfterMs` says when the
 *   breaker will let a probe through) until `openUntil`. Each reopening without a close in
 *   between lasts `openBackoffFactor` times longer, up to `maxOpenMs`.
 * - `half_open`: entered by the first call after `openUntil`. At most `halfOpenMaxProbes` calls
 *   run at once; others are refused. `halfOpenSuccesses` probe successes close the breaker, one
 *   probe failure reopens it.
 * - `isolated`: opened by hand with `isolate()`; every call is refused until every handle it
 *   returned is released (then the breaker is closed, counts cleared) or `reset()` is called.
 *
 * Guarantees: never more than `halfOpenMaxProbes` concurrent probes; an outcome is recorded only
 * if the state the call was admitted in is still the current one (a slow call admitted before a
 * transition cannot close or reopen the breaker after it); an event on every transition (the
 * specific one, then `breaker.state_changed`); `toJSON()` gives a snapshot that
 * `initialState` restores, so the state can outlive the process or be shared through a store.
 * The move from open to half-open happens on the first call after `openUntil` (no timer keeps
 * the process alive); `state` reports `open` until then.
 */
import { z } from 'zod';
import { InvalidSpecError, WardenError, realClock, disposable, type Clock, type Disposable, type EventBus } from '../runtime/index.ts';
import { LiveConfig, parseWith, reportConfigured, schemas, type WiringOptions } from './options.ts';
import { NEVER_ABORTED_CONTEXT, contextFor, type Policy, type Work } from './policy.ts';
import { assertNever } from '../runtime/internal.ts';
import { createTripCounter, type TripCounter, type TripSnapshot, type TripSpec } from './trip-condition.ts';
import { classifyFailure } from './transient.ts';
import type { BreakerSharing } from './sharing.ts';

export type BreakerStateKind = 'closed' | 'open' | 'half_open' | 'isolated';

/** The breaker refused a call: it is open, its half-open probe slots are full, or it is isolated. */
export class BrokenCircuitError extends WardenError<
  'BROKEN_CIRCUIT',
  {
    breaker: string;
    state: Exclude<BreakerStateKind, 'closed'>;
    /** When open: ms until the breaker lets a probe through. */
    retryAfterMs: number | undefined;
  }
> {
  constructor(breaker: string, state: Exclude<BreakerStateKind, 'closed'>, retryAfterMs: number | undefined) {
    super(
      'BROKEN_CIRCUIT',
      state === 'open'
        ? `breaker "${breaker}" is open; a probe is allowed in ${Math.max(0, Math.round(retryAfterMs ?? 0))} ms`
        : state === 'half_open'
          ? `breaker "${breaker}" is half-open and its probe slots are taken; try again shortly`
          : `breaker "${breaker}" is isolated by hand; release its isolation handles or reset() it`,
      { breaker, state, retryAfterMs },
      { retryable: state !== 'isolated' },
    );
  }
}

// ---- state ---------------------------------------------------------------------------------

interface Closed {
  readonly kind: 'closed';
  readonly since: number;
}
interface Open {
  readonly kind: 'open';
  readonly openedAt: number;
  readonly openUntil: number;
  /** Openings since the breaker was last closed (drives the open-duration backoff). */
  readonly openings: number;
}
interface HalfOpen {
  readonly kind: 'half_open';
  readonly since: number;
  readonly openings: number;
  /** Probes that succeeded in this half-open period. */
  successes: number;
}
interface Isolated {
  readonly kind: 'isolated';
  readonly since: number;
}
type State = Closed | Open | HalfOpen | Isolated;

/** A read-only, serialisable view of the breaker's state. */
export type BreakerState =
  | { readonly kind: 'closed'; readonly since: number }
  | { readonly kind: 'open'; readonly openedAt: number; readonly openUntil: number; readonly openings: number }
  | {
      readonly kind: 'half_open';
      readonly since: number;
      readonly openings: number;
      readonly inFlight: number;
      readonly successes: number;
    }
  | { readonly kind: 'isolated'; readonly since: number };

/** Everything needed to restore a breaker elsewhere (`initialState`). */
export interface BreakerSnapshot {
  readonly state: BreakerState;
  readonly trip: TripSnapshot;
}

/** Returned by `isolate()`: the breaker stays isolated until every handle is released. */
export interface IsolationHandle extends Disposable {
  release(): void;
}

// ---- options -------------------------------------------------------------------------------

export interface BreakerTunables {
  /** Name in events and errors (usually the dependency: `'openai'`). @default 'breaker' */
  readonly name: string;
  /** When a closed breaker opens. @default { kind: 'consecutive', failures: 5 } */
  readonly trip: TripSpec;
  /** How long the first opening lasts, ms. @default 30_000 */
  readonly openMs: number;
  /** Each reopening without a close in between lasts this many times longer (1 = no backoff). @default 1 */
  readonly openBackoffFactor: number;
  /** Longest opening, ms. @default 300_000 */
  readonly maxOpenMs: number;
  /** Most probes running at once while half-open. @default 1 */
  readonly halfOpenMaxProbes: number;
  /** Probe successes that close the breaker. @default 1 */
  readonly halfOpenSuccesses: number;
}

export const BREAKER_DEFAULTS: BreakerTunables = Object.freeze({
  name: 'breaker',
  trip: Object.freeze({ kind: 'consecutive', failures: 5 }),
  openMs: 30_000,
  openBackoffFactor: 1,
  maxOpenMs: 300_000,
  halfOpenMaxProbes: 1,
  halfOpenSuccesses: 1,
});

/** Defaults for a rate trip's optional fields. */
export const RATE_TRIP_DEFAULTS = Object.freeze({ threshold: 0.5, windowMs: 60_000, minThroughput: 10, buckets: 10 });

export interface BreakerOptions extends Partial<Omit<BreakerTunables, 'trip'>>, WiringOptions {
  /** When a closed breaker opens; a rate trip's omitted fields take {@link RATE_TRIP_DEFAULTS}. */
  readonly trip?: TripSpecInput;
  /** Which errors count as the dependency failing. @default transient failures (classifyFailure) */
  readonly isFailure?: (error: unknown) => boolean;
  /** State to start from (a `toJSON()` snapshot). @default closed */
  readonly initialState?: BreakerSnapshot;
  /** Share transitions and half-open probe slots with other processes (see sharing.ts). @default none: per process */
  readonly sharing?: BreakerSharing;
}

export type TripSpecInput = { readonly kind: 'consecutive'; readonly failures?: number } | ({ readonly kind: 'rate' } & Partial<Omit<RateTrip, 'kind'>>);
type RateTrip = Extract<TripSpec, { kind: 'rate' }>;

const tripSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('consecutive'), failures: schemas.positiveInt.default(5) }),
  z.strictObject({
    kind: z.literal('rate'),
    threshold: z.number().gt(0).max(1).default(RATE_TRIP_DEFAULTS.threshold),
    windowMs: z.number().gt(0).finite().default(RATE_TRIP_DEFAULTS.windowMs),
    minThroughput: schemas.positiveInt.default(RATE_TRIP_DEFAULTS.minThroughput),
    buckets: schemas.positiveInt.max(1000).default(RATE_TRIP_DEFAULTS.buckets),
  }),
]);

const tunableShape = z.strictObject({
  name: schemas.name,
  trip: tripSchema,
  openMs: schemas.ms,
  openBackoffFactor: z.number().min(1).finite(),
  maxOpenMs: schemas.ms,
  halfOpenMaxProbes: schemas.positiveInt,
  halfOpenSuccesses: schemas.positiveInt,
});
const tunableSchema = tunableShape.superRefine((c, ctx) => {
  if (c.openMs > c.maxOpenMs) {
    ctx.addIssue({ code: 'custom', path: ['openMs'], message: `must be <= maxOpenMs (${c.maxOpenMs})` });
  }
});

const stateSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('closed'), since: z.number() }),
  z.object({ kind: z.literal('open'), openedAt: z.number(), openUntil: z.number(), openings: schemas.positiveInt }),
  z.object({
    kind: z.literal('half_open'),
    since: z.number(),
    openings: schemas.positiveInt,
    inFlight: schemas.nonNegativeInt.optional(),
    successes: schemas.nonNegativeInt.optional(),
  }),
  z.object({ kind: z.literal('isolated'), since: z.number() }),
]);
const snapshotSchema = z.object({
  state: stateSchema,
  trip: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('consecutive'), failures: schemas.nonNegativeInt }),
    z.object({
      kind: z.literal('rate'),
      slices: z.array(z.object({ index: z.number().int(), successes: schemas.nonNegativeInt, failures: schemas.nonNegativeInt })),
    }),
  ]),
});

const optionsSchema = tunableShape.partial().extend({
  clock: schemas.clock.optional(),
  bus: schemas.bus.optional(),
  isFailure: schemas.fn<(error: unknown) => boolean>().optional(),
  initialState: snapshotSchema.optional(),
  sharing: z
    .custom<BreakerSharing>((v) => typeof v === 'object' && v !== null && typeof (v as BreakerSharing).acquireProbe === 'function', {
      message: 'must be a BreakerSharing (attach, publish, acquireProbe)',
    })
    .optional(),
});

// ---- the breaker ---------------------------------------------------------------------------

export class CircuitBreaker implements Policy {
  readonly clock: Clock;
  private readonly bus: EventBus | undefined;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly sharing: BreakerSharing | undefined;
  private readonly live: LiveConfig<BreakerTunables>;
  private trip: TripCounter;
  private current: State;
  /** Live isolation handles; bumping `isolationEpoch` makes older handles inert. */
  private isolations = 0;
  private isolationEpoch = 0;
  /**
   * Probes admitted while half-open and not yet settled, across half-open periods: a slow probe
   * from an earlier period still holds its slot, so the dependency never sees more than
   * `halfOpenMaxProbes` probes at once.
   */
  private probes = 0;

  constructor(options: BreakerOptions = {}) {
    const subject = typeof options?.name === 'string' ? `breaker "${options.name}"` : 'breaker';
    const { clock, bus, isFailure, initialState, sharing, ...rest } = parseWith(subject, optionsSchema, options);
    this.clock = clock ?? realClock;
    this.bus = bus;
    this.isFailure = isFailure ?? ((error) => classifyFailure(error, this.clock.now()).transient);
    this.live = LiveConfig.withDefaults<BreakerTunables>(subject, tunableShape, BREAKER_DEFAULTS, rest, tunableSchema);
    if (initialState !== undefined && initialState.trip.kind !== this.live.current.trip.kind) {
      throw new InvalidSpecError(subject, 'initialState.trip.kind', initialState.trip.kind, `must match trip.kind ("${this.live.current.trip.kind}")`);
    }
    this.trip = createTripCounter(this.live.current.trip, initialState?.trip);
    this.current = initialState === undefined ? { kind: 'closed', since: this.clock.now() } : restoreState(initialState.state);
    this.sharing = sharing;
    sharing?.attach({ name: this.live.current.name, adopt: (state) => this.adopt(state) });
  }

  get config(): Readonly<BreakerTunables> {
    return this.live.current;
  }

  /**
   * Change options at run time. A new `trip` starts its counts afresh; the current state (and an
   * open period already running) is kept.
   */
  configure(patch: Partial<Omit<BreakerTunables, 'trip'>> & { readonly trip?: TripSpecInput }): void {
    const { changed } = this.live.update(patch);
    if (changed.includes('trip')) this.trip = createTripCounter(this.live.current.trip);
    reportConfigured(this.bus, 'breaker', this.live.current.name, changed);
  }

  /** The current state (a copy). An open breaker past `openUntil` still reads `open` until a call arrives. */
  get state(): BreakerState {
    const s = this.current;
    return s.kind === 'half_open' ? { ...s, inFlight: this.probes } : { ...s };
  }

  /** A snapshot that `initialState` restores. */
  toJSON(): BreakerSnapshot {
    return { state: this.state, trip: this.trip.snapshot() };
  }

  async execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T> {
    const admitted = this.admit();
    const slot = admitted.kind === 'half_open' && this.sharing !== undefined ? await this.sharedProbe(this.sharing) : undefined;
    try {
      const value = await fn(signal === undefined ? NEVER_ABORTED_CONTEXT : contextFor(signal));
      this.recordSuccess(admitted);
      return value;
    } catch (error) {
      this.recordFailure(admitted, error);
      throw error;
    } finally {
      slot?.();
    }
  }

  /**
   * Refuse every call until the returned handle (and every other one) is released; then the
   * breaker is closed with cleared counts. `reset()` also ends an isolation (old handles go inert).
   */
  isolate(): IsolationHandle {
    const epoch = this.isolationEpoch;
    this.isolations++;
    if (this.current.kind !== 'isolated') this.transition({ kind: 'isolated', since: this.clock.now() });
    const d = disposable(() => {
      if (epoch !== this.isolationEpoch) return;
      if (--this.isolations === 0) this.close('released');
    });
    return { release: d.dispose, dispose: d.dispose, [Symbol.dispose]: d.dispose };
  }

  /** Close the breaker now, clearing counts and ending any isolation. */
  reset(): void {
    this.isolationEpoch++;
    this.isolations = 0;
    this.close('reset');
  }

  // ---- internals ---------------------------------------------------------------------------

  /** A probe admitted here also needs a slot counted across processes; without one it is refused (its local slot freed). */
  private async sharedProbe(sharing: BreakerSharing): Promise<() => void> {
    let release: (() => void) | undefined;
    try {
      release = await sharing.acquireProbe(this.live.current.halfOpenMaxProbes);
    } catch (e) {
      this.probes--;
      throw e;
    }
    if (release !== undefined) return release;
    this.probes--;
    return this.refuse('half_open', undefined);
  }

  /** A state another process reached (see `SharedBreakerLink.adopt`). */
  private adopt(state: BreakerState): void {
    const s = this.current;
    switch (state.kind) {
      case 'open':
        if (s.kind === 'open' && s.openUntil === state.openUntil) return;
        this.transition({ kind: 'open', openedAt: state.openedAt, openUntil: state.openUntil, openings: state.openings }, NO_EVENT, false);
        return;
      case 'closed':
        if (s.kind === 'closed') return;
        this.trip.reset();
        this.transition({ kind: 'closed', since: state.since }, NO_EVENT, false);
        return;
      case 'isolated':
        if (s.kind === 'isolated') return;
        this.transition({ kind: 'isolated', since: state.since }, NO_EVENT, false);
        return;
      case 'half_open':
        return; // each process moves to half-open on its own
      default:
        assertNever(state);
    }
  }

  /** Admit a call or throw; returns the state it was admitted in (a probe slot taken if half-open). */
  private admit(): State {
    let s = this.current;
    switch (s.kind) {
      case 'closed':
        return s;
      case 'open': {
        const now = this.clock.now();
        if (now < s.openUntil) return this.refuse('open', s.openUntil - now);
        const half: HalfOpen = { kind: 'half_open', since: now, openings: s.openings, successes: 0 };
        this.transition(half);
        s = half;
        break;
      }
      case 'half_open':
        break;
      case 'isolated':
        return this.refuse('isolated', undefined);
      default:
        return assertNever(s);
    }
    if (this.probes >= this.live.current.halfOpenMaxProbes) return this.refuse('half_open', undefined);
    this.probes++;
    return s;
  }

  private refuse(state: Exclude<BreakerStateKind, 'closed'>, retryAfterMs: number | undefined): never {
    const name = this.live.current.name;
    if (this.bus?.wants('breaker.rejected')) this.bus.emit({ type: 'breaker.rejected', breaker: name, state });
    throw new BrokenCircuitError(name, state, retryAfterMs);
  }

  private recordSuccess(admitted: State): void {
    if (admitted.kind === 'half_open') this.probes--;
    if (admitted !== this.current) return; // stale: the state changed while the call ran
    if (admitted.kind === 'closed') {
      // Reading the real clock costs more than the rest of this path; skip it when unused.
      const trip = this.trip;
      trip.recordSuccess(trip.usesTime ? this.clock.now() : 0);
    } else if (admitted.kind === 'half_open') {
      if (++admitted.successes >= this.live.current.halfOpenSuccesses) this.close('probes_succeeded');
    }
  }

  private recordFailure(admitted: State, error: unknown): void {
    if (admitted.kind === 'half_open') this.probes--;
    if (admitted !== this.current) return;
    const counts = this.isFailure(error);
    if (admitted.kind === 'closed') {
      if (counts && this.trip.recordFailure(this.clock.now())) this.open(1, 'tripped', error);
    } else if (admitted.kind === 'half_open') {
      if (counts) this.open(admitted.openings + 1, 'probe_failed', error);
    }
  }

  private open(openings: number, reason: 'tripped' | 'probe_failed', error: unknown): void {
    const cfg = this.live.current;
    const openMs = Math.min(cfg.maxOpenMs, cfg.openMs * cfg.openBackoffFactor ** (openings - 1));
    const now = this.clock.now();
    this.transition({ kind: 'open', openedAt: now, openUntil: now + openMs, openings }, () => {
      if (this.bus?.wants('breaker.opened')) {
        this.bus.emit({ type: 'breaker.opened', breaker: cfg.name, reason, openMs, error });
      }
    });
  }

  private close(reason: 'probes_succeeded' | 'released' | 'reset'): void {
    this.trip.reset();
    this.transition({ kind: 'closed', since: this.clock.now() }, () => {
      if (this.bus?.wants('breaker.closed')) this.bus.emit({ type: 'breaker.closed', breaker: this.live.current.name, reason });
    });
  }

  /** Swap the state, then emit the specific event and `breaker.state_changed`; publish it when shared and `publish`. */
  private transition(next: State, emitSpecific?: () => void, publish = true): void {
    const from = this.current.kind;
    this.current = next;
    if (publish && this.sharing !== undefined && next.kind !== 'half_open') this.sharing.publish(this.state);
    const bus = this.bus;
    if (bus === undefined) return;
    const name = this.live.current.name;
    if (emitSpecific !== undefined) emitSpecific();
    else if (next.kind === 'half_open' && bus.wants('breaker.half_opened')) bus.emit({ type: 'breaker.half_opened', breaker: name });
    else if (next.kind === 'isolated' && bus.wants('breaker.isolated')) bus.emit({ type: 'breaker.isolated', breaker: name });
    if (bus.wants('breaker.state_changed')) bus.emit({ type: 'breaker.state_changed', breaker: name, from, to: next.kind });
  }
}

const NO_EVENT = (): void => {};

function restoreState(s: z.output<typeof stateSchema>): State {
  switch (s.kind) {
    case 'closed':
      return { kind: 'closed', since: s.since };
    case 'open':
      return { kind: 'open', openedAt: s.openedAt, openUntil: s.openUntil, openings: s.openings };
    case 'half_open':
      // Probes of another process are not ours to wait for: restore with free slots.
      return { kind: 'half_open', since: s.since, openings: s.openings, successes: 0 };
    case 'isolated':
      return { kind: 'isolated', since: s.since };
    default:
      return assertNever(s);
  }
}
