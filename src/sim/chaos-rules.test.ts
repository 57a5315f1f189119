/**
 * The chaos proxy's decisions: `every`, `after`, `times`, `probability` and matching, the
 * first-firing-rule-wins order, validation that names the bad field, and (property) the same
 * seed giving the same faults for the same request sequence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thrownBy } from '../testing/index.ts';
import { isWardenError } from '../runtime/index.ts';
import { ChaosPlanner, parseRules, type ChaosRule } from './chaos-rules.ts';

const kinds = (p: ChaosPlanner, n: number, path = '/v1/chat/completions', body = '{}') =>
  Array.from({ length: n }, () => p.decide('POST', path, body).fault?.kind ?? '-');

describe('ChaosPlanner', () => {
  it('fires on every Nth matching request after the first K, at most `times` times', () => {
    const p = new ChaosPlanner([{ every: 2, after: 1, times: 2, fault: { kind: 'reset' } }], 1);
    expect(kinds(p, 8)).toEqual(['-', '-', 'reset', '-', 'reset', '-', '-', '-']);
  });

  it('matches method, path and body (substring or regex); other requests pass and are not counted', () => {
    const rules: ChaosRule[] = [{ match: { method: 'post', path: { regex: '^/v1/messages$' }, body: 'stream' }, every: 2, fault: { kind: 'overloaded' } }];
    const p = new ChaosPlanner(rules, 1);
    expect(p.decide('POST', '/v1/messages', '{"stream":true}').fault).toBeUndefined();
    expect(p.decide('GET', '/v1/messages', '{"stream":true}').fault).toBeUndefined();
    expect(p.decide('POST', '/v1/chat/completions', '{"stream":true}').fault).toBeUndefined();
    expect(p.decide('POST', '/v1/messages', '{}').fault).toBeUndefined();
    expect(p.decide('POST', '/v1/messages', '{"stream":true}')).toMatchObject({ seq: 5, fault: { kind: 'overloaded' }, rule: 'rules[0]' });
  });

  it('lets the first rule that fires decide, while later rules still count the match', () => {
    const p = new ChaosPlanner(
      [
        { name: 'odd', every: 2, after: 1, fault: { kind: 'reset' } },
        { name: 'third', every: 3, fault: { kind: 'hang' } },
      ],
      1,
    );
    // 'odd' fires on requests 3 and 5, 'third' on 3 and 6: request 3 goes to 'odd'.
    expect(kinds(p, 6)).toEqual(['-', '-', 'reset', '-', 'reset', 'hang']);
  });

  it('injects with the given probability, reproducibly from the seed', () => {
    const a = new ChaosPlanner([{ probability: 0.3, fault: { kind: 'status', status: 503 } }], 42);
    const hits = kinds(a, 2000).filter((k) => k !== '-').length;
    expect(hits).toBeGreaterThan(500);
    expect(hits).toBeLessThan(700);
    a.reset();
    const again = kinds(a, 10);
    expect(kinds(new ChaosPlanner([{ probability: 0.3, fault: { kind: 'status', status: 503 } }], 42), 10)).toEqual(again);
  });

  it('gives the same faults for the same seed and request sequence (property)', () => {
    const matcher = fc.oneof(fc.constantFrom('/v1/messages', '/v1/chat', 'stream', 'x'), fc.record({ regex: fc.constantFrom('^/v1', 'true', 'm.*s') }));
    const fault = fc.constantFrom<ChaosRule['fault']>(
      { kind: 'rate_limit', retryAfterSeconds: 1 },
      { kind: 'overloaded' },
      { kind: 'status', status: 502 },
      { kind: 'hang' },
      { kind: 'reset' },
      { kind: 'cut_stream', afterEvents: 3 },
    );
    const rule = fc.record(
      {
        match: fc.record({ path: matcher, body: matcher }, { requiredKeys: [] }),
        every: fc.integer({ min: 1, max: 4 }),
        after: fc.integer({ min: 0, max: 3 }),
        probability: fc.double({ min: 0, max: 1, noNaN: true }),
        times: fc.integer({ min: 1, max: 5 }),
        fault,
      },
      { requiredKeys: ['fault'] },
    );
    const request = fc.record({
      path: fc.constantFrom('/v1/messages', '/v1/chat/completions', '/v1/models'),
      body: fc.constantFrom('{}', '{"stream":true}', '{"model":"m"}'),
    });
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 5 }), fc.integer(), fc.array(request, { maxLength: 60 }), (rules, seed, requests) => {
        const run = () => {
          const p = new ChaosPlanner(rules as ChaosRule[], seed);
          return requests.map((r) => {
            const d = p.decide('POST', r.path, r.body);
            return `${d.fault?.kind ?? '-'}:${d.rule ?? ''}`;
          });
        };
        expect(run()).toEqual(run());
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseRules', () => {
  it.each([
    [[{ fault: { kind: 'explode' } }], 'rules[0].fault.kind'],
    [[{ fault: { kind: 'status', status: 200 } }], 'rules[0].fault.status'],
    [[{ fault: { kind: 'reset' }, probability: 2 }], 'rules[0].probability'],
    [[{ fault: { kind: 'reset' }, every: 0 }], 'rules[0].every'],
    [[{ fault: { kind: 'reset' }, match: { path: { regex: '[' } } }], 'rules[0].match.path.regex'],
    [[{ fault: { kind: 'cut_stream' } }], 'rules[0].fault.afterEvents'],
    [{ rules: [{ fault: { kind: 'reset' }, extra: true }] }, 'rules[0].extra'],
    ['not rules', 'rules'],
  ])('refuses %j naming %s', (input, path) => {
    const error = thrownBy(() => parseRules(input));
    expect(isWardenError(error, 'INVALID_SPEC')).toBe(true);
    expect((error as { path: string }).path).toBe(path);
  });

  it('accepts a bare array or a { rules } object', () => {
    expect(parseRules([{ fault: { kind: 'reset' } }])).toHaveLength(1);
    expect(parseRules({ rules: [{ fault: { kind: 'hang' } }] })).toHaveLength(1);
  });
});
