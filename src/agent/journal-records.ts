/**
 * What an agent run journals: the value of each model step (`model#3`), tool step
 * (`tool#3.1 search`) and compaction step (`compact#1`). These shapes are the agent's journal
 * format: a resumed run reads them back as an earlier execution (or an earlier version) wrote
 * them, and rebuilds all of its state (conversation, counters, loop guard, spend) from them alone,
 * so a field here is never renamed or dropped; a new one must be optional.
 */
import type { DegradationLevel, Spend } from '../resilience/index.ts';
import type { Usage } from '../llm/index.ts';
import type { Json } from '../store/index.ts';
import type { CompactionPlan, OffloadedItem } from './context.ts';

/** The levels a model call can be answered at (`queued` is refused: an agent needs the answer). */
export type AnsweringLevel = Exclude<DegradationLevel, 'queued'>;

/**
 * What a step took from the run's budget while it ran: a budget `Spend` whose USD and tokens are
 * always written (its `steps` is not journaled: the run counts its steps itself).
 */
export type StepSpend = Required<Pick<Spend, 'usd' | 'tokens'>>;

export const NOTHING_SPENT: StepSpend = { usd: 0, tokens: 0 };

/** A model step that answered: text and tool calls, or the final output. */
export interface AnswerRecord {
  readonly kind: 'answer';
  readonly text: string;
  readonly toolCalls: readonly { readonly id: string; readonly name: string; readonly argumentsText: string }[];
  /** The final answer checked against the output schema (only with one). */
  readonly output?: Json;
  readonly provider: string;
  readonly model: string;
  readonly level: AnsweringLevel;
  readonly usage: Usage;
  /** Messages sent and the exact input tokens reported for them (token accounting). */
  readonly promptMessages: number;
  readonly promptTokens: number;
  readonly spent: StepSpend;
}

/** A model step whose answer failed the output schema; the model is asked again. */
export interface InvalidRecord {
  readonly kind: 'invalid';
  readonly text: string;
  readonly problem: string;
  readonly provider: string;
  readonly model: string;
  readonly spent: StepSpend;
}

export type ModelRecord = AnswerRecord | InvalidRecord;

/** A tool step: what the model is told (an error result is a problem it should hear about). */
export interface ToolRecord {
  readonly content: string;
  readonly isError: boolean;
}

/** A compaction step: the plan, the summary, and what it took out of the context. */
export interface CompactionRecord {
  readonly plan: CompactionPlan;
  readonly summary: string;
  readonly offloaded: readonly OffloadedItem[];
  readonly tokensBefore: number;
  readonly spent: StepSpend;
}
