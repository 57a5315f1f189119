/**
 * What an agent is given to do: a task, as a string or `{ task, data? }` with JSON data to work
 * on. `checkInput` refuses anything else (data that is not JSON included) with an error naming
 * what is wrong; `taskText` is the run's first user message (the task anchor, never compacted),
 * the data appended as JSON.
 */
import { z } from 'zod';
import { toJournalJson } from '../durable/index.ts';
import { parseWith } from '../resilience/index.ts';
import { InvalidSpecError } from '../runtime/index.ts';
import type { Json } from '../store/index.ts';

/** What an agent is given to do: a task, optionally with data (JSON) to work on. */
export type AgentInput = string | { readonly task: string; readonly data?: Json };

const inputSchema = z.union([
  z.string().min(1, 'must not be empty'),
  z.strictObject({ task: z.string().min(1, 'must not be empty'), data: z.unknown().optional() }),
]);

/** Check a run's input (a task string, or `{ task, data? }`), naming what is wrong. */
export function checkInput(agent: string, input: unknown): AgentInput {
  const checked = parseWith(`agent "${agent}" input`, inputSchema, input) as AgentInput;
  // `data` goes to the model as JSON text: a bigint, a cycle or a class instance is refused here, naming where it is.
  if (typeof checked === 'object' && checked.data !== undefined) {
    const json = toJournalJson(checked.data);
    if ('problem' in json)
      throw new InvalidSpecError(
        `agent "${agent}" input`,
        `data${json.problem.path.slice(1)}`,
        checked.data,
        `must be JSON data: ${json.problem.path} ${json.problem.why}`,
      );
  }
  return checked;
}

/** The first user message of a run. */
export function taskText(input: AgentInput): string {
  if (typeof input === 'string') return input;
  return input.data === undefined ? input.task : `${input.task}\n\n${JSON.stringify(input.data, null, 2)}`;
}
