/** Canonical JSON and the stable input hash. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson, stableHash } from './stable-hash.ts';

describe('stableHash', () => {
  it('gives the same key whatever the key order, and different keys for different data', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 'x' }] })).toBe('{"a":[1,{"c":"x","d":2}],"b":1}');
    expect(stableHash({ b: 1, a: 2 })).toBe(stableHash({ a: 2, b: 1 }));
    expect(stableHash({ a: 1 })).not.toBe(stableHash({ a: '1' }));
    expect(stableHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses values JSON cannot carry, naming where they sit', () => {
    expect(() => stableHash({ a: [1, () => 0] })).toThrow(/\$\.a\[1\] must be plain JSON data/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => stableHash(cyclic)).toThrow(/\$\.self must not refer back to itself/);
    expect(() => stableHash({ n: Number.NaN })).toThrow(/\$\.n must be a finite number/);
  });

  it('matches JSON.parse(canonical) round trips for any JSON value (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => stableHash(JSON.parse(canonicalJson(v))) === stableHash(v)));
  });
});
