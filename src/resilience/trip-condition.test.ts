/** Trip conditions: consecutive failures and failure rate over a sliding window. */
import { describe, expect, it } from 'vitest';
import { createTripCounter } from './trip-condition.ts';

describe('consecutive trip', () => {
  it('trips at the N-th failure in a row and restores its count from a snapshot', () => {
    const c = createTripCounter({ kind: 'consecutive', failures: 3 });
    expect([c.recordFailure(0), c.recordFailure(0)]).toEqual([false, false]);
    const copy = createTripCounter({ kind: 'consecutive', failures: 3 }, c.snapshot());
    expect(copy.recordFailure(0)).toBe(true);
    expect(c.usesTime).toBe(false);
  });
});

describe('rate trip', () => {
  const spec = { kind: 'rate', threshold: 0.5, windowMs: 1000, minThroughput: 4, buckets: 10 } as const;

  it('needs minThroughput calls in the window before the ratio counts', () => {
    const c = createTripCounter(spec);
    expect(c.recordFailure(0)).toBe(false);
    expect(c.recordFailure(10)).toBe(false);
    expect(c.recordFailure(20)).toBe(false);
    expect(c.recordFailure(30)).toBe(true);
  });

  it('drops whole slices as the window slides', () => {
    const c = createTripCounter(spec);
    c.recordFailure(0);
    c.recordFailure(50);
    c.recordFailure(99); // slice 0
    c.recordSuccess(950); // slice 9
    // at t=1000 slice 0 has left the window: 1 success + this failure = 2 calls < minThroughput
    expect(c.recordFailure(1000)).toBe(false);
    expect(c.snapshot()).toEqual({
      kind: 'rate',
      slices: [
        { index: 10, successes: 0, failures: 1 },
        { index: 9, successes: 1, failures: 0 },
      ],
    });
  });

  it('restores slices from a snapshot', () => {
    const c = createTripCounter(spec);
    c.recordFailure(0);
    c.recordFailure(1);
    c.recordFailure(2);
    const copy = createTripCounter(spec, JSON.parse(JSON.stringify(c.snapshot())));
    expect(copy.recordFailure(3)).toBe(true);
  });
});
