/**
 * Randomness, injected. Anything that jitters or samples takes a `Random` (`() => number` in
 * [0, 1)), so tests and chaos runs replay exactly from a seed. `seededRandom` is SplitMix32: a
 * few lines with good statistical quality, no dependency needed for that.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** The system's generator, for production use. */
export const systemRandom: Random = Math.random;

/** A deterministic generator: the same seed always yields the same sequence. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
}
