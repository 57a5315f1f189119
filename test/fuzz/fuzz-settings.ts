/**
 * Shared settings for the boundary fuzzers in this folder. Each property runs a small, fixed
 * number of cases with a fixed seed, so `npm test` stays quick and the same every run;
 * `WARDEN_FUZZ_RUNS=5000` runs longer and `WARDEN_FUZZ_SEED=<n>` replays a seed that fast-check
 * printed (with `path` from its report, pass `WARDEN_FUZZ_PATH` to jump straight to the
 * shrunk case).
 */
import fc from 'fast-check';
import { isWardenError } from '../../src/runtime/index.ts';

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${name} must be an integer (got ${JSON.stringify(raw)})`);
  return n;
}

/** fast-check parameters for one property: `runs` by default, overridden by the environment. */
export function fuzzParams(runs: number): fc.Parameters<unknown> {
  const path = process.env.WARDEN_FUZZ_PATH;
  return {
    numRuns: envInt('WARDEN_FUZZ_RUNS') ?? runs,
    seed: envInt('WARDEN_FUZZ_SEED') ?? 20261202,
    ...(path === undefined || path === '' ? {} : { path }),
  };
}

/**
 * Anything a caller could hand a boundary by mistake: JSON values plus the things JSON has no
 * word for (undefined, NaN, infinities, -0, bigints, symbols, functions, dates, class
 * instances, sparse arrays, objects with no prototype).
 */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(undefined, null, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, '', ' ', '0', 'true', '-1'),
  fc.double(),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.bigInt({ min: -10n, max: 10n }),
  fc.constantFrom(Symbol('x'), () => 1, new Date(Number.NaN), new Map(), new Array<number>(3), Object.create(null) as object),
  fc.string({ maxLength: 12 }),
);

/** True when `e` is a Warden error whose message is not empty. */
export function isTypedRejection(e: unknown): boolean {
  return isWardenError(e) && typeof (e as Error).message === 'string' && (e as Error).message.length > 0;
}

/**
 * Run `build` and accept either a value or a typed Warden error; any other throw (a TypeError
 * from deep inside, a RangeError) fails the property with the original error attached.
 */
export function acceptsOrRejectsTyped<T>(build: () => T): T | undefined {
  try {
    return build();
  } catch (e) {
    if (isTypedRejection(e)) return undefined;
    throw new Error(`expected a typed Warden error, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
  }
}

/** The async form of `acceptsOrRejectsTyped`. */
export async function settlesOrRejectsTyped<T>(build: () => Promise<T>): Promise<T | undefined> {
  try {
    return await build();
  } catch (e) {
    if (isTypedRejection(e)) return undefined;
    throw new Error(`expected a typed Warden error, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
  }
}
