/**
 * Budgets under concurrency, against the simulated server over real HTTP with the official SDKs:
 * each attempt reserves its upper bound (the prompt's tokens with framing plus the whole output
 * cap, priced) before it is sent, so calls running at once never spend past a cap, however many
 * there are; a call whose upper bound does not fit is refused before it is sent, naming the
 * scope, its reservation and what remains. The simulated model fills every answer up to its
 * `max_tokens` (the worst case a provider bills), and a call with no `maxOutputTokens` reserves
 * the documented default. A ledger (cluster-wide budgets) sees every attempt's reservation too.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWardenError } from '../runtime/index.ts';
import { Budget, type BudgetExceededError, type BudgetLedger, type LedgerAmounts } from '../resilience/index.ts';
import { startSimHarness, type SimHarness } from '../testing/index.ts';
import { DEFAULT_MAX_OUTPUT_TOKENS, type ModelRequest } from './index.ts';

// Far more text than any output cap below: every answer is cut at its `max_tokens` and billed for all of it.
const LONG = 'spend '.repeat(40_000);

let h: SimHarness;
beforeAll(async () => {
  h = await startSimHarness({ script: { rules: [{ match: { lastUser: 'fill' }, reply: { text: LONG } }] } });
});
afterAll(async () => {
  await h.close();
});

const request = (i: number, maxOutputTokens?: number): ModelRequest => ({
  messages: [
    { role: 'system', content: 'You are a careful assistant.' },
    { role: 'user', content: `fill the page, call ${i}` },
  ],
  ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }),
});

/** Run `n` calls at once on one budget; what each did. */
async function concurrently(budget: Budget, n: number, maxOutputTokens?: number): Promise<{ paid: number[]; refused: BudgetExceededError[] }> {
  const client = h.client({ budget, retry: { maxAttempts: 1 } });
  const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => client.complete(request(i, maxOutputTokens))));
  const paid: number[] = [];
  const refused: BudgetExceededError[] = [];
  for (const s of settled) {
    if (s.status === 'fulfilled') paid.push((s.value as { costUsd: number }).costUsd);
    else if (isWardenError(s.reason, 'BUDGET_EXCEEDED')) refused.push(s.reason as BudgetExceededError);
    else throw s.reason;
  }
  return { paid, refused };
}

describe('concurrent model calls on one budget', () => {
  it('ten calls at once never spend past the cap: those whose upper bound does not fit are refused before they are sent', async () => {
    // One call's upper bound is about $0.00013 (prompt + 200 output tokens of sim-small); the cap fits three.
    const budget = new Budget({ scope: 'run', limits: { usd: 0.0004 }, clock: h.clock });
    const before = h.sim.requestCount;
    const { paid, refused } = await concurrently(budget, 10, 200);
    expect(paid.length).toBe(3);
    expect(refused.length).toBe(7);
    expect(h.sim.requestCount - before).toBe(3); // the refused calls were never sent
    expect(budget.spending.usd).toBeLessThanOrEqual(0.0004);
    expect(budget.spending.usd).toBeCloseTo(
      paid.reduce((a, b) => a + b, 0),
      12,
    );
    // The error names the budget, this call's reservation and what remained for it.
    const e = refused[0] as BudgetExceededError;
    expect(e).toMatchObject({ scope: 'run', unit: 'usd', limit: 0.0004 });
    expect(e.reservation).toBeGreaterThan(e.remaining);
    expect(e.message).toMatch(/budget "run" would exceed its usd cap: .*this call reserves [\d.]+ with [\d.]+ remaining/);
  });

  it('holds for any number of calls, output caps and USD or token caps (property, real HTTP)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 400 }),
        fc.boolean(),
        fc.integer({ min: 200, max: 5_000 }),
        async (n, maxOutputTokens, capUsd, capTokens) => {
          const cap = capUsd ? { usd: capTokens / 10_000_000 } : { tokens: capTokens };
          const budget = new Budget({ scope: 'run', limits: cap, clock: h.clock });
          const { paid, refused } = await concurrently(budget, n, maxOutputTokens);
          expect(paid.length + refused.length).toBe(n);
          if (capUsd) expect(budget.spending.usd).toBeLessThanOrEqual(cap.usd as number);
          else expect(budget.spending.tokens).toBeLessThanOrEqual(cap.tokens as number);
          expect(budget.spending.steps).toBe(paid.length);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('reserves the documented default output cap for a call with no maxOutputTokens', async () => {
    const requests: number[] = [];
    const sub = h.bus.on('llm.request', (e) => requests.push(e.estimate.outputTokens));
    try {
      // Room for the default cap once, not twice: of two calls at once, one is refused before it is sent.
      const budget = new Budget({ scope: 'run', limits: { tokens: DEFAULT_MAX_OUTPUT_TOKENS + 500 }, clock: h.clock });
      const before = h.sim.requestCount;
      const { paid, refused } = await concurrently(budget, 2);
      expect(DEFAULT_MAX_OUTPUT_TOKENS).toBe(4096);
      expect(requests).toEqual([DEFAULT_MAX_OUTPUT_TOKENS]);
      expect([paid.length, refused.length]).toEqual([1, 1]);
      expect(h.sim.requestCount - before).toBe(1);
      expect(refused[0]).toMatchObject({ unit: 'tokens', reservation: expect.any(Number) });
      expect((refused[0] as BudgetExceededError).reservation).toBeGreaterThan(DEFAULT_MAX_OUTPUT_TOKENS);
      expect(budget.spending.tokens).toBeLessThanOrEqual(DEFAULT_MAX_OUTPUT_TOKENS + 500);
    } finally {
      sub.dispose();
    }
  });

  it('reserves every attempt in the scope’s ledger too, so calls of other processes count', async () => {
    const totals = { spent: 0, reserved: 0, reservations: 0 };
    const limitUsd = 0.0004;
    const ledger: BudgetLedger = {
      reserve: async (_scope, e) => {
        // Another process has already spent half the shared cap.
        if (0.0002 + totals.spent + totals.reserved + e.usd > limitUsd) {
          return { refused: { unit: 'usd', limit: limitUsd, spent: 0.0002 + totals.spent, requested: totals.reserved + e.usd } };
        }
        totals.reserved += e.usd;
        totals.reservations++;
        return {
          settle: async (actual: LedgerAmounts | undefined) => {
            totals.reserved -= e.usd;
            totals.spent += actual?.usd ?? 0;
          },
        };
      },
    };
    const budget = new Budget({ scope: 'global', limits: { usd: limitUsd }, ledger, clock: h.clock });
    const { paid, refused } = await concurrently(budget.child({ scope: 'run:1' }), 10, 200);
    expect(paid.length).toBe(1); // the local scope alone would have let three through
    expect(refused.length).toBe(9);
    expect(totals.reservations).toBe(1);
    expect(totals.reserved).toBeCloseTo(0, 15);
    expect(totals.spent).toBeCloseTo(budget.spending.usd, 15);
    expect(refused[0]).toMatchObject({ scope: 'global' });
  });
});
