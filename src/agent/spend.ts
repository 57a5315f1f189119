/**
 * What a run spends, and how much of it an earlier execution already paid for. Every step
 * journals what it cost (`StepSpend`), and that is added here when the step ends, first-hand or
 * replayed. The run's budget scope (`run:<id>`, a child of the agent's `parent` scope or of a
 * fresh `agent:<name>` one) is created at the first live call, with its caps less what replayed
 * steps spent, so a resumed run is held to what its earlier executions left of the budget.
 * Answered model calls also add their tokens (`usage`, the model layer's `Usage` summed) and the
 * degradation level that answered (`levels`), for the run's result.
 */
import { addUsage, ZERO_USAGE, type Usage } from '../llm/index.ts';
import { Budget, type BudgetLimits } from '../resilience/index.ts';
import type { Execution } from './execution.ts';
import type { AnswerRecord, AnsweringLevel, StepSpend } from './journal-records.ts';

/**
 * What this execution read from the journal instead of doing again, and what those steps had cost
 * when they were made. Not a budget `Spend`: `steps` counts replayed steps of every kind, where a
 * budget's `steps` counts model calls (here `modelCalls`).
 */
export interface ReplayedTotals {
  readonly steps: number;
  readonly modelCalls: number;
  readonly costUsd: number;
  readonly tokens: number;
}

export class RunSpend {
  private readonly execution: Execution<unknown>;
  private spentUsd = 0;
  private readonly replayedSoFar = { steps: 0, modelCalls: 0, costUsd: 0, tokens: 0 };
  private usageSoFar: Usage = ZERO_USAGE;
  private readonly answeredAt: Record<AnsweringLevel, number> = { primary: 0, fallback: 0, cache: 0, static: 0 };
  private scope: Budget | undefined;

  constructor(execution: Execution<unknown>) {
    this.execution = execution;
  }

  /** USD spent by the run, replayed steps included. */
  get usd(): number {
    return this.spentUsd;
  }

  get replayed(): ReplayedTotals {
    return this.replayedSoFar;
  }

  get usage(): Usage {
    return this.usageSoFar;
  }

  /** Answered model calls by the level that answered (a copy). */
  levels(): Readonly<Record<AnsweringLevel, number>> {
    return { ...this.answeredAt };
  }

  /** Add what a step spent; `replayed` when its outcome came from the journal. */
  add(spent: StepSpend, replayed: boolean, modelCall: boolean): void {
    this.spentUsd += spent.usd;
    if (replayed) {
      this.replayedSoFar.steps++;
      if (modelCall) this.replayedSoFar.modelCalls++;
      this.replayedSoFar.costUsd += spent.usd;
      this.replayedSoFar.tokens += spent.tokens;
    }
  }

  /** Count an answered model call's tokens and level. */
  countAnswer(record: AnswerRecord): void {
    this.answeredAt[record.level]++;
    this.usageSoFar = addUsage(this.usageSoFar, record.usage);
  }

  /** The run's budget scope: created at the first live call, its caps less what replayed steps spent. */
  budget(): Budget {
    if (this.scope !== undefined) return this.scope;
    const { agent, env, runId } = this.execution;
    const limits = agent.budget?.limits ?? {};
    const less = (cap: number, used: number): number => Math.max(0, cap - used);
    const replayed = this.replayedSoFar;
    const reduced: BudgetLimits = {
      ...(limits.usd === undefined ? {} : { usd: less(limits.usd, replayed.costUsd) }),
      ...(limits.tokens === undefined ? {} : { tokens: less(limits.tokens, replayed.tokens) }),
      ...(limits.steps === undefined ? {} : { steps: less(limits.steps, replayed.modelCalls) }),
      ...(limits.wallMs === undefined ? {} : { wallMs: limits.wallMs }),
    };
    const wiring = env.bus === undefined ? {} : { bus: env.bus };
    const parent = agent.budget?.parent ?? new Budget({ scope: `agent:${agent.name}`, ...wiring });
    this.scope = parent.child({ scope: `run:${runId}`, limits: reduced, ...wiring });
    return this.scope;
  }

  /** What the run's scope has spent so far (a step measures itself from here to `spentSince`). */
  spentSoFar(): StepSpend {
    const spending = this.budget().spending;
    return { usd: spending.usd, tokens: spending.tokens };
  }

  /** What the run's scope has spent since `before`. */
  spentSince(before: StepSpend): StepSpend {
    const spending = this.budget().spending;
    return { usd: spending.usd - before.usd, tokens: spending.tokens - before.tokens };
  }
}
