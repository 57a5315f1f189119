/**
 * The two invariants every monitor rests on, as properties: the gate raises at most one alert
 * per kind and subject per cool-down and accounts for every repeat it folds; the sliding window's
 * sum is exactly what was added within the window.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventBus, VirtualClock } from '../runtime/index.ts';
import { AlertGate, type Alert } from './alert.ts';
import { SlidingWindow } from './sliding-window.ts';

describe('AlertGate', () => {
  it('raises at most one alert per subject per cool-down, the first at once, and folds the rest into the next', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.record({ afterMs: fc.integer({ min: 0, max: 5_000 }), subject: fc.constantFrom('a', 'b', 'c') }), { maxLength: 200 }),
        async (cooldownMs, raises) => {
          const clock = new VirtualClock();
          const bus = new EventBus(clock);
          const alerts: Alert[] = [];
          bus.on('alert.raised', (e) => alerts.push(e.alert));
          const gate = new AlertGate('m', bus, clock, cooldownMs);
          const calls = new Map<string, number>();
          for (const { afterMs, subject } of raises) {
            await clock.advance(afterMs);
            calls.set(subject, (calls.get(subject) ?? 0) + 1);
            gate.raise({ kind: 'spend_rate', severity: 'warning', subject, message: '', value: 1, threshold: 0 });
          }
          for (const [subject, n] of calls) {
            const mine = alerts.filter((a) => a.subject === subject);
            expect(mine.length).toBeGreaterThanOrEqual(1);
            for (let i = 1; i < mine.length; i++) expect(mine[i]!.at - mine[i - 1]!.at).toBeGreaterThanOrEqual(cooldownMs);
            const accounted = mine.length + mine.reduce((sum, a) => sum + a.suppressed, 0);
            expect(accounted).toBeLessThanOrEqual(n);
            expect(mine[0]!.suppressed).toBe(0);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('SlidingWindow', () => {
  it('sums exactly what was added within the window ending now', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        fc.array(fc.record({ afterMs: fc.integer({ min: 0, max: 300 }), amount: fc.integer({ min: 0, max: 100 }) }), { maxLength: 300 }),
        (windowMs, adds) => {
          const window = new SlidingWindow(windowMs);
          const added: { at: number; amount: number }[] = [];
          let now = 0;
          for (const { afterMs, amount } of adds) {
            now += afterMs;
            window.add(now, amount);
            added.push({ at: now, amount });
            const expected = added.filter((a) => a.at > now - windowMs).reduce((sum, a) => sum + a.amount, 0);
            expect(window.sum(now)).toBe(expected);
          }
        },
      ),
    );
  });
});
