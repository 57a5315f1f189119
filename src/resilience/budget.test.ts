/** Budgets: nested scopes, reserve/commit, refusal before the call, events, and the overshoot properties. */
import { describe, expect, it } from 'vitest';
import { startHarnessEvents } from '../testing/event-log.ts';
import fc from 'fast-check';
import { VirtualClock, isWardenError, type WardenEvent } from '../runtime/index.ts';
import { Budget, BudgetExceededError } from './budget.ts';

const pricing = {
  'gpt-x': { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 },
  'claude-y': { inputPerMTok: 3, outputPerMTok: 15 },
};

function tree() {
  const { clock, bus, events } = startHarnessEvents();
  const global = new Budget({ scope: 'global', limits: { usd: 10 }, pricing, clock, bus });
  const agent = global.child({ scope: 'agent:ceo', limits: { usd: 5 } });
  const run = agent.child({ scope: 'run:1', limits: { usd: 1, tokens: 100_000, steps: 3, wallMs: 60_000 } });
  return { clock, events, global, agent, run };
}

describe('Budget', () => {
  it("counts a run's spend toward its agent and the global scope", () => {
    const { global, agent, run } = tree();
    run.reserve({ usd: 0.1 }).commit({ model: 'gpt-x', inputTokens: 100_000, outputTokens: 10_000 });
    expect(run.spending).toMatchObject({ usd: 0.28, tokens: 110_000, steps: 1 });
    expect(agent.spending.usd).toBeCloseTo(0.28);
    expect(global.spending.usd).toBeCloseTo(0.28);
  });

  it('refuses a call that would start over budget, naming the scope, cap, spend and unit', () => {
    const { run, events } = tree();
    run.reserve().commit({ usd: 0.9 });
    const err = (() => {
      try {
        run.reserve({ usd: 0.2 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(isWardenError(err, 'BUDGET_EXCEEDED')).toBe(true);
    expect(err).toMatchObject({ scope: 'global/agent:ceo/run:1', unit: 'usd', limit: 1, spent: 0.9, retryable: false });
    expect(events.find((e) => e.type === 'budget.exceeded')).toMatchObject({ phase: 'refused', unit: 'usd' });
  });

  it('refuses once a cap is reached even for calls without an estimate', () => {
    const { run } = tree();
    run.reserve().commit({ usd: 1.3 });
    expect(() => run.reserve()).toThrow(BudgetExceededError);
  });

  it("stops on the parent's cap when the child still has room", () => {
    const { agent, run } = tree();
    const other = agent.child({ scope: 'run:2' });
    other.reserve().commit({ usd: 4.95 });
    expect(() => run.reserve({ usd: 0.1 })).toThrow(/budget "global\/agent:ceo" would exceed its usd cap/);
  });

  it('caps steps and wall time', async () => {
    const { clock, run, agent } = tree();
    for (let i = 0; i < 3; i++) run.reserve().commit();
    expect(() => run.reserve()).toThrow(/steps cap/);
    const timed = agent.child({ scope: 'run:3', limits: { wallMs: 1000 } });
    timed.reserve().commit();
    await clock.advance(1000);
    expect(() => timed.reserve()).toThrow(expect.objectContaining({ unit: 'wall_ms', limit: 1000, spent: 1000 }));
  });

  it('holds reservations of calls in flight against the cap, and release() gives them back', () => {
    const { run } = tree();
    const a = run.reserve({ usd: 0.6 });
    expect(() => run.reserve({ usd: 0.6 })).toThrow(BudgetExceededError);
    a.release();
    expect(() => run.reserve({ usd: 0.6 })).not.toThrow();
  });

  it('run() commits the estimate when the work does not commit, even when it fails', async () => {
    const { run } = tree();
    await expect(run.run(() => Promise.reject(new Error('x')), { estimate: { usd: 0.25 } })).rejects.toThrow('x');
    expect(run.spending.usd).toBe(0.25);
    await run.run((r) => r.commit({ usd: 0.05 }), { estimate: { usd: 0.25 } });
    expect(run.spending.usd).toBeCloseTo(0.3);
  });

  it('emits budget.spent for each scope up the chain and budget.exceeded when a commit crosses a cap', () => {
    const { run, events } = tree();
    run.reserve().commit({ usd: 1.5 });
    expect(events.filter((e) => e.type === 'budget.spent').map((e) => (e as WardenEvent<'budget.spent'>).scope)).toEqual([
      'global/agent:ceo/run:1',
      'global/agent:ceo',
      'global',
    ]);
    expect(events.find((e) => e.type === 'budget.exceeded')).toMatchObject({ phase: 'crossed', scope: 'global/agent:ceo/run:1', spent: 1.5 });
  });

  it('validates options and hot updates', () => {
    expect(() => new Budget({ scope: 'g', limits: { usd: -1 } })).toThrow(/budget "g": limits.usd must be a number >= 0 or Infinity \(got -1\)/);
    expect(() => new Budget({ scope: 'g', limits: { dollars: 1 } as never })).toThrow(/limits.dollars is not a known option/);
    expect(() => new Budget({ scope: 'g', pricing: { m: { inputPerMTok: -2, outputPerMTok: 1 } } })).toThrow(/m.inputPerMTok must be >= 0/);
    const { run } = tree();
    expect(() => run.configure({ limits: { usd: Number.NaN } })).toThrow(/limits.usd/);
    expect(run.config.limits.usd).toBe(1);
    run.configure({ limits: { usd: 2 } });
    run.reserve().commit({ usd: 1.5 });
    expect(() => run.reserve()).not.toThrow();
  });
});

describe('Budget properties', () => {
  it('overshoots a cap by at most one call when calls run one at a time', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { maxLength: 100 }),
        (limit, costs) => {
          const b = new Budget({ scope: 's', limits: { usd: limit }, clock: new VirtualClock() });
          for (const cost of costs) {
            try {
              b.reserve().commit({ usd: cost });
            } catch (e) {
              if (!(e instanceof BudgetExceededError)) throw e;
            }
          }
          const max = Math.max(0, ...costs);
          return b.spending.usd <= limit + max + 1e-9;
        },
      ),
    );
  });

  it('never passes a cap with concurrent calls whose estimates bound their spend', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.record({ estimate: fc.integer({ min: 0, max: 10 }), frac: fc.double({ min: 0, max: 1, noNaN: true }), settleNow: fc.boolean() }), {
          maxLength: 80,
        }),
        (limit, calls) => {
          const clock = new VirtualClock();
          const global = new Budget({ scope: 'g', limits: { tokens: limit }, clock });
          const run = global.child({ scope: 'r', limits: { tokens: limit * 2 } });
          const open: { r: ReturnType<Budget['reserve']>; actual: number }[] = [];
          for (const c of calls) {
            try {
              open.push({ r: run.reserve({ tokens: c.estimate }), actual: Math.floor(c.estimate * c.frac) });
            } catch (e) {
              if (!(e instanceof BudgetExceededError)) throw e;
            }
            if (c.settleNow && open.length > 0) {
              const x = open.shift();
              x?.r.commit({ tokens: x.actual });
            }
          }
          for (const x of open) x.r.commit({ tokens: x.actual });
          return global.spending.tokens <= limit;
        },
      ),
    );
  });
});
