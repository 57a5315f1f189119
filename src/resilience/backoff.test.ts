/** Exponential backoff with full jitter. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRandom } from '../runtime/index.ts';
import { backoffCap, fullJitterDelay } from './backoff.ts';

describe('full-jitter backoff', () => {
  it('grows the cap exponentially up to maxDelayMs', () => {
    const o = { baseDelayMs: 100, maxDelayMs: 1000, factor: 2 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCap(n, o))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffCap(10_000, o)).toBe(1000);
  });

  it('draws the same delays from the same seed', () => {
    const o = { baseDelayMs: 100, maxDelayMs: 10_000, factor: 2 };
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = [1, 2, 3, 4].map((n) => fullJitterDelay(n, o, a));
    expect([1, 2, 3, 4].map((n) => fullJitterDelay(n, o, b))).toEqual(xs);
    expect(new Set(xs).size).toBe(4);
  });

  it('always falls in [0, cap] (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer(),
        (retry, baseDelayMs, extra, factor, seed) => {
          const o = { baseDelayMs, maxDelayMs: baseDelayMs + extra, factor };
          const d = fullJitterDelay(retry, o, seededRandom(seed));
          const cap = backoffCap(retry, o);
          return d >= 0 && d <= cap && cap <= o.maxDelayMs;
        },
      ),
    );
  });
});
