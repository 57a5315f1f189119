/**
 * A model call's budget book-keeping on real Budget scopes: which scopes a call reserves in,
 * an attempt's hold taken in all of them or none, one step counted per call, and the per-call
 * budget refused when the client could not price it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWardenError } from '../runtime/index.ts';
import { Budget } from '../resilience/index.ts';
import { ZERO_USAGE, makeUsage } from './accumulate.ts';
import { budgetCapsUsd, budgetsOf, chargeAttempt, checkCallBudget, hold, type CallTotals } from './attempt-budget.ts';

const pricing = { m: { inputPerMTok: 1, outputPerMTok: 2 } };

describe('budgetsOf', () => {
  const client = new Budget({ scope: 'client' });
  const run = client.child({ scope: 'run' });
  const other = new Budget({ scope: 'other' });
  it.each([
    ['no budget at all', undefined, undefined, []],
    ["the client's alone", undefined, client, [client]],
    ["the call's alone", run, undefined, [run]],
    ["the call's only, when the client's is above it", run, client, [run]],
    ["the call's only, when it is the client's", client, client, [client]],
    ['both, when they are unrelated', other, client, [other, client]],
  ] as const)('reserves in %s', (_label, call, mine, expected) => {
    expect(budgetsOf(call, mine)).toEqual(expected);
  });
});

describe('hold', () => {
  it('reserves in every scope or in none: a refusal by one releases what the others reserved', async () => {
    const roomy = new Budget({ scope: 'roomy', limits: { tokens: 100 } });
    const tight = new Budget({ scope: 'tight', limits: { tokens: 10 } });
    const error = await hold([roomy, tight], { tokens: 50 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isWardenError(error, 'BUDGET_EXCEEDED')).toBe(true);
    expect((error as { scope: string }).scope).toBe('tight');
    // Nothing is left reserved in the scope that said yes: its whole cap can still be held.
    expect(() => roomy.reserve({ tokens: 100 }).release()).not.toThrow();
  });

  it('holds nothing for a call without a budget', async () => {
    expect(await hold([], { tokens: 1 })).toBeUndefined();
  });

  it('leaves nothing held once every attempt is settled, whichever scope refuses (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.boolean()), { maxLength: 30 }),
        fc.boolean(),
        async (attempts, tightFirst) => {
          const a = new Budget({ scope: 'a', limits: { tokens: 100 } });
          const b = new Budget({ scope: 'b', limits: { tokens: 60 } });
          const scopes = tightFirst ? [b, a] : [a, b];
          for (const [estimate, spent, commit] of attempts) {
            let h;
            try {
              h = await hold(scopes, { tokens: estimate, steps: 0 });
            } catch (e) {
              if (!isWardenError(e, 'BUDGET_EXCEEDED')) throw e;
              continue;
            }
            if (commit) h?.commit({ tokens: Math.min(spent, estimate), steps: 0 });
            else h?.release();
          }
          expect(a.spending.tokens).toBe(b.spending.tokens);
          // What is not spent can be held again in full: no refused hold left a reservation behind.
          for (const [scope, cap] of [
            [a, 100],
            [b, 60],
          ] as const) {
            const room = cap - scope.spending.tokens;
            if (room > 0) expect(() => scope.reserve({ tokens: room, steps: 0 }).release()).not.toThrow();
          }
        },
      ),
    );
  });
});

describe('chargeAttempt', () => {
  it('counts one step for the call, however many attempts spend, and adds up usage and cost', async () => {
    const budget = new Budget({ scope: 'run', limits: { steps: 5 } });
    const call: CallTotals = { totalUsage: ZERO_USAGE, costUsd: 0, stepCounted: false };
    for (let i = 0; i < 3; i++) {
      const h = await hold([budget], { tokens: 300, steps: call.stepCounted ? 0 : 1 });
      const cost = chargeAttempt(call, h, pricing, 'm', makeUsage(100, 50, 0));
      expect(cost).toBeCloseTo(0.0002, 10);
    }
    expect(budget.spending).toMatchObject({ steps: 1, tokens: 450 });
    expect(call.totalUsage).toEqual(makeUsage(300, 150, 0));
    expect(call.costUsd).toBeCloseTo(0.0006, 10);
  });

  it('leaves the cost undefined without a pricing table', () => {
    const call: CallTotals = { totalUsage: ZERO_USAGE, costUsd: undefined, stepCounted: false };
    expect(chargeAttempt(call, undefined, undefined, 'm', makeUsage(10, 10, 0))).toBeUndefined();
    expect(call).toEqual({ totalUsage: makeUsage(10, 10, 0), costUsd: undefined, stepCounted: true });
  });
});

describe("a call's own budget", () => {
  it('is refused when it is not a Budget, naming options.budget', () => {
    expect(() => checkCallBudget('writer', { scope: 'run' } as unknown as Budget, undefined)).toThrow(
      expect.objectContaining({ code: 'INVALID_SPEC', path: 'options.budget' }),
    );
  });

  it('is refused when it or a scope above it caps usd and the client has no pricing', () => {
    const parent = new Budget({ scope: 'org', limits: { usd: 1 } });
    const run = parent.child({ scope: 'run', limits: { tokens: 1000 } });
    expect(budgetCapsUsd(run)).toBe(true);
    expect(() => checkCallBudget('writer', run, undefined)).toThrow(/model client "writer": options.budget/);
    expect(() => checkCallBudget('writer', run, pricing)).not.toThrow();
    expect(() => checkCallBudget('writer', new Budget({ scope: 'run', limits: { tokens: 10 } }), undefined)).not.toThrow();
  });
});
