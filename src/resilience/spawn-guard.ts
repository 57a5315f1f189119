/**
 * Spawn guard: single flight by logical task key. While a "memory-sync" runs, a second start of
 * "memory-sync" either joins it (and gets its result) or is refused with
 * {@link SpawnConflictError}; the caller chooses per call. It is never run twice at once.
 *
 * Guarantees:
 * - one run per key at a time in this process; with a shared {@link SpawnKeyStore}, one across
 *   every process using that store (a conflict with another process is always a refusal: its
 *   result is not ours to join);
 * - the key is released on every exit path: success, throw, abort, and `maxHoldMs` expiry;
 * - a caller that aborts stops waiting at once; the run itself is aborted (its signal fires) only
 *   when every caller waiting on it has aborted, and the key is released when it then settles;
 * - a run that outlives `maxHoldMs` is treated as hung: its signal aborts, every waiter gets a
 *   `TimeoutError`, and the key is released so the work can be started afresh (code that
 *   ignores its signal may still be running: that is the watchdog's business, not a reason to
 *   hold the key forever, which is how the 35-minute memory-sync hang happened).
 */
import { z } from 'zod';
import { InvalidSpecError, WardenError, realClock, type Clock, type EventBus, type Timer } from '../runtime/index.ts';
import { raceAbort } from '../runtime/internal.ts';
import { LiveConfig, TunablePolicy, parseWith, schemas } from './options.ts';
import { NEVER_ABORTED, type Policy, type PolicyContext, type Work } from './policy.ts';
import { TimeoutError } from './timeout.ts';

/** A run with this key is already in progress and the caller asked not to join it. */
export class SpawnConflictError extends WardenError<
  'SPAWN_CONFLICT',
  {
    guard: string;
    key: string;
    /** True when another process holds the key (through a shared store). */
    heldElsewhere: boolean;
  }
> {
  constructor(guard: string, key: string, heldElsewhere: boolean) {
    super(
      'SPAWN_CONFLICT',
      `"${key}" is already running${heldElsewhere ? ' in another process' : ''} (guard "${guard}"); ` +
        (heldElsewhere ? 'wait for it to finish' : "pass onConflict: 'join' to share its result"),
      { guard, key, heldElsewhere },
    );
  }
}

/** Where in-flight keys are recorded. A store-backed one makes the guard cluster-wide. */
export interface SpawnKeyStore {
  /** Claim `key` for `owner` until `expiresAt` (clock ms); false if another live owner holds it. */
  claim(key: string, owner: string, expiresAt: number): Promise<boolean>;
  /** Release `key` if `owner` still holds it. */
  release(key: string, owner: string): Promise<void>;
}

/** In-flight keys held in this process, with lease expiry on the given clock. */
export class InProcessSpawnKeyStore implements SpawnKeyStore {
  private readonly held = new Map<string, { owner: string; expiresAt: number }>();
  private readonly clock: Clock;

  constructor(clock: Clock = realClock) {
    this.clock = clock;
  }

  async claim(key: string, owner: string, expiresAt: number): Promise<boolean> {
    const h = this.held.get(key);
    if (h !== undefined && h.owner !== owner && h.expiresAt > this.clock.now()) return false;
    this.held.set(key, { owner, expiresAt });
    return true;
  }

  async release(key: string, owner: string): Promise<void> {
    if (this.held.get(key)?.owner === owner) this.held.delete(key);
  }

  /** Keys held now (for inspection and tests). */
  keys(): string[] {
    const now = this.clock.now();
    return [...this.held].filter(([, h]) => h.expiresAt > now).map(([k]) => k);
  }
}

export type OnConflict = 'join' | 'refuse';

export interface SpawnGuardTunables {
  /** Name in events and errors. @default 'spawn-guard' */
  readonly name: string;
  /** Longest a run may hold its key before it is treated as hung, ms. @default 600_000 */
  readonly maxHoldMs: number;
}

export const SPAWN_GUARD_DEFAULTS: SpawnGuardTunables = Object.freeze({ name: 'spawn-guard', maxHoldMs: 600_000 });

export interface SpawnGuardOptions extends Partial<SpawnGuardTunables> {
  /** @default a InProcessSpawnKeyStore on the same clock */
  readonly store?: SpawnKeyStore;
  readonly clock?: Clock;
  readonly bus?: EventBus;
}

const tunableShape = z.strictObject({ name: schemas.name, maxHoldMs: schemas.ms.gt(0) });
const optionsSchema = tunableShape.partial().extend({
  store: z
    .custom<SpawnKeyStore>(
      (v) => typeof v === 'object' && v !== null && typeof (v as SpawnKeyStore).claim === 'function' && typeof (v as SpawnKeyStore).release === 'function',
      { message: 'must be a SpawnKeyStore (claim, release)' },
    )
    .optional(),
  clock: schemas.clock.optional(),
  bus: schemas.bus.optional(),
});
const runSchema = z.strictObject({
  onConflict: z.enum(['join', 'refuse']).optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { message: 'must be an AbortSignal' }).optional(),
});

interface Flight {
  readonly token: string;
  readonly controller: AbortController;
  readonly result: Promise<unknown>;
  /** Callers still waiting for the result. */
  waiting: number;
}

let tokens = 0;

export class SpawnGuard extends TunablePolicy<SpawnGuardTunables> {
  private readonly store: SpawnKeyStore;
  private readonly clock: Clock;
  protected readonly bus: EventBus | undefined;
  protected readonly live: LiveConfig<SpawnGuardTunables>;
  private readonly flights = new Map<string, Flight>();

  constructor(options: SpawnGuardOptions = {}) {
    super('spawn_guard');
    const subject = typeof options?.name === 'string' ? `spawn guard "${options.name}"` : 'spawn guard';
    const { store, clock, bus, ...rest } = parseWith(subject, optionsSchema, options);
    this.clock = clock ?? realClock;
    this.store = store ?? new InProcessSpawnKeyStore(this.clock);
    this.bus = bus;
    this.live = LiveConfig.withDefaults<SpawnGuardTunables>(subject, tunableShape, SPAWN_GUARD_DEFAULTS, rest);
  }

  /** Whether a run with this key is in progress in this process. */
  isRunning(key: string): boolean {
    return this.flights.has(key);
  }

  /**
   * Run `fn` as the only run of `key`, or join / refuse if one is in progress
   * (`onConflict`, default `'join'`).
   */
  run<T>(key: string, fn: (context: PolicyContext) => PromiseLike<T> | T, options: { onConflict?: OnConflict; signal?: AbortSignal } = {}): Promise<T> {
    const name = this.live.current.name;
    if (typeof key !== 'string' || key === '') return Promise.reject(new InvalidSpecError(`spawn guard "${name}"`, 'key', key, 'must be a non-empty string'));
    const { onConflict = 'join', signal } = parseWith(`spawn guard "${name}"`, runSchema, options);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const running = this.flights.get(key);
    if (running !== undefined) {
      if (onConflict === 'refuse') return Promise.reject(this.refuse(key, false));
      running.waiting++;
      if (this.bus?.wants('spawn.joined')) this.bus.emit({ type: 'spawn.joined', guard: name, key, waiting: running.waiting });
      return this.await(running, signal) as Promise<T>;
    }
    const flight = this.start(key, fn);
    return this.await(flight, signal) as Promise<T>;
  }

  /** A policy that runs everything under one key, to use inside `wrap`. */
  forKey(key: string, onConflict: OnConflict = 'join'): Policy {
    return { execute: <T>(fn: Work<T>, signal?: AbortSignal) => this.run(key, fn, signal === undefined ? { onConflict } : { onConflict, signal }) };
  }

  private start(key: string, fn: (context: PolicyContext) => unknown): Flight {
    const cfg = this.live.current;
    const token = `${process.pid}:${++tokens}`;
    const controller = new AbortController();
    let timer: Timer | undefined;
    let outcome: 'ok' | 'error' | 'expired' = 'ok';
    const body = async (): Promise<unknown> => {
      const claimed = await this.store.claim(key, token, this.clock.now() + cfg.maxHoldMs);
      if (!claimed) throw this.refuse(key, true);
      try {
        const work = Promise.resolve().then(() => fn({ signal: controller.signal }));
        const expiry = new Promise<never>((_, reject) => {
          timer = this.clock.setTimer(cfg.maxHoldMs, () => {
            outcome = 'expired';
            const reason = new TimeoutError(`${cfg.name}:${key}`, cfg.maxHoldMs, 'aggressive');
            controller.abort(reason);
            reject(reason);
          });
        });
        work.catch(() => undefined);
        try {
          return await Promise.race([work, expiry]);
        } catch (error) {
          if (outcome === 'ok') outcome = 'error';
          throw error;
        }
      } finally {
        timer?.cancel();
        await this.store.release(key, token).catch(() => undefined);
        if (this.bus?.wants('spawn.finished')) this.bus.emit({ type: 'spawn.finished', guard: cfg.name, key, outcome });
      }
    };
    const result = body().finally(() => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    });
    result.catch(() => undefined);
    const flight: Flight = { token, controller, result, waiting: 1 };
    this.flights.set(key, flight);
    if (this.bus?.wants('spawn.started')) this.bus.emit({ type: 'spawn.started', guard: cfg.name, key });
    return flight;
  }

  /** Wait for a flight's result on behalf of one caller, who may abort alone; the run is aborted when its last waiter gives up. */
  private await(flight: Flight, signal: AbortSignal | undefined): Promise<unknown> {
    if (signal === undefined || signal === NEVER_ABORTED) return flight.result;
    return raceAbort(flight.result, signal, () => {
      if (--flight.waiting === 0) flight.controller.abort(signal.reason);
    });
  }

  private refuse(key: string, heldElsewhere: boolean): SpawnConflictError {
    const name = this.live.current.name;
    if (this.bus?.wants('spawn.refused')) this.bus.emit({ type: 'spawn.refused', guard: name, key, heldElsewhere });
    return new SpawnConflictError(name, key, heldElsewhere);
  }
}
