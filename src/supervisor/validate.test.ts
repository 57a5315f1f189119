/**
 * Spec validation: every bad field is reported by path and value before anything starts,
 * with OTP's term for the problem; defaults are applied as documented.
 */
import { describe, expect, it } from 'vitest';
import { type InvalidSpecError, isWardenError } from '../runtime/index.ts';
import { CHILD_DEFAULTS, SUPERVISOR_DEFAULTS, resolveSupervisorSpec, worker, type SupervisorSpec } from './index.ts';

const start = worker(async () => {});

function problem(spec: unknown): InvalidSpecError {
  try {
    resolveSupervisorSpec(spec as SupervisorSpec);
  } catch (e) {
    if (isWardenError(e, 'INVALID_SPEC')) return e as InvalidSpecError;
    throw e;
  }
  throw new Error('expected the spec to be rejected');
}

describe('supervisor spec validation', () => {
  it.each<[string, unknown, string, unknown]>([
    ['an unknown strategy', { strategy: 'one_for_some' }, 'strategy', { invalid_strategy: 'one_for_some' }],
    ['a negative intensity', { intensity: -1 }, 'intensity', { invalid_intensity: -1 }],
    ['a fractional intensity', { intensity: 1.5 }, 'intensity', { invalid_intensity: 1.5 }],
    ['a zero period', { periodSeconds: 0 }, 'periodSeconds', { invalid_period: 0 }],
    ['an unknown autoShutdown', { autoShutdown: 'sometimes' }, 'autoShutdown', { invalid_auto_shutdown: 'sometimes' }],
    ['a misspelt option', { intensty: 3 }, 'intensty', { unknown_option: 'intensty' }],
    ['a child without id', { children: [{ start }] }, 'children[0].id', 'missing_id'],
    ['a child without start', { children: [{ id: 'a' }] }, 'children[0].start', 'missing_start'],
    ['a bad restart type', { children: [{ id: 'a', start, restart: 'sometimes' }] }, 'children[0].restart', { invalid_restart_type: 'sometimes' }],
    ['a negative shutdown', { children: [{ id: 'a', start, shutdown: -5 }] }, 'children[0].shutdown', { invalid_shutdown: -5 }],
    ['a bad child type', { children: [{ id: 'a', start, type: 'manager' }] }, 'children[0].type', { invalid_child_type: 'manager' }],
    [
      'duplicate ids',
      {
        children: [
          { id: 'a', start },
          { id: 'a', start },
        ],
      },
      'children[1].id',
      { duplicate_child_name: 'a' },
    ],
    [
      'significant under autoShutdown never',
      { children: [{ id: 'a', start, restart: 'transient', significant: true }] },
      'children[0].significant',
      { bad_combination: [{ auto_shutdown: 'never' }, { significant: true }] },
    ],
    [
      'significant on a permanent child',
      { autoShutdown: 'any_significant', children: [{ id: 'a', start, significant: true }] },
      'children[0].significant',
      { bad_combination: [{ restart: 'permanent' }, { significant: true }] },
    ],
    ['a dynamic supervisor without template', { strategy: 'dynamic' }, 'template', { bad_start_spec: 'missing_template' }],
    ['children on a dynamic supervisor', { strategy: 'dynamic', template: { start }, children: [] }, 'children', { bad_start_spec: 'children' }],
    ['a template on a static supervisor', { template: { start } }, 'template', { bad_start_spec: 'template' }],
    ['a backoff cap below its start', { restartBackoff: { initialMs: 100, maxMs: 10 } }, 'restartBackoff.maxMs', { invalid_restart_backoff: 10 }],
  ])('rejects %s, naming the field', (_name, spec, path, term) => {
    const err = problem(spec);
    expect(err.path).toBe(path);
    expect(err.term).toEqual(term);
    expect(err.message).toContain(path);
  });

  it('rejects a value JSON cannot hold (a cycle, a bigint) with INVALID_SPEC, showing it in the term', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(problem({ strategy: cycle }).term).toEqual({ invalid_strategy: '[object Object]' });
    const err = problem({ intensity: 3n });
    expect(err.path).toBe('intensity');
    expect(err.term).toEqual({ invalid_intensity: '3n' });
  });

  it('applies every default', () => {
    const spec = resolveSupervisorSpec({
      children: [
        { id: 'w', start },
        { id: 's', start: Object.assign(start, {}), type: 'supervisor' },
      ],
    });
    expect(spec).toMatchObject(SUPERVISOR_DEFAULTS);
    expect(spec.children[0]).toMatchObject({ restart: CHILD_DEFAULTS.restart, shutdown: 5000, type: 'worker', significant: false });
    expect(spec.children[1]).toMatchObject({ shutdown: 'infinity', type: 'supervisor' });
    expect(Object.isFrozen(spec)).toBe(true);
  });
});
