/**
 * Loop detection on its own: identity by name and canonical arguments, whole turns admitted or
 * refused, and the invariant that no exact call is ever admitted more than `limit` times,
 * whatever the sequence of turns.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoopGuard, callKey, showArgs } from './guards.ts';

describe('loop guard', () => {
  it('treats arguments with the same content in another key order as the same call', () => {
    expect(callKey({ name: 'search', args: { q: 'otp', page: 2 } })).toBe(callKey({ name: 'search', args: { page: 2, q: 'otp' } }));
    expect(callKey({ name: 'search', args: { q: 'otp' } })).not.toBe(callKey({ name: 'fetch', args: { q: 'otp' } }));
    expect(callKey({ name: 'search', args: { q: 'otp' } })).not.toBe(callKey({ name: 'search', args: { q: 'otp ' } }));
  });

  it('admits a call limit times and refuses the next one, naming it and its count', () => {
    const guard = new LoopGuard(3);
    const call = { name: 'search', args: { q: 'otp' } };
    for (let i = 0; i < 3; i++) expect(guard.admit([call])).toBeUndefined();
    expect(guard.admit([call])).toEqual({ call, executed: 3 });
    expect(guard.countOf(call)).toBe(3);
    expect(showArgs(call)).toBe('{"q":"otp"}');
  });

  it('counts repeats within one turn, and records nothing from a refused turn', () => {
    const guard = new LoopGuard(2);
    const a = { name: 'a', args: {} };
    const b = { name: 'b', args: {} };
    expect(guard.admit([b, a, a, a])).toEqual({ call: a, executed: 2 });
    expect(guard.countOf(a)).toBe(0);
    expect(guard.countOf(b)).toBe(0);
    expect(guard.admit([a, b], false)).toBeUndefined();
    expect(guard.countOf(a)).toBe(0);
  });

  it('never lets limit + 1 identical calls through, for any sequence of turns', () => {
    const call = fc.record({ name: fc.constantFrom('search', 'fetch'), args: fc.record({ q: fc.constantFrom('a', 'b', 'c') }, { requiredKeys: [] }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.array(call, { maxLength: 4 }), { maxLength: 40 }), (limit, turns) => {
        const guard = new LoopGuard(limit);
        const executed = new Map<string, number>();
        for (const turn of turns) {
          const refused = guard.admit(turn);
          if (refused !== undefined) {
            expect(refused.executed + turn.filter((c) => callKey(c) === callKey(refused.call)).length).toBeGreaterThan(limit);
            continue;
          }
          for (const c of turn) executed.set(callKey(c), (executed.get(callKey(c)) ?? 0) + 1);
        }
        for (const n of executed.values()) expect(n).toBeLessThanOrEqual(limit);
      }),
    );
  });
});
