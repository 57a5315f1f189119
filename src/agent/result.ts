/**
 * What a finished run returns: the answer, and what it took to get there. It is JSON data, since
 * a durable run stores it as its output, and it counts the whole run, replayed steps included,
 * with what this execution took from the journal instead of doing again given apart.
 */
import type { Usage } from '../llm/index.ts';
import type { AnsweringLevel } from './journal-records.ts';

/** Counts of calls by the degradation level that answered them. */
export type LevelCounts = Readonly<Record<AnsweringLevel, number>>;

/** What a finished run returns (JSON data: a durable run stores it as its output). */
export interface AgentResult<O = string> {
  readonly runId: string;
  /** The answer: the validated output with an output schema, else the final text. */
  readonly output: O;
  /** The final answer's text. */
  readonly text: string;
  /** Model calls (re-asks included, summaries not). */
  readonly steps: number;
  readonly toolCalls: number;
  /** Answers rejected by the output schema and asked again. */
  readonly reasks: number;
  readonly compactions: number;
  /** Tokens of the answered model calls, replayed ones included: the model layer's `Usage`, summed (cached input apart, in `cachedInputTokens`). */
  readonly usage: Usage;
  /** What the run cost in all, replayed calls included (USD; 0 without prices). */
  readonly costUsd: number;
  /** Model calls by the level that answered. */
  readonly levels: LevelCounts;
  /** What this execution took from the journal instead of doing again. */
  readonly replayed: { readonly steps: number; readonly modelCalls: number; readonly costUsd: number };
}
