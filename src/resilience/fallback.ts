/**
 * Ordered fallback: try the first candidate (say, a model on one provider), and on a failure try
 * the next, in order, until one succeeds. The result says which candidate answered and what the
 * ones before it threw.
 *
 * Guarantees: candidates run one at a time, in order, never two at once; a failure that
 * `shouldFallBack` rejects (by default: the caller aborted) is rethrown at once without trying
 * the rest; when every candidate fails, {@link FallbackExhaustedError} lists each one's error.
 * Candidates named in `skip` (changeable at run time) are passed over, which is how an operator
 * takes a provider out of rotation without a deploy.
 */
import { z } from 'zod';
import { InvalidSpecError, WardenError, showValue, type EventBus } from '../runtime/index.ts';
import { LiveConfig, TunablePolicy, parseWith, schemas } from './options.ts';
import { contextFor, type PolicyContext } from './policy.ts';

/** Every candidate (or every level of a ladder) failed. */
export class FallbackExhaustedError extends WardenError<
  'FALLBACK_EXHAUSTED',
  {
    policy: string;
    /** Each candidate tried, in order, with what it threw. */
    failures: readonly { readonly source: string; readonly error: unknown }[];
  }
> {
  constructor(policy: string, failures: readonly { readonly source: string; readonly error: unknown }[]) {
    super(
      'FALLBACK_EXHAUSTED',
      `"${policy}": every option failed (${failures.map((f) => `${f.source}: ${showValue(f.error, 80)}`).join('; ') || 'none was enabled'})`,
      { policy, failures },
      { cause: failures.at(-1)?.error },
    );
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), failures: this.failures.map((f) => ({ source: f.source, error: showValue(f.error) })) };
  }
}

/** One option to try. */
export interface Candidate<I, T> {
  readonly name: string;
  readonly run: (input: I, context: PolicyContext) => PromiseLike<T> | T;
}

/** What a fallback returns: the value and where it came from. */
export interface FallbackResult<T> {
  readonly value: T;
  /** Name of the candidate that answered. */
  readonly source: string;
  /** Its position in the candidate list (0 = the first). */
  readonly index: number;
  /** What the candidates tried before it threw. */
  readonly failures: readonly { readonly source: string; readonly error: unknown }[];
}

export interface FallbackTunables {
  /** Name in events and errors. @default 'fallback' */
  readonly name: string;
  /** Candidate names to pass over. @default [] */
  readonly skip: readonly string[];
}

export const FALLBACK_DEFAULTS: FallbackTunables = Object.freeze({ name: 'fallback', skip: Object.freeze([]) });

export interface FallbackOptions<I, T> extends Partial<FallbackTunables> {
  /** Options in order of preference. */
  readonly candidates: readonly Candidate<I, T>[];
  /** Whether a failure should move on to the next candidate. @default not when the caller's signal aborted */
  readonly shouldFallBack?: (error: unknown) => boolean;
  readonly bus?: EventBus;
}

export const tunableShape = z.strictObject({ name: schemas.name, skip: z.array(z.string()) });
const candidateSchema = z.strictObject({ name: schemas.name, run: schemas.fn<Candidate<unknown, unknown>['run']>() });
const optionsSchema = tunableShape.partial().extend({
  candidates: z.array(candidateSchema).min(1),
  shouldFallBack: schemas.fn<(error: unknown) => boolean>().optional(),
  bus: schemas.bus.optional(),
});

/** The caller's abort is never a reason to try something else. */
export function isCallerAbort(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

export class Fallback<I, T> extends TunablePolicy<FallbackTunables> {
  private readonly candidates: readonly Candidate<I, T>[];
  private readonly shouldFallBack: (error: unknown) => boolean;
  protected readonly bus: EventBus | undefined;
  protected readonly live: LiveConfig<FallbackTunables>;

  constructor(options: FallbackOptions<I, T>) {
    super('fallback');
    const subject = typeof options?.name === 'string' ? `fallback "${options.name}"` : 'fallback';
    const { candidates, shouldFallBack, bus, ...rest } = parseWith(subject, optionsSchema, options);
    const seen = new Set<string>();
    candidates.forEach((c, i) => {
      if (seen.has(c.name)) throw new InvalidSpecError(subject, `candidates[${i}].name`, c.name, 'must be unique');
      seen.add(c.name);
    });
    this.candidates = Object.freeze([...(candidates as Candidate<I, T>[])]);
    this.shouldFallBack = shouldFallBack ?? (() => true);
    this.bus = bus;
    this.live = LiveConfig.withDefaults<FallbackTunables>(subject, tunableShape, FALLBACK_DEFAULTS, rest);
  }

  /** Try the candidates in order for `input`; resolve with the first success and its source. */
  async execute(input: I, signal?: AbortSignal): Promise<FallbackResult<T>> {
    const cfg = this.live.current;
    const context = contextFor(signal);
    const failures: { source: string; error: unknown }[] = [];
    for (let index = 0; index < this.candidates.length; index++) {
      const c = this.candidates[index] as Candidate<I, T>;
      if (cfg.skip.includes(c.name)) continue;
      try {
        const value = await c.run(input, context);
        if (failures.length > 0 && this.bus?.wants('fallback.used')) {
          this.bus.emit({ type: 'fallback.used', policy: cfg.name, source: c.name, index, failures: failures.length });
        }
        return { value, source: c.name, index, failures };
      } catch (error) {
        if (isCallerAbort(signal) || !this.shouldFallBack(error)) throw error;
        failures.push({ source: c.name, error });
      }
    }
    throw new FallbackExhaustedError(cfg.name, failures);
  }
}
