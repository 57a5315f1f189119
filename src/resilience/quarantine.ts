/**
 * Poison quarantine: an input that keeps crashing its handler is set aside instead of crashing it
 * (and using up its supervisor's restart budget) forever.
 *
 * An input is identified by `stableHash(input)` (canonical JSON → SHA-256), so the same message
 * gets the same key in every process and after a restart. Each crash of a handler on an input is
 * recorded; at `maxCrashes` crashes (within `crashWindowMs`) the input is quarantined: the crash
 * that tips it over is thrown as {@link QuarantinedError} (its `cause` is the handler's error) and
 * any later run of that input is refused with `QuarantinedError` without calling the handler,
 * until `release(key)`. A success clears the input's crash count.
 *
 * Only crashes count: by default a failure classified as transient (a 503, a timeout) says
 * nothing about the input and is not recorded, nor is the caller's abort. Records live behind the
 * small {@link QuarantineStore} interface (held in this process here; the durable layer persists them).
 * Updates to one key are serialised in this process, so concurrent crashes are all counted.
 */
import { z } from 'zod';
import { WardenError, realClock, type Clock, type EventBus } from '../runtime/index.ts';
import { LiveConfig, TunablePolicy, parseWith, schemas } from './options.ts';
import { contextFor, type Policy, type PolicyContext, type Work } from './policy.ts';
import { stableHash } from './stable-hash.ts';
import { classifyFailure } from './transient.ts';

/** What is known about one input's crashes. Plain data, so a store can persist it as is. */
export interface QuarantineRecord {
  readonly key: string;
  readonly crashes: number;
  readonly firstCrashAt: number;
  readonly lastCrashAt: number;
  readonly lastError: { readonly name: string; readonly message: string; readonly code?: string };
  /** Set once the input is quarantined. */
  readonly quarantinedAt?: number;
  /** A short rendering of the input, for people reading the list. */
  readonly preview: string;
}

/** Where crash records live. A durable store implements the same four methods. */
export interface QuarantineStore {
  get(key: string): Promise<QuarantineRecord | undefined>;
  put(record: QuarantineRecord): Promise<void>;
  delete(key: string): Promise<boolean>;
  list(): Promise<readonly QuarantineRecord[]>;
}

/** Crash records held in this process (lost on exit). */
export class InProcessQuarantineStore implements QuarantineStore {
  private readonly records = new Map<string, QuarantineRecord>();

  async get(key: string): Promise<QuarantineRecord | undefined> {
    return this.records.get(key);
  }

  async put(record: QuarantineRecord): Promise<void> {
    this.records.set(record.key, record);
  }

  async delete(key: string): Promise<boolean> {
    return this.records.delete(key);
  }

  async list(): Promise<readonly QuarantineRecord[]> {
    return [...this.records.values()];
  }
}

/** The input is quarantined: it crashed its handler `crashes` times. Not retryable. */
export class QuarantinedError extends WardenError<'QUARANTINED', { quarantine: string; key: string; crashes: number }> {
  constructor(quarantine: string, key: string, crashes: number, options?: { cause?: unknown }) {
    super(
      'QUARANTINED',
      `input ${key.slice(0, 12)}… is quarantined by "${quarantine}" after ${crashes} crashes; ` +
        'inspect it with list() and release(key) once the handler is fixed',
      { quarantine, key, crashes },
      options,
    );
  }
}

export interface QuarantineTunables {
  /** Name in events and errors. @default 'quarantine' */
  readonly name: string;
  /** Crashes that quarantine an input. @default 3 */
  readonly maxCrashes: number;
  /** Crashes further apart than this start the count afresh, ms. @default Infinity */
  readonly crashWindowMs: number;
}

export const QUARANTINE_DEFAULTS: QuarantineTunables = Object.freeze({ name: 'quarantine', maxCrashes: 3, crashWindowMs: Infinity });

export interface QuarantineOptions extends Partial<QuarantineTunables> {
  /** @default a new InProcessQuarantineStore */
  readonly store?: QuarantineStore;
  /** Which failures count as the input crashing the handler. @default not transient (classifyFailure) */
  readonly isCrash?: (error: unknown) => boolean;
  readonly clock?: Clock;
  readonly bus?: EventBus;
}

const tunableShape = z.strictObject({ name: schemas.name, maxCrashes: schemas.positiveInt, crashWindowMs: schemas.msOrInfinity });
const optionsSchema = tunableShape.partial().extend({
  store: z
    .custom<QuarantineStore>(
      (v) => typeof v === 'object' && v !== null && ['get', 'put', 'delete', 'list'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
      { message: 'must be a QuarantineStore (get, put, delete, list)' },
    )
    .optional(),
  isCrash: schemas.fn<(error: unknown) => boolean>().optional(),
  clock: schemas.clock.optional(),
  bus: schemas.bus.optional(),
});

function describeError(error: unknown): QuarantineRecord['lastError'] {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'thrown', message: String(error) };
}

export class Quarantine extends TunablePolicy<QuarantineTunables> {
  readonly store: QuarantineStore;
  private readonly isCrash: (error: unknown) => boolean;
  private readonly clock: Clock;
  protected readonly bus: EventBus | undefined;
  protected readonly live: LiveConfig<QuarantineTunables>;
  /** Per-key chain of pending store updates, so read-modify-write never interleaves. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(options: QuarantineOptions = {}) {
    super('quarantine');
    const subject = typeof options?.name === 'string' ? `quarantine "${options.name}"` : 'quarantine';
    const { store, isCrash, clock, bus, ...rest } = parseWith(subject, optionsSchema, options);
    this.store = store ?? new InProcessQuarantineStore();
    this.clock = clock ?? realClock;
    this.bus = bus;
    this.isCrash = isCrash ?? ((e) => !classifyFailure(e, this.clock.now()).transient);
    this.live = LiveConfig.withDefaults<QuarantineTunables>(subject, tunableShape, QUARANTINE_DEFAULTS, rest);
  }

  /** The key an input is known by. */
  keyOf(input: unknown): string {
    return stableHash(input);
  }

  /**
   * Run `handler` on `input` unless the input is quarantined. A crash is recorded and rethrown
   * (as `QuarantinedError` when it is the one that quarantines the input).
   */
  async run<I, T>(input: I, handler: (input: I, context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    const key = this.keyOf(input);
    const existing = await this.store.get(key);
    const name = this.live.current.name;
    if (existing?.quarantinedAt !== undefined) {
      if (this.bus?.wants('quarantine.refused')) this.bus.emit({ type: 'quarantine.refused', quarantine: name, key });
      throw new QuarantinedError(name, key, existing.crashes);
    }
    let value: T;
    try {
      value = await handler(input, contextFor(signal));
    } catch (error) {
      if (signal?.aborted || !this.isCrash(error)) throw error;
      const record = await this.recordCrash(key, input, error);
      if (record.quarantinedAt !== undefined) throw new QuarantinedError(name, key, record.crashes, { cause: error });
      throw error;
    }
    if (existing !== undefined)
      await this.withLock(key, async () => {
        const r = await this.store.get(key);
        if (r !== undefined && r.quarantinedAt === undefined) await this.store.delete(key);
      });
    return value;
  }

  /** A policy for one input, to use inside `wrap`. */
  forInput(input: unknown): Policy {
    return { execute: <T>(fn: Work<T>, signal?: AbortSignal) => this.run(input, (_i, ctx) => fn(ctx), signal) };
  }

  /** Whether the input with this key is quarantined. */
  async isQuarantined(key: string): Promise<boolean> {
    return (await this.store.get(key))?.quarantinedAt !== undefined;
  }

  /** Quarantined inputs (records still counting crashes are left out unless `all`). */
  async list(options: { all?: boolean } = {}): Promise<readonly QuarantineRecord[]> {
    const records = await this.store.list();
    return options.all === true ? records : records.filter((r) => r.quarantinedAt !== undefined);
  }

  /** Forget an input's crashes and let it run again. Returns false if nothing was recorded. */
  async release(key: string): Promise<boolean> {
    const removed = await this.withLock(key, () => this.store.delete(key));
    if (removed && this.bus?.wants('quarantine.released')) {
      this.bus.emit({ type: 'quarantine.released', quarantine: this.live.current.name, key });
    }
    return removed;
  }

  private async recordCrash(key: string, input: unknown, error: unknown): Promise<QuarantineRecord> {
    return this.withLock(key, async () => {
      const cfg = this.live.current;
      const now = this.clock.now();
      const prev = await this.store.get(key);
      const fresh = prev === undefined || (prev.quarantinedAt === undefined && now - prev.lastCrashAt > cfg.crashWindowMs);
      const crashes = fresh ? 1 : prev.crashes + 1;
      const tipped = crashes >= cfg.maxCrashes && prev?.quarantinedAt === undefined;
      const record: QuarantineRecord = {
        key,
        crashes,
        firstCrashAt: fresh ? now : prev.firstCrashAt,
        lastCrashAt: now,
        lastError: describeError(error),
        preview: preview(input),
        ...(tipped ? { quarantinedAt: now } : prev?.quarantinedAt !== undefined ? { quarantinedAt: prev.quarantinedAt } : {}),
      };
      await this.store.put(record);
      if (this.bus?.wants('quarantine.crash_recorded')) this.bus.emit({ type: 'quarantine.crash_recorded', quarantine: cfg.name, key, crashes });
      if (tipped && this.bus?.wants('quarantine.quarantined')) this.bus.emit({ type: 'quarantine.quarantined', quarantine: cfg.name, key, crashes });
      return record;
    });
  }

  private withLock<R>(key: string, fn: () => Promise<R>): Promise<R> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return next;
  }
}

function preview(input: unknown): string {
  let text: string;
  try {
    text = typeof input === 'string' ? input : (JSON.stringify(input) ?? String(input));
  } catch {
    text = String(input);
  }
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
