/**
 * A host's run definitions: one per name (the same one registered twice is harmless, another
 * under a taken name is refused), and an unknown name is refused listing the known ones.
 */
import { describe, expect, it } from 'vitest';
import { defineRun } from './definition.ts';
import { RunRegistry } from './run-registry.ts';

const digest = defineRun('digest', async () => 'ok');

describe('RunRegistry', () => {
  it('returns the definition registered under a name, and accepts the same one again', () => {
    const r = new RunRegistry();
    r.register(digest);
    r.register(digest);
    expect(r.get('digest')).toBe(digest);
    expect(r.has('digest')).toBe(true);
    expect(r.names()).toEqual(['digest']);
  });

  it('refuses a different definition under a taken name, naming it, and keeps the first', () => {
    const r = new RunRegistry();
    r.register(digest);
    expect(() => r.register(defineRun('digest', async () => 'other'))).toThrow(
      expect.objectContaining({ code: 'INVALID_SPEC', path: 'runs', value: 'digest' }),
    );
    expect(r.get('digest')).toBe(digest);
  });

  it('refuses an unknown name, listing the registered ones', () => {
    const r = new RunRegistry();
    expect(() => r.get('digest')).toThrow(expect.objectContaining({ code: 'UNKNOWN_RUN', runName: 'digest', known: [] }));
    r.register(digest);
    r.register(defineRun('report', async () => 'ok'));
    expect(() => r.get('nope')).toThrow(expect.objectContaining({ code: 'UNKNOWN_RUN', runName: 'nope', known: ['digest', 'report'] }));
    expect(r.has('nope')).toBe(false);
  });
});
