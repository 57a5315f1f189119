/**
 * The final answer against the agent's output schema. An answer fails when its text is not JSON,
 * when the schema rejects the value, or when the model client already found it invalid (its
 * `STRUCTURED_OUTPUT_INVALID` error, also as one of a fallback's failures); the problem is what
 * the model is told when it is asked again (`reaskMessage`), schema issues worded by the
 * runtime's `zodIssues` (`path: message; ...`), as a tool call's bad arguments are.
 */
import type { z } from 'zod';
import { isWardenError } from '../runtime/index.ts';
import { zodIssues } from '../runtime/internal.ts';
import { FallbackExhaustedError } from '../resilience/index.ts';
import type { Json } from '../store/index.ts';

/** What the loop sends when an answer fails the output schema. */
export function reaskMessage(problem: string): string {
  return `Your answer does not match the required output: ${problem}. Answer again with only the JSON object the schema describes.`;
}

/** A rejected answer as the model client reported it. */
export interface RejectedOutput {
  readonly text: string;
  readonly problem: string;
  readonly provider: string;
  readonly model: string;
}

/** The structured-output failure inside a model client's error (the last one, of several models' failures), if any. */
export function rejectedOutputIn(error: unknown): RejectedOutput | undefined {
  if (isWardenError(error, 'STRUCTURED_OUTPUT_INVALID')) {
    const rejected = error as unknown as RejectedOutput;
    return { text: rejected.text, problem: rejected.problem, provider: rejected.provider, model: rejected.model };
  }
  if (error instanceof FallbackExhaustedError) {
    for (let i = error.failures.length - 1; i >= 0; i--) {
      const found = rejectedOutputIn(error.failures[i]?.error);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * A final answer's output checked against `schema`: the value the model client parsed from it
 * (`parsed`), else its text parsed as JSON; or what is wrong with it.
 */
export function checkOutput(schema: z.ZodType, text: string, parsed: unknown): { readonly output: Json } | { readonly problem: string } {
  let value = parsed;
  if (value === undefined) {
    try {
      value = JSON.parse(text) as unknown;
    } catch (e) {
      return { problem: `not valid JSON (${(e as Error).message})` };
    }
  }
  const checked = schema.safeParse(value);
  if (!checked.success) return { problem: zodIssues(checked.error) };
  return { output: value as Json };
}
