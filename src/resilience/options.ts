/**
 * Options and hot configuration for every policy.
 *
 * A policy's options are validated once, with zod, when it is built, and again on every
 * `configure(partial)` at run time. Each zod issue becomes an `InvalidSpecError` that names the
 * policy, the field path (`halfOpen.maxProbes`) and the value it got; when one input has several
 * problems the first is thrown and the others are listed in its message. Nothing is half-applied:
 * a bad update throws and the policy keeps the configuration it had. Validation never runs on the
 * hot path: policies read a frozen, already-resolved config object.
 */
import { z } from 'zod';
import type { Clock, EventBus, Random } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';

// Public here (`warden/resilience`); written once in the runtime, which every layer shares.
export { formatPath, issuesToErrors, parseWith } from '../runtime/internal.ts';

// ---- shared schema pieces ------------------------------------------------------------------

const isClock = (v: unknown): v is Clock =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Clock).now === 'function' &&
  typeof (v as Clock).setTimer === 'function' &&
  typeof (v as Clock).sleep === 'function';

const isBus = (v: unknown): v is EventBus =>
  typeof v === 'object' && v !== null && typeof (v as EventBus).emit === 'function' && typeof (v as EventBus).wants === 'function';

/** Schema pieces reused by every policy's options. */
export const schemas = {
  name: z.string().min(1),
  clock: z.custom<Clock>(isClock, { message: 'must be a Clock (now, setTimer, sleep)' }),
  random: z.custom<Random>((v) => typeof v === 'function', { message: 'must be a function returning [0, 1)' }),
  bus: z.custom<EventBus>(isBus, { message: 'must be an EventBus' }),
  fn: <F>() => z.custom<F>((v) => typeof v === 'function', { message: 'must be a function' }),
  /** Milliseconds: a finite number >= 0. */
  ms: z.number().min(0).finite(),
  /** Milliseconds or Infinity (zod 4's number() refuses Infinity). */
  msOrInfinity: z.custom<number>((v) => typeof v === 'number' && v >= 0, { message: 'must be a number >= 0 or Infinity' }),
  positiveInt: z.number().int().min(1),
  nonNegativeInt: z.number().int().min(0),
} as const;

/** Options every policy accepts for its wiring: where time, randomness and events come from. */
export interface WiringOptions {
  /** Clock for every wait and timestamp. @default realClock */
  readonly clock?: Clock;
  /** Event stream the policy reports on. @default none (no events built) */
  readonly bus?: EventBus;
}

/**
 * The live configuration of one policy: a frozen object swapped whole by `update`, after the
 * merged result validated. `onChange` lets the policy react (wake waiters, resize a window).
 */
export class LiveConfig<C extends object> {
  private value: Readonly<C>;
  private readonly subject: string;
  private readonly patchSchema: z.ZodType;
  private readonly fullSchema: z.ZodType;

  constructor(subject: string, fullSchema: z.ZodType, patchSchema: z.ZodType, initial: C) {
    this.subject = subject;
    this.fullSchema = fullSchema;
    this.patchSchema = patchSchema;
    this.value = Object.freeze(parseWith(subject, fullSchema, initial) as C);
  }

  /**
   * `defaults` with the options `given` over them (those `undefined` keep the default), checked
   * whole by `fullSchema` (default `shape`); a patch is checked by `shape.partial()`.
   */
  static withDefaults<C extends object>(subject: string, shape: z.ZodObject, defaults: object, given: object, fullSchema: z.ZodType = shape): LiveConfig<C> {
    return new LiveConfig<C>(subject, fullSchema, shape.partial(), { ...defaults, ...defined(given) } as C);
  }

  get current(): Readonly<C> {
    return this.value;
  }

  /**
   * Validate `patch`, merge it over the current config, validate the result, and only then swap
   * it in. Returns the names of the fields whose value changed.
   */
  update(patch: unknown): { readonly previous: Readonly<C>; readonly changed: readonly string[] } {
    const parsed = parseWith(this.subject, this.patchSchema, patch) as Partial<C>;
    const merged = { ...this.value } as Record<string, unknown>;
    for (const [k, v] of Object.entries(parsed)) if (v !== undefined) merged[k] = v;
    const next = Object.freeze(parseWith(this.subject, this.fullSchema, merged) as C);
    const previous = this.value;
    const changed = Object.keys(next).filter((k) => !sameValue((previous as Record<string, unknown>)[k], (next as Record<string, unknown>)[k]));
    this.value = next;
    return { previous, changed };
  }
}

/** Equal as plain data (zod returns fresh copies of nested objects, so identity is not enough). */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

/**
 * What a tunable policy shares: `config`, its live options, and `configure`, which changes them
 * at run time and reports `policy.configured` (of `kind`) on the policy's bus.
 */
export abstract class TunablePolicy<C extends { readonly name: string }> {
  protected abstract readonly bus: EventBus | undefined;
  protected abstract readonly live: LiveConfig<C>;
  readonly #kind: string;

  constructor(kind: string) {
    this.#kind = kind;
  }

  /** The current options. */
  get config(): Readonly<C> {
    return this.live.current;
  }

  /** Change options at run time; a bad update throws `InvalidSpecError` and changes nothing. */
  configure(patch: Partial<C>): void {
    const { changed } = this.live.update(patch);
    reportConfigured(this.bus, this.#kind, this.live.current.name, changed);
  }
}

/** Emit `policy.configured` if anyone listens. */
export function reportConfigured(bus: EventBus | undefined, kind: string, policy: string, changed: readonly string[]): void {
  if (bus?.wants('policy.configured')) {
    bus.emit({ type: 'policy.configured', kind, policy, changed });
  }
}

/** Drop keys whose value is `undefined` (so defaults apply under exactOptionalPropertyTypes). */
export function defined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
