/**
 * The restart window stamps restarts in whole seconds, as OTP does: two restarts up to
 * `periodSeconds` apart always count together, more than `periodSeconds + 1` apart never do.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RestartIntensity } from './restart-intensity.ts';

describe('RestartIntensity', () => {
  it('allows exactly intensity restarts and escalates on the next', () => {
    const w = new RestartIntensity(3, 5);
    expect([0, 100, 200].map((t) => w.record(t))).toEqual(['ok', 'ok', 'ok']);
    expect(w.record(300)).toBe('escalate');
  });

  it('escalates on the first restart when intensity is 0', () => {
    expect(new RestartIntensity(0, 5).record(0)).toBe('escalate');
  });

  it('counts in whole seconds: 999 ms and 1001 ms fall in one window, so do 0 ms and 1999 ms, but not 0 ms and 2000 ms', () => {
    const a = new RestartIntensity(1, 1);
    expect(a.record(999)).toBe('ok');
    expect(a.record(1001)).toBe('escalate'); // stamps 0 and 1: threshold 0 keeps the first
    const b = new RestartIntensity(1, 1);
    expect(b.record(0)).toBe('ok');
    expect(b.record(1999)).toBe('escalate'); // stamps 0 and 1, although 1.999 s apart
    const c = new RestartIntensity(1, 1);
    expect(c.record(0)).toBe('ok');
    expect(c.record(2000)).toBe('ok'); // stamps 0 and 2: threshold 1 drops the first
  });

  it('always counts restarts up to period apart together and never those more than period + 1 apart (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 12_000 }), (period, t0, gap) => {
        const w = new RestartIntensity(1, period);
        w.record(t0);
        const verdict = w.record(t0 + gap);
        if (gap <= period * 1000) expect(verdict).toBe('escalate');
        if (gap > (period + 1) * 1000) expect(verdict).toBe('ok');
      }),
    );
  });
});
