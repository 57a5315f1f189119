/**
 * The timer heap: order by (due, creation), cancellation by handle, and a size that stays
 * proportional to the live timers however many are cancelled.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimerHeap } from './timer-heap.ts';

describe('TimerHeap', () => {
  it('gives back live timers in (due, creation) order, whatever was cancelled (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 3000 }), (spec) => {
        const heap = new TimerHeap();
        const entries = spec.map(([at], i) => ({ at, i, e: heap.add(at, () => {}) }));
        spec.forEach(([, cancel], i) => {
          if (cancel) entries[i]?.e.cancel();
        });
        const expected = entries
          .filter((_, i) => !spec[i]?.[1])
          .sort((a, b) => a.at - b.at || a.i - b.i)
          .map((x) => x.e);
        const got = [];
        for (let e = heap.take(); e !== undefined; e = heap.take()) got.push(e);
        expect(got).toEqual(expected);
        expect(heap.live).toBe(0);
      }),
    );
  });

  it('does not keep cancelled timers around: its size follows the live ones', () => {
    const heap = new TimerHeap();
    const keep = heap.add(1e9, () => {});
    for (let i = 0; i < 100_000; i++) heap.add(5000 + i, () => {}).cancel();
    expect(heap.live).toBe(1);
    expect((heap as unknown as { heap: unknown[] }).heap.length).toBeLessThan(3000);
    expect(heap.take()).toBe(keep);
  });
});
