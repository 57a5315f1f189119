/**
 * A model call's budget book-keeping, attempt by attempt. A call reserves in its own scope
 * and/or the client's (the client's once only when it is the call's scope or above it). Each
 * attempt holds its upper bound (the prompt's estimated tokens plus the whole output cap, priced)
 * in every one of those scopes and in their ledgers (`Budget.acquire`), all or none, before
 * anything is sent, so an over-budget attempt is refused with `BudgetExceededError` and costs
 * nothing, and concurrent calls can never together pass a cap. After the attempt the hold is
 * settled: {@link chargeAttempt} commits what it spent (an answer's usage, or what a stream cut
 * midway delivered), and a failure that produced nothing releases it.
 *
 * A call counts one budget step, not one per attempt: every attempt holds the step until one of
 * them spends something (a 429 that was refused before any output does not).
 */
import { InvalidSpecError } from '../runtime/index.ts';
import { Budget, costUsd, type PricingTable, type Reservation, type Spend } from '../resilience/index.ts';
import { addUsage } from './accumulate.ts';
import { estimateTokens } from './adapter.ts';
import { promptChars, type PreparedRequest } from './request.ts';
import type { Usage } from './types.ts';

/**
 * Tokens a provider may count per message beyond its text (role and separators; OpenAI documents
 * 3 to 4), and once more for priming the reply. Reserved on top of the character estimate so the
 * reservation errs high, never low.
 */
export const FRAMING_TOKENS_PER_MESSAGE = 4;

/** The prompt's tokens as an attempt reserves them: the character estimate plus framing. */
export function reservedPromptTokens(prepared: PreparedRequest): number {
  return estimateTokens(promptChars(prepared)) + FRAMING_TOKENS_PER_MESSAGE * (prepared.messages.length + 1);
}

/** True if `budget` or a scope above it caps USD. */
export function budgetCapsUsd(budget: Budget | undefined): boolean {
  for (let b = budget; b !== undefined; b = b.parent) if (b.config.limits.usd !== undefined) return true;
  return false;
}

/** The scopes a call reserves in: its own and the client's, the client's only once when it is the call's scope or above it. */
export function budgetsOf(call: Budget | undefined, client: Budget | undefined): readonly Budget[] {
  if (call === undefined) return client === undefined ? [] : [client];
  if (client === undefined) return [call];
  for (let b: Budget | undefined = call; b !== undefined; b = b.parent) if (b === client) return [call];
  return [call, client];
}

/** Refuse a call's own budget (`options.budget`) that is not a Budget, or caps USD when the client cannot price. */
export function checkCallBudget(clientName: string, budget: Budget | undefined, pricing: PricingTable | undefined): void {
  if (budget !== undefined && !(budget instanceof Budget)) {
    throw new InvalidSpecError(`model client "${clientName}"`, 'options.budget', budget, 'must be a Budget');
  }
  if (budget !== undefined && pricing === undefined && budgetCapsUsd(budget)) {
    throw new InvalidSpecError(`model client "${clientName}"`, 'options.budget', budget.scope, 'caps usd, but the client has no `pricing` to count costs with');
  }
}

/** One attempt's reservations in every scope of the call; all or none. */
export interface Hold {
  commit(spend: Spend): void;
  release(): void;
  /** Resolves once the scopes' ledgers (if any) have recorded the commit or release. */
  recorded(): Promise<void>;
}

/**
 * Reserve `estimate` in every scope of `budgets` and their ledgers, or in none: if one scope
 * refuses, what the others reserved is released and its `BudgetExceededError` is thrown.
 * `undefined` when the call has no budget.
 */
export async function hold(budgets: readonly Budget[], estimate: Spend): Promise<Hold | undefined> {
  if (budgets.length === 0) return undefined;
  const held: Reservation[] = [];
  try {
    for (const b of budgets) held.push(await b.acquire(estimate));
  } catch (e) {
    for (const r of held) r.release();
    await Promise.allSettled(held.map((r) => r.recorded));
    throw e;
  }
  return {
    commit: (spend) => {
      for (const r of held) r.commit(spend);
    },
    release: () => {
      for (const r of held) r.release();
    },
    recorded: async () => {
      for (const r of held) await r.recorded;
    },
  };
}

/** What `model`'s `usage` cost by `pricing`; `undefined` without a pricing table. */
export function priceOf(pricing: PricingTable | undefined, model: string, usage: Usage): number | undefined {
  return pricing === undefined ? undefined : costUsd(pricing, { model, ...usage });
}

/**
 * A call's running totals, as {@link chargeAttempt} updates them: its attempts' `Usage` summed and
 * their cost. Not a budget `Spend`: each attempt's `Spend` is committed to its hold as it is charged.
 */
export interface CallTotals {
  totalUsage: Usage;
  costUsd: number | undefined;
  /** The call's one budget step has been committed. */
  stepCounted: boolean;
}

/**
 * Commit what an attempt spent to its hold (with the call's step, if not counted yet) and add it
 * to the call's totals. Returns the attempt's cost in USD (`undefined` without pricing).
 */
export function chargeAttempt(
  call: CallTotals,
  reservation: Hold | undefined,
  pricing: PricingTable | undefined,
  model: string,
  usage: Usage,
): number | undefined {
  const cost = priceOf(pricing, model, usage);
  reservation?.commit({ ...(cost === undefined ? {} : { usd: cost }), tokens: usage.totalTokens, steps: call.stepCounted ? 0 : 1 });
  call.stepCounted = true;
  call.totalUsage = addUsage(call.totalUsage, usage);
  if (cost !== undefined) call.costUsd = (call.costUsd ?? 0) + cost;
  return cost;
}
