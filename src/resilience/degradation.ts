/**
 * The degradation ladder: primary → fallbacks → cache → static answer → queue for later, each
 * level tried only when the ones above it failed, and every result saying which level it came
 * from. Degrading is explicit and visible, never a silent change of quality.
 *
 * Guarantees: levels run in that order, one at a time; a level that is not configured, or is
 * listed in `skip` (changeable at run time, to force degraded mode by hand), is passed over; a
 * primary or fallback success is written to the cache (a failing cache write never fails the
 * call); the caller's abort stops the ladder at once; if every level fails,
 * {@link FallbackExhaustedError} lists what each one threw.
 */
import { z } from 'zod';
import { InvalidSpecError, type EventBus } from '../runtime/index.ts';
import { LiveConfig, parseWith, reportConfigured, schemas, defined } from './options.ts';
import { contextFor, type PolicyContext } from './policy.ts';
import { FallbackExhaustedError, isCallerAbort, type Candidate } from './fallback.ts';
import type { ResultCache } from './result-cache.ts';
import { stableHash } from './stable-hash.ts';

export type DegradationLevel = 'primary' | 'fallback' | 'cache' | 'static' | 'queued';

type Failures = readonly { readonly source: string; readonly error: unknown }[];

/** A ladder's answer. Every variant names its level; `queued` carries the ticket instead of a value. */
export type DegradedResult<T, Q = never> =
  | { readonly level: 'primary'; readonly value: T; readonly source: string; readonly failures: Failures }
  | { readonly level: 'fallback'; readonly value: T; readonly source: string; readonly failures: Failures }
  | {
      readonly level: 'cache';
      readonly value: T;
      readonly source: 'cache';
      /** When the cached value was stored (clock ms). */
      readonly storedAt: number;
      readonly failures: Failures;
    }
  | { readonly level: 'static'; readonly value: T; readonly source: 'static'; readonly failures: Failures }
  | { readonly level: 'queued'; readonly ticket: Q; readonly source: 'queue'; readonly failures: Failures };

export interface LadderTunables {
  /** Name in events and errors. @default 'ladder' */
  readonly name: string;
  /** Levels (`'primary'`, `'cache'`, ...) or fallback names to pass over. @default [] */
  readonly skip: readonly string[];
}

export const LADDER_DEFAULTS: LadderTunables = Object.freeze({ name: 'ladder', skip: Object.freeze([]) });

export interface LadderOptions<I, T, Q> extends Partial<LadderTunables> {
  /** The full-quality answer. */
  readonly primary: (input: I, context: PolicyContext) => PromiseLike<T> | T;
  /** Lesser answers to try in order (a smaller model, another provider). @default [] */
  readonly fallbacks?: readonly Candidate<I, T>[];
  /** Serve a stored good answer for the same input. @default none */
  readonly cache?: ResultCache<T>;
  /** Cache key of an input. @default stableHash(input) */
  readonly cacheKey?: (input: I) => string;
  /** A fixed answer, such as "the assistant is busy; here is what to do meanwhile". @default none */
  readonly staticAnswer?: (input: I, failures: Failures) => T;
  /** Accept the input for later processing; resolves with a ticket. @default none */
  readonly queue?: (input: I, failures: Failures) => PromiseLike<Q> | Q;
  /** Whether a failure moves down the ladder. @default every failure except the caller's abort */
  readonly shouldDegrade?: (error: unknown) => boolean;
  readonly bus?: EventBus;
}

const tunableShape = z.strictObject({ name: schemas.name, skip: z.array(z.string()) });
const optionsSchema = tunableShape.partial().extend({
  primary: schemas.fn<unknown>(),
  fallbacks: z.array(z.strictObject({ name: schemas.name, run: schemas.fn<unknown>() })).optional(),
  cache: z
    .custom<ResultCache<unknown>>(
      (v) =>
        typeof v === 'object' && v !== null && typeof (v as ResultCache<unknown>).get === 'function' && typeof (v as ResultCache<unknown>).set === 'function',
      { message: 'must be a cache (get, set)' },
    )
    .optional(),
  cacheKey: schemas.fn<unknown>().optional(),
  staticAnswer: schemas.fn<unknown>().optional(),
  queue: schemas.fn<unknown>().optional(),
  shouldDegrade: schemas.fn<unknown>().optional(),
  bus: schemas.bus.optional(),
});

const RESERVED = new Set(['primary', 'cache', 'static', 'queue', 'queued']);

export class DegradationLadder<I, T, Q = never> {
  private readonly o: LadderOptions<I, T, Q>;
  private readonly live: LiveConfig<LadderTunables>;

  constructor(options: LadderOptions<I, T, Q>) {
    const subject = typeof options?.name === 'string' ? `ladder "${options.name}"` : 'ladder';
    const { name, skip } = parseWith(subject, optionsSchema, options);
    (options.fallbacks ?? []).forEach((f, i) => {
      if (RESERVED.has(f.name)) throw new InvalidSpecError(subject, `fallbacks[${i}].name`, f.name, 'must not be a level name');
    });
    this.o = options;
    this.live = new LiveConfig(subject, tunableShape, tunableShape.partial(), { ...LADDER_DEFAULTS, ...defined({ name, skip }) } as LadderTunables);
  }

  get config(): Readonly<LadderTunables> {
    return this.live.current;
  }

  /** Change `skip` (or the name) at run time, e.g. `{ skip: ['primary'] }` to shed load by hand. */
  configure(patch: Partial<LadderTunables>): void {
    const { changed } = this.live.update(patch);
    reportConfigured(this.o.bus, 'ladder', this.live.current.name, changed);
  }

  /** Answer `input` from the highest level that can. */
  async execute(input: I, signal?: AbortSignal): Promise<DegradedResult<T, Q>> {
    const cfg = this.live.current;
    const skip = cfg.skip;
    const context = contextFor(signal);
    const failures: { source: string; error: unknown }[] = [];
    const degrade = this.o.shouldDegrade ?? (() => true);
    const attempt = async <R>(source: string, run: () => PromiseLike<R> | R): Promise<{ ok: true; value: R } | { ok: false }> => {
      try {
        return { ok: true, value: await run() };
      } catch (error) {
        if (isCallerAbort(signal) || !degrade(error)) throw error;
        failures.push({ source, error });
        return { ok: false };
      }
    };

    if (!skip.includes('primary')) {
      const r = await attempt('primary', () => this.o.primary(input, context));
      if (r.ok) {
        await this.store(input, r.value);
        return { level: 'primary', value: r.value, source: 'primary', failures };
      }
    }
    for (const f of this.o.fallbacks ?? []) {
      if (skip.includes(f.name)) continue;
      const r = await attempt(f.name, () => f.run(input, context));
      if (r.ok) {
        await this.store(input, r.value);
        return this.report({ level: 'fallback', value: r.value, source: f.name, failures });
      }
    }
    const cache = this.o.cache;
    if (cache !== undefined && !skip.includes('cache')) {
      const r = await attempt('cache', () => cache.get(this.keyOf(input)));
      if (r.ok && r.value !== undefined) {
        return this.report({ level: 'cache', value: r.value.value, source: 'cache', storedAt: r.value.storedAt, failures });
      }
    }
    const staticAnswer = this.o.staticAnswer;
    if (staticAnswer !== undefined && !skip.includes('static')) {
      const r = await attempt('static', () => staticAnswer(input, failures));
      if (r.ok) return this.report({ level: 'static', value: r.value, source: 'static', failures });
    }
    const queue = this.o.queue;
    if (queue !== undefined && !skip.includes('queue') && !skip.includes('queued')) {
      const r = await attempt('queue', () => queue(input, failures));
      if (r.ok) return this.report({ level: 'queued', ticket: r.value, source: 'queue', failures });
    }
    throw new FallbackExhaustedError(cfg.name, failures);
  }

  private keyOf(input: I): string {
    return this.o.cacheKey !== undefined ? this.o.cacheKey(input) : stableHash(input);
  }

  private async store(input: I, value: T): Promise<void> {
    if (this.o.cache === undefined) return;
    try {
      await this.o.cache.set(this.keyOf(input), value);
    } catch {
      // A cache that cannot store must not turn a good answer into a failure.
    }
  }

  private report(result: DegradedResult<T, Q>): DegradedResult<T, Q> {
    const bus = this.o.bus;
    if (result.level !== 'primary' && bus?.wants('degradation.degraded')) {
      bus.emit({ type: 'degradation.degraded', ladder: this.live.current.name, level: result.level, source: result.source, failures: result.failures.length });
    }
    return result;
  }
}
