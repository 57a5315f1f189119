/**
 * Fuzzing every resilience policy's options: each policy is built from a valid option set with
 * fields replaced, removed or misspelt, then reconfigured at run time with another such patch,
 * then run once. Every refusal is an `InvalidSpecError` (or the policy's own typed error) naming
 * the field; nothing escapes as a TypeError or RangeError, and a refused `configure` leaves the
 * policy's configuration as it was. A circuit breaker's `initialState` (a snapshot that may come
 * from another process or an older version) is fuzzed the same way.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Budget,
  CircuitBreaker,
  DegradationLadder,
  Fallback,
  InProcessResultCache,
  ProviderLimiter,
  Quarantine,
  ResourceManager,
  Retry,
  Semaphore,
  SpawnGuard,
  Timeout,
  TokenBucket,
} from '../../src/resilience/index.ts';
import { VirtualClock, isWardenError, settle, showValue } from '../../src/runtime/index.ts';
import { anyValue, fuzzParams, isTypedRejection } from './fuzz-settings.ts';

/** A plausible value for a numeric or named field, or anything at all. */
const fieldValue = fc.oneof(
  { weight: 3, arbitrary: anyValue },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 2, 3, 10, 0.5, 1.5, 100, 1e9, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, -1, Number.POSITIVE_INFINITY) },
  { weight: 1, arbitrary: fc.constantFrom('retry', 'cooperative', 'aggressive', 'transient', 'all', 'never', 'consecutive', 'rate') },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        kind: fc.constantFrom('consecutive', 'rate', 'other'),
        failures: anyValue,
        threshold: anyValue,
        windowMs: anyValue,
        minThroughput: anyValue,
        buckets: anyValue,
      },
      { requiredKeys: ['kind'] },
    ),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('usd', 'tokens', 'wallMs', 'steps', 'pounds'), anyValue, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.string({ maxLength: 3 }), anyValue), { maxLength: 3 }) },
);

/** A mutation of `base`: some keys (from `keys`, plus a misspelt one) set to fuzzed values, some removed. */
function optionsFrom(base: Record<string, unknown>, keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.dictionary(fc.constantFrom(...keys, 'nmae', 'clock', 'bus'), fieldValue, { maxKeys: 3 }),
      fc.subarray(Object.keys(base), { maxLength: Math.min(1, Object.keys(base).length) }),
    )
    .map(([patch, removed]) => {
      const out: Record<string, unknown> = { ...base, ...patch };
      for (const k of removed) delete out[k];
      return out;
    });
}

interface PolicyCase {
  readonly name: string;
  readonly base: Record<string, unknown>;
  readonly keys: readonly string[];
  readonly build: (options: Record<string, unknown>) => unknown;
  /** Run the policy once (the result is not awaited past a settle). */
  readonly run?: (policy: never) => Promise<unknown>;
}

const ok = async () => 'ok';

const cases: PolicyCase[] = [
  {
    name: 'Retry',
    base: {},
    keys: ['name', 'maxAttempts', 'baseDelayMs', 'maxDelayMs', 'factor', 'maxRetryAfterMs', 'retryOn', 'random', 'classify'],
    build: (o) => new Retry(o),
    run: (p: Retry) => p.execute(ok),
  },
  {
    name: 'Timeout',
    base: {},
    keys: ['name', 'timeoutMs', 'strategy'],
    build: (o) => new Timeout(o),
    run: (p: Timeout) => p.execute(ok),
  },
  {
    name: 'CircuitBreaker',
    base: {},
    keys: ['name', 'trip', 'openMs', 'openBackoffFactor', 'maxOpenMs', 'halfOpenMaxProbes', 'halfOpenSuccesses', 'isFailure', 'initialState', 'sharing'],
    build: (o) => new CircuitBreaker(o),
    run: (p: CircuitBreaker) => p.execute(ok),
  },
  {
    name: 'Budget',
    base: { scope: 'run:1' },
    keys: ['scope', 'limits', 'defaultEstimate', 'pricing', 'ledger'],
    build: (o) => new Budget(o as never),
    run: (p: Budget) => p.execute(ok),
  },
  {
    name: 'Semaphore',
    base: {},
    keys: ['name', 'maxConcurrent', 'maxQueue', 'queueTimeoutMs'],
    build: (o) => new Semaphore(o),
    run: (p: Semaphore) => p.execute(ok),
  },
  {
    name: 'TokenBucket',
    base: {},
    keys: ['name', 'perMinute', 'burst', 'maxQueue', 'queueTimeoutMs'],
    build: (o) => new TokenBucket(o),
    run: (p: TokenBucket) => p.execute(ok),
  },
  {
    name: 'ProviderLimiter',
    base: { provider: 'openai', requestsPerMinute: 60 },
    keys: ['provider', 'requestsPerMinute', 'tokensPerMinute', 'maxConcurrent', 'maxQueue', 'queueTimeoutMs'],
    build: (o) => new ProviderLimiter(o as never),
    run: (p: ProviderLimiter) => p.execute(ok),
  },
  {
    name: 'Fallback',
    base: { candidates: [{ name: 'a', run: ok }] },
    keys: ['name', 'skip', 'candidates', 'shouldFallBack'],
    build: (o) => new Fallback(o as never),
    run: (p: Fallback<unknown, unknown>) => p.execute(undefined),
  },
  {
    name: 'DegradationLadder',
    base: { primary: ok },
    keys: ['name', 'skip', 'primary', 'fallbacks', 'cache', 'cacheKey', 'staticAnswer', 'queue', 'shouldDegrade'],
    build: (o) => new DegradationLadder(o as never),
    run: (p: DegradationLadder<unknown, unknown>) => p.execute(undefined),
  },
  {
    name: 'Quarantine',
    base: {},
    keys: ['name', 'maxCrashes', 'crashWindowMs', 'store', 'isCrash'],
    build: (o) => new Quarantine(o),
    run: (p: Quarantine) => p.run('input-key', ok),
  },
  {
    name: 'SpawnGuard',
    base: {},
    keys: ['name', 'maxHoldMs', 'store'],
    build: (o) => new SpawnGuard(o),
    run: (p: SpawnGuard) => p.run('memory-sync', ok),
  },
  {
    name: 'ResourceManager',
    base: {},
    keys: ['name', 'acquireTimeoutMs', 'maxQueue', 'resources'],
    build: (o) => new ResourceManager(o),
  },
  {
    name: 'InProcessResultCache',
    base: {},
    keys: ['maxEntries', 'ttlMs'],
    build: (o) => new InProcessResultCache(o),
  },
];

function expectTyped(e: unknown, what: string): void {
  if (isTypedRejection(e)) return;
  throw new Error(`${what}: expected a typed Warden error, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
}

describe('fuzzing resilience policy options', () => {
  it.each(cases)('$name: builds, reconfigures and runs, or refuses with a typed error naming the field', async (c) => {
    const options = optionsFrom(c.base, c.keys);
    let built = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(options, options, fc.boolean(), async (given, patch, virtual) => {
        const clock = new VirtualClock();
        const withClock = virtual && c.name !== 'Fallback' && c.name !== 'DegradationLadder' ? { clock, ...given } : given;
        let policy: unknown;
        try {
          policy = c.build(withClock);
        } catch (e) {
          expectTyped(e, `new ${c.name}(${Object.keys(given).join(', ')})`);
          if (isWardenError(e, 'INVALID_SPEC')) expect(e.message).toContain(e.path);
          refused++;
          return;
        }
        built++;
        const live = policy as { configure?: (p: unknown) => void; config?: unknown };
        if (typeof live.configure === 'function') {
          const before = JSON.stringify(live.config);
          try {
            live.configure(patch);
          } catch (e) {
            expectTyped(e, `${c.name}.configure`);
            expect(JSON.stringify(live.config)).toBe(before);
          }
        }
        if (c.run !== undefined) {
          let failure: unknown;
          let settled = false;
          (c.run as (p: unknown) => Promise<unknown>)(policy).then(
            () => {
              settled = true;
            },
            (e: unknown) => {
              settled = true;
              failure = e;
            },
          );
          await settle();
          if (virtual) await clock.advance(60_000);
          if (settled && failure !== undefined) expectTyped(failure, `${c.name}.execute`);
        }
      }),
      fuzzParams(c.name === 'CircuitBreaker' ? 200 : 120),
    );
    // Both outcomes happen, so the property is not vacuous.
    expect(built).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it.each(cases)('$name: refuses options that are no object (null, a number, a string) with INVALID_SPEC', (c) => {
    fc.assert(
      fc.property(anyValue, (options) => {
        if (options === undefined || (typeof options === 'object' && options !== null && !Array.isArray(options))) return;
        try {
          c.build(options as never);
        } catch (e) {
          expectTyped(e, `new ${c.name}(${showValue(options)})`);
          return;
        }
        throw new Error(`new ${c.name}(${showValue(options)}) was accepted`);
      }),
      fuzzParams(60),
    );
  });

  it("restores a breaker from a fuzzed snapshot or refuses it naming initialState's field", () => {
    const snapshot = fc.record({
      state: fc.oneof(
        fc.record(
          {
            kind: fc.constantFrom('closed', 'open', 'half_open', 'isolated', 'melted'),
            since: fieldValue,
            openedAt: fieldValue,
            openUntil: fieldValue,
            openings: fieldValue,
            inFlight: fieldValue,
            successes: fieldValue,
          },
          { requiredKeys: ['kind'] },
        ),
        anyValue,
      ),
      trip: fc.oneof(
        fc.record(
          {
            kind: fc.constantFrom('consecutive', 'rate'),
            failures: fieldValue,
            slices: fc.array(fc.record({ index: fieldValue, successes: fieldValue, failures: fieldValue }), { maxLength: 3 }),
          },
          { requiredKeys: ['kind'] },
        ),
        anyValue,
      ),
      version: fc.option(fc.nat(), { nil: undefined }),
    });
    fc.assert(
      fc.property(snapshot, fc.constantFrom({ kind: 'consecutive' }, { kind: 'rate' }), (initialState, trip) => {
        const clock = new VirtualClock();
        try {
          const breaker = new CircuitBreaker({ clock, trip: trip as never, initialState: initialState as never });
          expect(() => JSON.stringify(breaker.toJSON())).not.toThrow();
        } catch (e) {
          expectTyped(e, 'new CircuitBreaker({ initialState })');
        }
      }),
      fuzzParams(300),
    );
  });
});
