/**
 * What a run spends, and how much of it an earlier execution already paid for. Every step
 * journals what it cost (`StepSpend`), and that is added here when the step ends, first-hand or
 * replayed. A durable run also keeps what each model call was paid as a note (`spent`, see
 * model-call.ts), written before the step that made the call is journaled: a step that failed
 * (its journaled failure is dropped when the run is retried) or a process that died before the
 * step was journaled leaves its payment in the notes, though not in the replayed steps. What
 * earlier executions paid is the larger of the two sums (runs journaled before notes existed
 * have none), so a resumed run counts money already spent even on steps it makes again.
 *
 * The run's budget scope (`run:<id>`, a child of the agent's `parent` scope or of a fresh
 * `agent:<name>` one) is created at the first live call, with its caps less what earlier
 * executions paid, so a resumed run is held to what they left of the budget. Answered model
 * calls also add their tokens (`usage`, the model layer's `Usage` summed) and the degradation
 * level that answered (`levels`), for the run's result.
 */
import { addUsage, ZERO_USAGE, type Usage } from '../llm/index.ts';
import { Budget, type BudgetLimits } from '../resilience/index.ts';
import type { Execution } from './execution.ts';
import type { AnswerRecord, AnsweringLevel, StepSpend } from './journal-records.ts';

/** The name of the note a model call's payment is kept under. */
export const SPENT_NOTE = 'spent';

/** What earlier executions' notes say was paid: model calls, USD and tokens. */
interface Paid {
  readonly calls: number;
  readonly usd: number;
  readonly tokens: number;
}

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
  /** USD of the steps this execution made itself. */
  private liveUsd = 0;
  /** What earlier executions kept in `spent` notes. */
  private readonly paidBefore: Paid;
  private readonly replayedSoFar = { steps: 0, modelCalls: 0, costUsd: 0, tokens: 0 };
  private usageSoFar: Usage = ZERO_USAGE;
  private readonly answeredAt: Record<AnsweringLevel, number> = { primary: 0, fallback: 0, cache: 0, static: 0 };
  private scope: Budget | undefined;

  constructor(execution: Execution<unknown>) {
    this.execution = execution;
    this.paidBefore = paidIn(execution.journal.notes);
  }

  /** USD spent by the run: what earlier executions paid (replayed steps, and steps made again) and this one. */
  get usd(): number {
    return this.liveUsd + this.earlier().usd;
  }

  /** What earlier executions paid, by the larger of their notes and their replayed steps, in each unit. */
  private earlier(): Paid {
    const notes = this.paidBefore;
    const replayed = this.replayedSoFar;
    return { calls: Math.max(notes.calls, replayed.modelCalls), usd: Math.max(notes.usd, replayed.costUsd), tokens: Math.max(notes.tokens, replayed.tokens) };
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
    if (!replayed) this.liveUsd += spent.usd;
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

  /** The run's budget scope: created at the first live call, its caps less what earlier executions paid. */
  budget(): Budget {
    if (this.scope !== undefined) return this.scope;
    const { agent, env, runId } = this.execution;
    const limits = agent.budget?.limits ?? {};
    const less = (cap: number, used: number): number => Math.max(0, cap - used);
    const earlier = this.earlier();
    const reduced: BudgetLimits = {
      ...(limits.usd === undefined ? {} : { usd: less(limits.usd, earlier.usd) }),
      ...(limits.tokens === undefined ? {} : { tokens: less(limits.tokens, earlier.tokens) }),
      ...(limits.steps === undefined ? {} : { steps: less(limits.steps, earlier.calls) }),
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

  /**
   * Keep what the run's scope spent since `before` (one model call) as a `spent` note of the run,
   * if anything: durable before the step that made the call is journaled.
   */
  async keepPaid(before: StepSpend): Promise<void> {
    const spending = this.budget().spending;
    const paid = { usd: spending.usd - before.usd, tokens: spending.tokens - before.tokens };
    if (paid.usd > 0 || paid.tokens > 0) await this.execution.journal.note(SPENT_NOTE, paid);
  }

  /** What the run's scope has spent since `before`. */
  spentSince(before: StepSpend): StepSpend {
    const spending = this.budget().spending;
    return { usd: spending.usd - before.usd, tokens: spending.tokens - before.tokens };
  }
}

/** Sum the `spent` notes (one per paid model call) earlier executions kept. */
function paidIn(notes: readonly { readonly name: string; readonly value: unknown }[]): Paid {
  let calls = 0;
  let usd = 0;
  let tokens = 0;
  for (const n of notes) {
    if (n.name !== SPENT_NOTE || typeof n.value !== 'object' || n.value === null) continue;
    const v = n.value as { usd?: unknown; tokens?: unknown };
    calls++;
    if (typeof v.usd === 'number' && Number.isFinite(v.usd)) usd += v.usd;
    if (typeof v.tokens === 'number' && Number.isFinite(v.tokens)) tokens += v.tokens;
  }
  return { calls, usd, tokens };
}
