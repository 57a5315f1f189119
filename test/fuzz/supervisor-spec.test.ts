/**
 * Fuzzing supervisor and child specs: a valid spec with any of its fields replaced by anything
 * a caller could pass (wrong types, bigints, symbols, NaN, cycles, unknown keys) is either
 * accepted or refused with an `InvalidSpecError` naming the field; never a TypeError from deep
 * inside. The same holds for a child spec handed to a running supervisor (`startChild`), and
 * for a supervisor started with a bad spec (the start is refused, nothing is left running).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Runtime, isWardenError } from '../../src/runtime/index.ts';
import { resolveSupervisorSpec, startChild, startSupervisor, stopSupervisor, worker, type SupervisorSpec } from '../../src/supervisor/index.ts';
import { anyValue, fuzzParams, settlesOrRejectsTyped } from './fuzz-settings.ts';

const start = worker(async (ctx) => {
  await ctx.receive();
});

const SUPERVISOR_KEYS = ['name', 'strategy', 'intensity', 'periodSeconds', 'autoShutdown', 'children', 'template', 'restartBackoff'] as const;
const CHILD_KEYS = ['id', 'start', 'restart', 'shutdown', 'type', 'significant'] as const;

const cyclic = (() => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
})();

const fieldValue = fc.oneof(
  anyValue,
  fc.constant(cyclic),
  fc.constantFrom(
    'one_for_one',
    'one_for_all',
    'rest_for_one',
    'dynamic',
    'permanent',
    'transient',
    'temporary',
    'brutal_kill',
    'infinity',
    'never',
    'any_significant',
    'all_significant',
    'worker',
    'supervisor',
  ),
  fc.constant(start),
  fc.record({ initialMs: anyValue, maxMs: anyValue, multiplier: anyValue }, { requiredKeys: [] }),
);

/** A child spec: a valid one with some fields replaced, removed or added. */
const childSpec = fc
  .tuple(
    fc.string({ minLength: 1, maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...CHILD_KEYS, 'restrat', '__proto__', 'constructor'), fieldValue, { maxKeys: 3 }),
    fc.subarray([...CHILD_KEYS], { maxLength: 2 }),
  )
  .map(([id, overrides, removed]) => {
    const spec: Record<string, unknown> = { id, start, ...overrides };
    for (const key of removed) delete spec[key];
    return spec;
  });

const anyChild = fc.oneof(childSpec, anyValue);

const supervisorSpec = fc
  .tuple(
    fc.constantFrom('one_for_one', 'one_for_all', 'rest_for_one', 'dynamic'),
    fc.array(anyChild, { maxLength: 4 }),
    anyChild,
    fc.dictionary(fc.constantFrom(...SUPERVISOR_KEYS, 'intensty', 'toString'), fieldValue, { maxKeys: 3 }),
  )
  .map(([strategy, children, template, overrides]) => {
    const base: Record<string, unknown> = strategy === 'dynamic' ? { strategy, template } : { strategy, children };
    return { ...base, ...overrides };
  });

const rt = new Runtime();

describe('fuzzing supervisor specs', () => {
  it('accepts a spec or refuses it with an INVALID_SPEC naming the field', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 5, arbitrary: supervisorSpec }, { weight: 1, arbitrary: anyValue }), (spec) => {
        try {
          resolveSupervisorSpec(spec as SupervisorSpec);
        } catch (e) {
          if (!isWardenError(e, 'INVALID_SPEC')) throw e;
          expect(e.message).toMatch(/^supervisor spec: /);
          expect(e.message).toContain('(got ');
          // The term travels as an exit reason: it must be plain data.
          expect(() => JSON.stringify(e.term)).not.toThrow();
          expect(() => JSON.stringify(e.toJSON())).not.toThrow();
        }
      }),
      fuzzParams(300),
    );
  });

  it('fails a start whose child start function returns or throws anything, with a typed error; nothing is left running', async () => {
    const outcome = fc.oneof(
      anyValue.map((v) => ({ returns: v })),
      fc
        .record({ status: fc.constantFrom('started', 'ignore', 'error', 'weird'), pid: anyValue, reason: anyValue }, { requiredKeys: ['status'] })
        .map((v) => ({ returns: v })),
      anyValue.map((v) => ({ throws: v })),
      anyValue.map((v) => ({ rejects: v })),
    );
    await fc.assert(
      fc.asyncProperty(outcome, async (o) => {
        const start = (() => {
          if ('throws' in o) throw o.throws;
          if ('rejects' in o) return Promise.reject(o.rejects);
          return o.returns;
        }) as never;
        const pid = await settlesOrRejectsTyped(() => startSupervisor(rt, { strategy: 'one_for_one', children: [{ id: 'child', start }] }));
        if (pid !== undefined) await stopSupervisor(rt, pid);
      }),
      fuzzParams(150),
    );
  });

  it('refuses a bad spec at startSupervisor and a bad child at startChild with typed errors', async () => {
    const dynamic = await startSupervisor(rt, { strategy: 'dynamic', template: { start, restart: 'temporary' } });
    const fixed = await startSupervisor(rt, { strategy: 'one_for_one', children: [] });
    await fc.assert(
      fc.asyncProperty(supervisorSpec, anyChild, anyValue, async (spec, child, arg) => {
        const pid = await settlesOrRejectsTyped(() => startSupervisor(rt, spec as SupervisorSpec));
        if (pid !== undefined) await stopSupervisor(rt, pid);
        await settlesOrRejectsTyped(() => startChild(rt, fixed, child));
        await settlesOrRejectsTyped(() => startChild(rt, dynamic, [arg]));
      }),
      fuzzParams(100),
    );
    await stopSupervisor(rt, dynamic);
    await stopSupervisor(rt, fixed);
  });
});
