/**
 * A bad scenario file: the first problem becomes an `InvalidSpecError` naming the field by its path
 * (`supervisor.children[1].shutdown`, `script[0].do`) and the value found there, so the author can
 * find it in the file.
 */
import { describe, expect, it } from 'vitest';
import { isWardenError } from '../../runtime/index.ts';
import { parseScenario } from './scenario.ts';

function problemOf(input: unknown): { path: string; value: unknown; why: string; message: string } {
  try {
    parseScenario(input);
  } catch (e) {
    if (!isWardenError(e, 'INVALID_SPEC')) throw e;
    return { path: e.path, value: e.value, why: e.why, message: e.message };
  }
  throw new Error('the scenario was accepted');
}

describe('parseScenario', () => {
  it('accepts a scenario with a tree and a script', () => {
    const s = parseScenario({ supervisor: { strategy: 'one_for_one', children: [{ id: 'a' }] }, script: [{ do: 'kill', at: 10, id: 'a' }] });
    expect(s.script?.[0]).toEqual({ do: 'kill', at: 10, id: 'a' });
  });

  it('names a bad field inside a child by its path, with the value found', () => {
    const p = problemOf({ supervisor: { children: [{ id: 'a' }, { id: 'b', shutdown: -5 }] } });
    expect(p.path).toBe('supervisor.children[1].shutdown');
    expect(p.value).toBe(-5);
    expect(p.message).toMatch(/^scenario: supervisor\.children\[1\]\.shutdown .+ \(got -5\)$/);
  });

  it('names an unknown field by its path', () => {
    const p = problemOf({ supervisor: { children: [{ id: 'a', restrat: 'permanent' }] } });
    expect(p.path).toBe('supervisor.children[0].restrat');
    expect(p.why).toBe('is not a known field');
  });

  it('names an unknown action of the script by its index', () => {
    const p = problemOf({
      supervisor: {},
      script: [
        { do: 'kill', id: 'a' },
        { do: 'explode', id: 'a' },
      ],
    });
    expect(p.path).toBe('script[1].do');
    expect(p.value).toBe('explode');
    expect(p.why).toBe('is not a known action');
  });
});
