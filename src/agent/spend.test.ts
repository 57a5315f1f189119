/**
 * A run's spend: what replayed steps had cost counts in the run's totals and comes off the caps
 * of the budget scope a resumed execution gets (never below zero); live spend counts once, and
 * the scope is created once, under the agent's parent scope.
 */
import { describe, expect, it } from 'vitest';
import { createModelClient, openaiChat } from '../llm/index.ts';
import { Budget, type BudgetLimits } from '../resilience/index.ts';
import { isWardenError } from '../runtime/index.ts';
import { Execution } from './execution.ts';
import { ephemeralJournal } from './journal.ts';
import { resolveAgent } from './options.ts';
import { RunSpend } from './spend.ts';

/** Never called: the spend is driven by hand here. */
const model = createModelClient({ models: [openaiChat({ model: 'sim-small', apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1' })] });

function runSpend(limits: BudgetLimits, parent?: Budget): RunSpend {
  const agent = resolveAgent({ name: 'ledger', model, budget: { limits, ...(parent === undefined ? {} : { parent }) } });
  return new RunSpend(new Execution(agent, ephemeralJournal('run-1', new AbortController().signal, undefined), {}));
}

function refusal(reserve: () => unknown): unknown {
  try {
    reserve();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('run spend', () => {
  it('takes what replayed steps spent off the run scope’s caps, and counts it in the run’s total', () => {
    const spend = runSpend({ usd: 1, tokens: 1_000, steps: 3, wallMs: 60_000 });
    spend.add({ usd: 0.25, tokens: 400 }, true, true);
    spend.add({ usd: 0.5, tokens: 100 }, true, false);
    expect(spend.usd).toBe(0.75);
    expect(spend.replayed).toEqual({ steps: 2, modelCalls: 1, costUsd: 0.75, tokens: 500 });
    expect(spend.budget().config.limits).toEqual({ usd: 0.25, tokens: 500, steps: 2, wallMs: 60_000 });
  });

  it('counts a live step in the run’s total only, not as replayed', () => {
    const spend = runSpend({ usd: 1 });
    spend.add({ usd: 0.25, tokens: 400 }, false, true);
    expect(spend.usd).toBe(0.25);
    expect(spend.replayed).toEqual({ steps: 0, modelCalls: 0, costUsd: 0, tokens: 0 });
    expect(spend.budget().config.limits).toEqual({ usd: 1 });
    expect(spend.budget().scope).toBe('agent:ledger/run:run-1');
  });

  it('leaves nothing of a cap the replayed steps already passed, so the next call is refused', () => {
    const spend = runSpend({ usd: 0.5 });
    spend.add({ usd: 0.75, tokens: 10 }, true, true);
    expect(spend.budget().config.limits).toEqual({ usd: 0 });
    expect(
      isWardenError(
        refusal(() => spend.budget().reserve({ usd: 0.01 })),
        'BUDGET_EXCEEDED',
      ),
    ).toBe(true);
  });

  it('creates the run scope once, under the parent scope, and measures a step from it', () => {
    const parent = new Budget({ scope: 'team' });
    const spend = runSpend({ usd: 1 }, parent);
    const scope = spend.budget();
    expect(spend.budget()).toBe(scope);
    expect(scope.scope).toBe('team/run:run-1');
    const before = spend.spentSoFar();
    scope.reserve({ usd: 0.2, tokens: 50 }).commit({ usd: 0.2, tokens: 50, steps: 1 });
    expect(spend.spentSince(before)).toEqual({ usd: 0.2, tokens: 50 });
    expect(parent.spending.usd).toBe(0.2);
  });

  it('adds up answered calls’ usage, cached input apart, and the level that answered', () => {
    const spend = runSpend({});
    const answer = (level: 'primary' | 'fallback', cachedInputTokens: number) =>
      ({
        kind: 'answer',
        text: '',
        toolCalls: [],
        provider: 'openai',
        model: 'sim-small',
        level,
        usage: { inputTokens: 100, outputTokens: 20, cachedInputTokens, totalTokens: 120 + cachedInputTokens },
        promptMessages: 2,
        promptTokens: 100 + cachedInputTokens,
        spent: { usd: 0, tokens: 0 },
      }) as const;
    spend.countAnswer(answer('primary', 0));
    spend.countAnswer(answer('fallback', 30));
    expect(spend.usage).toEqual({ inputTokens: 200, outputTokens: 40, cachedInputTokens: 30, totalTokens: 270 });
    expect(spend.levels()).toEqual({ primary: 1, fallback: 1, cache: 0, static: 0 });
  });
});
