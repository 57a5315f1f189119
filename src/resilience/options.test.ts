/** Option validation and live configuration shared by every policy. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isWardenError } from '../runtime/index.ts';
import { LiveConfig, formatPath, parseWith } from './options.ts';

const shape = z.strictObject({ n: z.number().int().min(1), mode: z.enum(['a', 'b']), nested: z.strictObject({ ms: z.number().min(0) }) });

describe('parseWith', () => {
  it('throws an InvalidSpecError naming the subject, the field path and the value', () => {
    let error: unknown;
    try {
      parseWith('thing "x"', shape, { n: 1, mode: 'a', nested: { ms: -5 } });
    } catch (e) {
      error = e;
    }
    expect(isWardenError(error, 'INVALID_SPEC')).toBe(true);
    expect(error).toMatchObject({ subject: 'thing "x"', path: 'nested.ms', value: -5, message: 'thing "x": nested.ms must be >= 0 (got -5)' });
  });

  it('names the first problem and lists the paths of the others', () => {
    expect(() => parseWith('t', shape, { n: 0, mode: 'c', nested: { ms: 1, extra: true } })).toThrow(
      't: n must be >= 1; also invalid: mode, nested.extra (got 0)',
    );
  });

  it('says a missing field is required and an unknown one is not an option', () => {
    expect(() => parseWith('t', shape, { mode: 'a', nested: { ms: 1 } })).toThrow('t: n is required (got undefined)');
    expect(() => parseWith('t', shape, { n: 1, mode: 'a', nested: { ms: 1 }, nn: 2 })).toThrow('t: nn is not a known option (got 2)');
  });

  it('formats array paths', () => {
    expect(formatPath(['candidates', 2, 'name'])).toBe('candidates[2].name');
  });
});

describe('LiveConfig', () => {
  it('swaps in a validated merge and reports the fields that changed', () => {
    const live = new LiveConfig('t', shape, shape.partial(), { n: 1, mode: 'a', nested: { ms: 0 } });
    const before = live.current;
    expect(Object.isFrozen(before)).toBe(true);
    expect(live.update({ n: 2, mode: 'a' }).changed).toEqual(['n']);
    expect(live.current).toEqual({ n: 2, mode: 'a', nested: { ms: 0 } });
  });

  it('changes nothing when the update is invalid', () => {
    const live = new LiveConfig('t', shape, shape.partial(), { n: 1, mode: 'a', nested: { ms: 0 } });
    const before = live.current;
    expect(() => live.update({ n: 3, mode: 'z' })).toThrow(/mode must be one of "a", "b"/);
    expect(live.current).toBe(before);
  });
});
